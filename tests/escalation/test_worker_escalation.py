"""Several worker processes on PostgreSQL never double an escalation or a notification."""

import pytest
from django.db import connection
from django.db.models import Count

from escalade.core.models import OutboxMessage
from escalade.escalation.models import EscalationRecord, Notification
from tests.escalation.conftest import oslo
from tests.processes import start_escalade

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="several workers need PostgreSQL"
    ),
]


def test_two_workers_escalate_each_breached_ticket_exactly_once(make, clock, company):
    organisation = make.organisation("Fjordhandel", tier="vip", calendar="oslo")
    customers = [
        make.customer(f"c{n}@fjordhandel.no", organisation=organisation, language="nb")
        for n in range(10)
    ]
    clock.set(oslo(2026, 11, 20, 15, 30))
    ids = [
        make.ticket(
            customers[n % 10],
            subject=f"Faktura {n}",
            body="Jeg ble belastet to ganger for fakturaen.",
        ).pk
        for n in range(120)
    ]

    workers = [
        start_escalade(
            "worker", "--once", "--now", oslo(2026, 11, 23, 8, 31).isoformat(), "--batch", "10"
        )
        for _ in range(2)
    ]
    for process in workers:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err

    per_ticket = dict(
        EscalationRecord.objects.filter(ticket_id__in=ids)
        .values_list("ticket_id")
        .annotate(n=Count("id"))
    )
    assert per_ticket == dict.fromkeys(ids, 1)
    assert set(EscalationRecord.objects.values_list("trigger", "to_level")) == {("sla_breach", 2)}
    henrik_notices = Notification.objects.filter(
        recipient__username="henrik", ticket_id__in=ids, kind="escalated"
    )
    assert henrik_notices.count() == len(ids)
    emails = OutboxMessage.objects.filter(
        channel="email", payload__to=["henrik@escalade.test"], ticket_id__in=ids
    )
    assert emails.count() == len(ids)
    assert connection.vendor == "postgresql"
