"""SLA clocks through the services: what starts, pauses, fulfils and fires them."""

import pytest

from escalade.core import worker
from escalade.core.actors import SYSTEM
from escalade.sla import services as sla
from escalade.sla.models import SlaClock, SlaFiring
from escalade.tickets import services as tickets
from escalade.tickets.models import Ticket, TicketEvent
from tests.sla.conftest import HOUR, oslo

pytestmark = pytest.mark.django_db


def clocks_of(ticket) -> dict[str, SlaClock]:
    return {c.metric: c for c in SlaClock.objects.filter(ticket=ticket)}


def test_story_friday_afternoon_vip_mail_is_due_monday_morning(
    make, clock, vip_policy, vip_customer
):
    clock.set(oslo(2026, 11, 20, 15, 30))  # Friday
    ticket = make.ticket(vip_customer, subject="Dobbel belastning", channel="email")

    clocks = clocks_of(ticket)
    assert clocks["first_response"].policy == "VIP"
    assert clocks["first_response"].due_at == oslo(2026, 11, 23, 8, 30)
    assert clocks["first_response"].next_fire_at == oslo(2026, 11, 23, 8, 15)
    assert clocks["resolution"].due_at == oslo(2026, 11, 24, 15, 30)
    assert Ticket.objects.get(pk=ticket.pk).next_timer_at == oslo(2026, 11, 23, 8, 15)


def test_the_warning_fires_once_at_75_percent_and_the_breach_at_the_target(
    make, clock, vip_policy, vip_customer
):
    clock.set(oslo(2026, 11, 20, 15, 30))
    ticket = make.ticket(vip_customer)

    assert worker.sweep(oslo(2026, 11, 23, 8, 14)).tickets == 0
    assert worker.sweep(oslo(2026, 11, 23, 8, 15)).tickets == 1
    assert worker.sweep(oslo(2026, 11, 23, 8, 16)).tickets == 0
    firings = list(
        SlaFiring.objects.filter(ticket=ticket).values_list("metric", "threshold", "due_at")
    )
    assert firings == [("first_response", "75%", oslo(2026, 11, 23, 8, 15))]
    assert clocks_of(ticket)["first_response"].state == "warned"
    assert Ticket.objects.get(pk=ticket.pk).sla_state == "at_risk"

    worker.sweep(oslo(2026, 11, 23, 8, 30))
    worker.sweep(oslo(2026, 11, 23, 8, 31))
    assert SlaFiring.objects.filter(ticket=ticket, threshold="breach").count() == 1
    first = clocks_of(ticket)["first_response"]
    assert first.breached_at == oslo(2026, 11, 23, 8, 30)
    assert first.state == "breached"
    assert TicketEvent.objects.filter(ticket=ticket, kind="sla_breach").count() == 1
    refreshed = Ticket.objects.get(pk=ticket.pk)
    assert refreshed.sla_state == "breached"
    # resolution's own 75 % (12 business hours) is what comes next: Tuesday 11:30
    assert refreshed.next_timer_at == oslo(2026, 11, 24, 11, 30)


def test_a_late_sweep_records_the_moment_each_threshold_was_reached(
    make, clock, vip_policy, vip_customer
):
    clock.set(oslo(2026, 11, 20, 15, 30))
    ticket = make.ticket(vip_customer)
    worker.sweep(oslo(2026, 11, 23, 12, 0))  # the worker was down all morning
    reached = dict(
        SlaFiring.objects.filter(ticket=ticket, metric="first_response").values_list(
            "threshold", "due_at"
        )
    )
    assert reached == {"75%": oslo(2026, 11, 23, 8, 15), "breach": oslo(2026, 11, 23, 8, 30)}


def test_an_internal_note_does_not_fulfil_the_first_response(
    make, clock, vip_policy, vip_customer, agent
):
    clock.set(oslo(2026, 11, 23, 9, 0))
    ticket = make.ticket(vip_customer)
    clock.advance(minutes=10)
    tickets.add_message(
        make.actor(agent), ticket.pk, body_text="checking with finance", kind="internal"
    )
    assert clocks_of(ticket)["first_response"].state == "running"

    clock.advance(minutes=10)
    tickets.add_message(make.actor(agent), ticket.pk, body_text="Hei Kari, vi ser på det.")
    first = clocks_of(ticket)["first_response"]
    assert first.state == "fulfilled"
    assert first.fulfilled_at == oslo(2026, 11, 23, 9, 20)
    assert first.used_seconds == 20 * 60


def test_an_auto_reply_does_not_fulfil_the_first_response(make, clock, vip_policy, vip_customer):
    clock.set(oslo(2026, 11, 23, 9, 0))
    ticket = make.ticket(vip_customer)
    tickets.add_message(SYSTEM, ticket.pk, body_text="Vi har mottatt saken din", is_automatic=True)
    assert clocks_of(ticket)["first_response"].state == "running"


def test_pending_pauses_and_open_resumes_with_the_time_used(
    make, clock, vip_policy, vip_customer, agent
):
    clock.set(oslo(2026, 11, 23, 9, 0))
    ticket = make.ticket(vip_customer)
    clock.advance(hours=1)
    tickets.add_message(
        make.actor(agent),
        ticket.pk,
        body_text="Can you send the invoice number?",
        set_status="pending",
    )
    resolution = clocks_of(ticket)["resolution"]
    assert resolution.state == "paused"
    assert resolution.used_seconds == HOUR
    assert resolution.due_at is None

    clock.set(oslo(2026, 11, 25, 10, 0))  # two days later the customer answers
    tickets.add_message(make.actor(vip_customer), ticket.pk, body_text="Fakturanummer 4711")
    resolution = clocks_of(ticket)["resolution"]
    assert resolution.state == "running"
    assert resolution.used_seconds == HOUR
    # 15 business hours left from Wed 10:00: Wed 6 h, Thu 8 h, Fri 1 h -> Fri 09:00
    assert resolution.due_at == oslo(2026, 11, 27, 9, 0)
    next_response = clocks_of(ticket)["next_response"]
    assert next_response.state == "running"
    assert next_response.started_at == oslo(2026, 11, 25, 10, 0)
    assert next_response.due_at == oslo(2026, 11, 25, 12, 0)


def test_next_response_is_measured_from_the_oldest_unanswered_customer_message(
    make, clock, vip_policy, vip_customer, agent
):
    clock.set(oslo(2026, 11, 23, 9, 0))
    ticket = make.ticket(vip_customer)
    tickets.add_message(make.actor(agent), ticket.pk, body_text="Hello")
    clock.advance(minutes=30)
    tickets.add_message(make.actor(vip_customer), ticket.pk, body_text="first follow-up")
    clock.advance(minutes=30)
    tickets.add_message(make.actor(vip_customer), ticket.pk, body_text="second follow-up")
    next_response = clocks_of(ticket)["next_response"]
    assert next_response.started_at == oslo(2026, 11, 23, 9, 30)
    assert next_response.cycle == 1

    clock.advance(minutes=5)
    tickets.add_message(make.actor(agent), ticket.pk, body_text="answer")
    assert clocks_of(ticket)["next_response"].state == "fulfilled"
    clock.advance(minutes=5)
    tickets.add_message(make.actor(vip_customer), ticket.pk, body_text="another question")
    again = clocks_of(ticket)["next_response"]
    assert (again.cycle, again.state, again.used_seconds) == (2, "running", 0)


def test_priority_change_mid_flight_keeps_the_elapsed_business_time(
    make, clock, vip_policy, vip_customer, agent
):
    clock.set(oslo(2026, 11, 23, 9, 0))
    ticket = make.ticket(vip_customer)
    clock.advance(minutes=20)
    tickets.update_ticket(make.actor(agent), ticket.pk, expected_version=1, priority="urgent")

    first = clocks_of(ticket)["first_response"]
    assert first.target_seconds == HOUR // 2
    assert first.used_seconds == 20 * 60
    assert first.due_at == oslo(2026, 11, 23, 9, 30)
    assert first.started_at == oslo(2026, 11, 23, 9, 0)


def test_a_target_lowered_below_the_time_used_breaches_at_the_next_sweep(
    make, clock, vip_policy, vip_customer, agent
):
    clock.set(oslo(2026, 11, 23, 9, 0))
    ticket = make.ticket(vip_customer)
    clock.advance(minutes=40)
    tickets.update_ticket(make.actor(agent), ticket.pk, expected_version=1, priority="urgent")
    worker.sweep(clock.now())
    assert clocks_of(ticket)["first_response"].state == "breached"


def test_solving_fulfils_resolution_and_a_reopen_resumes_it(
    make, clock, vip_policy, vip_customer, agent
):
    clock.set(oslo(2026, 11, 23, 9, 0))
    ticket = make.ticket(vip_customer)
    clock.advance(hours=2)
    tickets.add_message(make.actor(agent), ticket.pk, body_text="Refunded.", set_status="solved")
    resolution = clocks_of(ticket)["resolution"]
    assert resolution.state == "fulfilled"
    assert resolution.used_seconds == 2 * HOUR
    assert Ticket.objects.get(pk=ticket.pk).next_timer_at is None

    clock.set(oslo(2026, 11, 24, 9, 0))
    tickets.add_message(make.actor(vip_customer), ticket.pk, body_text="The refund did not arrive")
    resolution = clocks_of(ticket)["resolution"]
    assert resolution.state == "running"
    assert resolution.used_seconds == 2 * HOUR
    assert resolution.due_at == oslo(2026, 11, 25, 15, 0)  # 14 h left: Tue 7 h + Wed 7 h


def test_a_policy_matching_change_switches_targets_without_reset(make, clock, vip_policy, agent):
    clock.set(oslo(2026, 11, 23, 9, 0))
    company = make.organisation("Smallco")
    ticket = make.ticket(make.customer(organisation=company))
    assert clocks_of(ticket)["first_response"].policy == "Standard"
    clock.advance(hours=1)
    from escalade.accounts import services as accounts

    accounts.save_organisation(SYSTEM, company.pk, tier="vip")
    tickets.update_ticket(make.actor(agent), ticket.pk, expected_version=1, category="billing")
    first = clocks_of(ticket)["first_response"]
    assert (first.policy, first.target_seconds, first.used_seconds) == ("VIP", HOUR, HOUR)


def test_tickets_without_a_matching_policy_have_no_clocks(make, clock):
    ticket = make.ticket()
    assert clocks_of(ticket) == {}
    assert Ticket.objects.get(pk=ticket.pk).next_timer_at is None


def test_holidays_and_weekends_are_not_business_time(make, clock, vip_policy, vip_customer):
    # Christmas Eve is a working day in Norway; the 25th and 26th are holidays, then a weekend.
    clock.set(oslo(2026, 12, 24, 15, 30))
    ticket = make.ticket(vip_customer)
    assert clocks_of(ticket)["first_response"].due_at == oslo(2026, 12, 28, 8, 30)


def test_a_calendar_error_is_told_in_the_admins_language():
    from django.utils import translation
    from django.utils.translation import gettext

    from escalade.core.errors import ValidationFailed

    with translation.override("tr"), pytest.raises(ValidationFailed) as error:
        sla.save_calendar(SYSTEM, "mars", {"timezone": "Mars/Olympus", "hours": "24/7"})
    with translation.override("tr"):
        reason = gettext("%(value)r is not an IANA time zone") % {"value": "Mars/Olympus"}
    assert error.value.message == f"calendars.mars: timezone: {reason}"
    assert "is not" not in reason


def test_invalid_calendar_and_policy_input_is_refused_naming_the_field():
    from escalade.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        sla.save_calendar(SYSTEM, "bad", {"timezone": "Mars/Olympus", "hours": "24/7"})
    with pytest.raises(ValidationFailed) as error:
        sla.save_policy(SYSTEM, "x", targets={"normal": {"first_reply": 60}})
    assert "first_reply" in error.value.message
    with pytest.raises(ValidationFailed):
        sla.save_policy(SYSTEM, "x", targets={"normal": {"first_response": -5}})
    with pytest.raises(ValidationFailed):
        sla.save_policy(SYSTEM, "x", targets={}, conditions={"priorty": ["high"]})
