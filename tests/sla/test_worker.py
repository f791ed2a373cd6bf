"""The timer worker: exactly once with several workers, nothing lost after SIGKILL."""

import json
import signal
import time

import pytest
from django.db import connection
from django.db.models import Count

from escalade.core import worker
from escalade.sla.models import SlaClock, SlaFiring, WorkerLease
from escalade.tickets.models import Ticket, TicketEvent
from tests.processes import run_escalade, start_escalade
from tests.sla.conftest import oslo

pytestmark = pytest.mark.django_db(transaction=True)
SWEEP_AT = oslo(2026, 11, 23, 12, 0)
SWEEP_ARG = SWEEP_AT.isoformat()


def make_due_tickets(make, clock, customer, count: int) -> list[int]:
    clock.set(oslo(2026, 11, 20, 15, 30))
    return [make.ticket(customer, subject=f"ticket {n}").pk for n in range(count)]


def assert_each_fired_exactly_once(ticket_ids: list[int]) -> None:
    per_ticket = dict(
        SlaFiring.objects.filter(ticket_id__in=ticket_ids, metric="first_response")
        .values_list("ticket_id")
        .annotate(n=Count("id"))
    )
    assert per_ticket == dict.fromkeys(ticket_ids, 2)  # the 75 % warning and the breach
    events = TicketEvent.objects.filter(
        ticket_id__in=ticket_ids, kind__in=("sla_warning", "sla_breach")
    ).count()
    assert events == 2 * len(ticket_ids)
    assert not Ticket.objects.filter(pk__in=ticket_ids, next_timer_at__lte=SWEEP_AT).exists()


def test_sweeping_twice_at_the_same_moment_fires_nothing_twice(
    make, clock, vip_policy, vip_customer
):
    ids = make_due_tickets(make, clock, vip_customer, 30)
    first = worker.sweep(SWEEP_AT, batch_size=7)
    second = worker.sweep(SWEEP_AT, batch_size=7)
    assert (first.tickets, first.batches) == (30, 5)
    assert second.tickets == 0
    assert_each_fired_exactly_once(ids)


def test_a_batch_its_unit_of_work_cannot_vouch_for_is_redone_ticket_by_ticket_and_fires_once(
    make, clock, vip_policy, vip_customer
):
    ids = make_due_tickets(make, clock, vip_customer, 6)
    assert worker.sweep(SWEEP_AT, batch_size=4).redone == 0
    # One clock forgets what it fired (as a restored backup might): its firings are stored,
    # so the unit finds their keys taken when it writes, and the batch is done again plainly.
    forgetful = ids[2]
    SlaClock.objects.filter(ticket_id=forgetful, metric="first_response").update(fired=[])
    Ticket.objects.filter(pk=forgetful).update(next_timer_at=SWEEP_AT)

    again = worker.sweep(SWEEP_AT, batch_size=4)

    assert (again.tickets, again.redone) == (1, 1)
    assert_each_fired_exactly_once(ids)
    clock_row = SlaClock.objects.get(ticket_id=forgetful, metric="first_response")
    assert set(clock_row.fired) == {"75%", "breach"}


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="several workers need PostgreSQL")
def test_two_concurrent_worker_processes_on_postgresql_fire_each_step_once(
    make, clock, vip_policy, vip_customer
):
    ids = make_due_tickets(make, clock, vip_customer, 400)
    workers = [
        start_escalade("worker", "--once", "--now", SWEEP_ARG, "--batch", "20") for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in workers]
    assert [process.returncode for process in workers] == [0, 0], outputs
    handled = [json.loads(out.strip().splitlines()[-1])["tickets"] for out, _err in outputs]
    assert sum(handled) >= 400
    assert all(n > 0 for n in handled), f"both workers should have claimed tickets: {handled}"
    assert_each_fired_exactly_once(ids)


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(make, clock, vip_policy, vip_customer):
    ids = make_due_tickets(make, clock, vip_customer, 300)
    victim = start_escalade("worker", "--once", "--now", SWEEP_ARG, "--batch", "10")
    deadline = time.monotonic() + 60
    while SlaFiring.objects.count() == 0 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)  # waiting for another process, not moving time
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    fired_before_restart = (
        SlaFiring.objects.filter(ticket_id__in=ids).values("ticket_id").distinct().count()
    )
    assert 0 < fired_before_restart < len(ids), "the kill should land mid-run"

    restarted = run_escalade("worker", "--once", "--now", SWEEP_ARG, "--batch", "10")
    assert restarted.returncode == 0, restarted.stderr
    assert_each_fired_exactly_once(ids)


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the lease guards SQLite only")
def test_on_sqlite_a_second_worker_is_refused_while_the_first_holds_the_lease(db):
    assert worker.acquire_lease()
    refused = run_escalade("worker", "--once")
    assert refused.returncode == 3
    assert "lease" in refused.stderr
    worker.release_lease()
    assert not WorkerLease.objects.exists()
    assert run_escalade("worker", "--once").returncode == 0


def test_worker_cli_rejects_bad_input(db):
    bad_time = run_escalade("worker", "--once", "--now", "next tuesday")
    assert bad_time.returncode == 2
    assert "--now" in bad_time.stderr
    naive = run_escalade("worker", "--once", "--now", "2026-11-24T10:00:00")
    assert naive.returncode == 2
    assert "offset" in naive.stderr
    assert run_escalade("worker", "--now", SWEEP_ARG).returncode == 2
    assert connection.vendor in ("sqlite", "postgresql")
