"""Escalations through the HTTP API, with its permissions and bad input."""

import json

import pytest
from django.test import Client

from escalade.escalation.models import EscalationRecord, Notification
from tests.escalation.conftest import oslo
from tests.processes import run_escalade

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, path, body=None, **headers):
    return client.post(
        path, data=json.dumps(body or {}), content_type="application/json", headers=headers
    )


@pytest.fixture
def ticket(make, clock, company):
    clock.set(oslo(2026, 11, 23, 9, 0))
    kari = make.customer(
        "kari@fjordhandel.no",
        organisation=make.organisation("Fjordhandel", tier="vip", calendar="oslo"),
        language="nb",
        with_login=True,
    )
    return make.ticket(
        kari, subject="Dobbel belastning", body="Jeg ble belastet to ganger for fakturaen."
    )


def test_escalate_acknowledge_deescalate_and_history(ticket, company):
    nora = client_for(company.people["nora"].user)
    escalated = post(
        nora,
        f"/api/v1/tickets/{ticket.pk}/escalate",
        {"to": "next_level", "reason": "refund over 10 000 NOK"},
    )
    assert escalated.status_code == 201, escalated.content
    body = escalated.json()
    assert (body["kind"], body["trigger"], body["to_team"], body["to_level"]) == (
        "hierarchical",
        "agent",
        "billing-l2",
        2,
    )
    assert body["ack_required"] is True

    assert post(nora, f"/api/v1/tickets/{ticket.pk}/acknowledge").status_code == 403
    bjorn = client_for(company.people["bjorn"].user)
    acknowledged = post(bjorn, f"/api/v1/tickets/{ticket.pk}/acknowledge")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_by"] == "bjorn"

    down = post(
        bjorn, f"/api/v1/tickets/{ticket.pk}/deescalate", {"reason": "standard refund after all"}
    )
    assert down.status_code == 201
    assert down.json()["direction"] == "down"
    history = nora.get(f"/api/v1/tickets/{ticket.pk}/escalations").json()
    assert [(h["direction"], h["to_level"]) for h in history] == [("up", 2), ("down", 1)]
    assert history[0]["deescalated_at"] is not None


def test_functional_escalation_and_idempotency_key(ticket, company):
    nora = client_for(company.people["nora"].user)
    body = {"to": "team", "team": "tech-l2", "reason": "it is an API error, not billing"}
    first = post(
        nora, f"/api/v1/tickets/{ticket.pk}/escalate", body, **{"Idempotency-Key": "esc-1"}
    )
    again = post(
        nora, f"/api/v1/tickets/{ticket.pk}/escalate", body, **{"Idempotency-Key": "esc-1"}
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["kind"] == "functional"
    assert EscalationRecord.objects.filter(ticket=ticket).count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"to": "next_level"}, "reason"),
        ({"to": "next_level", "reason": ""}, "reason"),
        ({"to": "upwards", "reason": "x"}, "to"),
        ({"to": "team", "team": "nowhere", "reason": "x"}, "team"),
    ],
)
def test_bad_escalations_are_4xx_naming_the_field(ticket, company, payload, field):
    response = post(
        client_for(company.people["nora"].user), f"/api/v1/tickets/{ticket.pk}/escalate", payload
    )
    assert 400 <= response.status_code < 500
    assert field in response.json()["detail"]
    assert EscalationRecord.objects.count() == 0


def test_customers_ask_for_a_manager_only_on_their_own_tickets(ticket, make, company):
    kari = client_for(ticket.customer.user)
    other = make.customer("ola@example.no", with_login=True)
    assert (
        post(
            client_for(other.user),
            f"/api/v1/tickets/{ticket.pk}/request-manager",
            {"reason": "mine"},
        ).status_code
        == 404
    )
    assert (
        post(
            kari, f"/api/v1/tickets/{ticket.pk}/escalate", {"to": "manager", "reason": "x"}
        ).status_code
        == 403
    )
    asked = post(
        kari,
        f"/api/v1/tickets/{ticket.pk}/request-manager",
        {"reason": "Jeg vil snakke med en leder"},
    )
    assert asked.status_code == 201
    assert asked.json()["trigger"] == "customer_request"
    assert kari.get(f"/api/v1/tickets/{ticket.pk}/escalations").status_code == 403
    assert kari.get(f"/api/v1/tickets/{ticket.pk}/explain").status_code == 403


def test_explain_answers_why_and_what_next(ticket, company):
    report = (
        client_for(company.people["sofia"].user).get(f"/api/v1/tickets/{ticket.pk}/explain").json()
    )
    assert report["sla"]["policy"] == "VIP"
    assert report["path"]["name"] == "Billing"
    assert report["routing"]["rule"] == "Norwegian billing"
    assert [event["what"] for event in report["timeline"]][:2] == [
        "first response warning at 75%",
        "first response warning at 90%",
    ]
    breach = next(event for event in report["timeline"] if event["what"] == "first response breach")
    assert any(
        line.startswith("VIP first-response breach: escalate to next level")
        for line in breach["then"]
    )
    assert report["timeline"][0]["at"].startswith("2026-11-23T08:45")  # 09:45 Oslo


def test_supervisor_lists_and_notifications(ticket, company):
    nora = client_for(company.people["nora"].user)
    post(
        nora, f"/api/v1/tickets/{ticket.pk}/escalate", {"to": "next_level", "reason": "specialist"}
    )
    sofia = client_for(company.people["sofia"].user)
    waiting = sofia.get("/api/v1/escalations/awaiting-acknowledgement").json()
    assert [w["ticket_id"] for w in waiting] == [ticket.pk]
    assert nora.get("/api/v1/escalations/at-risk").status_code == 403
    assert sofia.get("/api/v1/escalations/at-risk").status_code == 200

    bjorn = client_for(company.people["bjorn"].user)
    inbox = bjorn.get("/api/v1/notifications").json()
    assert inbox["unread"] == 1
    assert f"#{ticket.pk}" in inbox["items"][0]["title"]
    assert post(bjorn, "/api/v1/notifications/read", {}).json() == {"marked": 1}
    assert bjorn.get("/api/v1/notifications").json()["unread"] == 0
    assert Notification.objects.filter(
        recipient=company.people["henrik"].user, read_at__isnull=True
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_explain_on_the_command_line(ticket, company):
    result = run_escalade("explain", str(ticket.pk), "--at", "2026-11-23T09:00:00Z")
    assert result.returncode == 0, result.stderr
    assert "SLA policy: VIP" in result.stdout
    assert "Escalation path: Billing" in result.stdout
    assert "What happens next if nothing changes:" in result.stdout
    as_json = json.loads(run_escalade("explain", str(ticket.pk), "--json").stdout)
    assert as_json["path"]["name"] == "Billing"
    assert run_escalade("explain", "999999").returncode == 1
    assert run_escalade("explain", str(ticket.pk), "--at", "yesterday").returncode == 2
