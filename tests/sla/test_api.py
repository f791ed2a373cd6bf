import pytest
from django.test import Client

from escalade.core import worker
from tests.sla.conftest import oslo

pytestmark = pytest.mark.django_db


def test_sla_endpoint_reports_each_clock_and_list_filters_by_sla_state(
    make, clock, vip_policy, vip_customer
):
    agent = make.agent("ingrid")
    client = Client()
    client.force_login(agent.user)
    clock.set(oslo(2026, 11, 23, 9, 0))
    late = make.ticket(vip_customer, subject="late")
    clock.set(oslo(2026, 11, 23, 9, 50))
    fresh = make.ticket(vip_customer, subject="fresh")
    worker.sweep(clock.now())

    clocks = {c["metric"]: c for c in client.get(f"/api/v1/tickets/{late.pk}/sla").json()}
    assert clocks["first_response"]["state"] == "warned"
    assert clocks["first_response"]["remaining_seconds"] == 10 * 60
    assert clocks["first_response"]["due_at"].startswith("2026-11-23T09:00")  # 10:00 Oslo in UTC
    assert clocks["resolution"]["state"] == "running"

    at_risk = client.get("/api/v1/tickets", {"sla": "at_risk"}).json()
    assert [t["id"] for t in at_risk["items"]] == [late.pk]
    clock.set(oslo(2026, 11, 23, 10, 0))
    worker.sweep(clock.now())
    assert [
        t["id"] for t in client.get("/api/v1/tickets", {"sla": "breached"}).json()["items"]
    ] == [late.pk]
    by_due = client.get("/api/v1/tickets", {"sort": "due"}).json()["items"]
    assert [t["id"] for t in by_due] == [
        fresh.pk,
        late.pk,
    ]  # late's first response already breached; resolution due later


def test_a_customer_cannot_read_another_customers_sla(make, clock, vip_policy, vip_customer):
    ticket = make.ticket(vip_customer)
    other = make.customer(with_login=True)
    client = Client()
    client.force_login(other.user)
    assert client.get(f"/api/v1/tickets/{ticket.pk}/sla").status_code == 404
