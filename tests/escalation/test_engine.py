"""The escalation engine through its services, story by story (see shared/SCENARIOS.md)."""

import pytest

from escalade.core import worker
from escalade.core.actors import actor_for, system
from escalade.core.errors import Conflict, PermissionDenied, ValidationFailed
from escalade.core.models import OutboxMessage
from escalade.escalation import services
from escalade.escalation.models import EscalationPath, EscalationRecord, EscalationRun, Notification
from escalade.escalation.selectors import explain
from escalade.sla.models import SlaClock
from escalade.tickets import services as tickets
from escalade.tickets.models import Ticket
from tests.escalation.conftest import local, oslo

pytestmark = pytest.mark.django_db


def records(ticket) -> list[tuple[str, str, int, int]]:
    return list(
        EscalationRecord.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("kind", "trigger", "from_level", "to_level")
    )


def notified(username: str, ticket) -> int:
    return Notification.objects.filter(recipient__username=username, ticket=ticket).count()


def emails_to(username: str, ticket) -> int:
    return OutboxMessage.objects.filter(
        channel="email", ticket=ticket, payload__to=[f"{username}@escalade.test"]
    ).count()


def vip_mail(make, clock):
    organisation = make.organisation(
        "Fjordhandel AS", tier="vip", domains=["fjordhandel.no"], country="NO", calendar="oslo"
    )
    kari = make.customer(
        "kari@fjordhandel.no", name="Kari Nordmann", organisation=organisation, language="nb"
    )
    clock.set(oslo(2026, 11, 20, 15, 30))  # Friday afternoon
    return make.ticket(
        kari,
        subject="Dobbel belastning på faktura",
        body="Hei, jeg ble belastet to ganger for faktura 4711. Kan dere refundere?",
        channel="email",
    )


def test_story_1_a_vip_first_response_breach_moves_to_billing_l2_and_tells_the_manager_once(
    make, clock, company
):
    ticket = vip_mail(make, clock)
    ticket.refresh_from_db()
    assert ticket.language == "nb"
    assert ticket.team.slug == "billing-l1"
    assert ticket.category == "billing"
    assert ticket.assignee.username == "nora"  # speaks Norwegian, in Billing L1
    assert EscalationRun.objects.get(ticket=ticket).path_name == "Billing"

    worker.sweep(oslo(2026, 11, 23, 8, 15))
    worker.sweep(oslo(2026, 11, 23, 8, 16))
    assert notified("nora", ticket) == 1  # the 75 % warning, once, to the assignee…
    assert notified("emre", ticket) == 1  # …and the team
    assert records(ticket) == []

    for minute in (30, 30, 31):
        worker.sweep(oslo(2026, 11, 23, 8, minute))
    ticket.refresh_from_db()
    assert records(ticket) == [("automatic", "sla_breach", 1, 2)]
    assert ticket.team.slug == "billing-l2"
    assert ticket.level == 2
    assert ticket.assignee.username == "bjorn"
    assert "sla-breached" in ticket.tags
    assert notified("henrik", ticket) == 1
    assert emails_to("henrik", ticket) == 1
    assert OutboxMessage.objects.filter(channel="webhook", ticket=ticket).count() == 1

    report = explain(ticket, oslo(2026, 11, 23, 8, 31))
    assert report["sla"]["policy"] == "VIP"
    assert "org tier is vip (one of vip)" in report["sla"]["reasons"]
    assert report["path"]["name"] == "Billing"
    assert report["history"][0]["trigger"] == "sla_breach"
    assert "rule VIP first-response breach" in report["history"][0]["reason"]
    resolution = {c["metric"]: c for c in report["sla"]["clocks"]}["resolution"]
    assert resolution["due_at"] == oslo(2026, 11, 24, 15, 30)  # 16 business hours
    nexts = [event["what"] for event in report["timeline"]]
    assert "acknowledgement deadline" in nexts  # billing-l2 must acknowledge within 30 minutes
    assert report["timeline"][-1]["at"] == oslo(2026, 11, 24, 15, 30)


def test_story_2_an_agent_transfers_a_login_problem_to_finance(make, clock, company):
    clock.set(local("Europe/Istanbul", 2026, 11, 23, 10, 0))
    customer = make.customer("ayse.yilmaz@example.com.tr", name="Ayşe Yılmaz", language="tr")
    ticket = make.ticket(
        customer,
        subject="Giriş sorunu",
        body="Hesabıma giriş yapamıyorum, ödeme sayfasında hata alıyorum.",
        team="support-tr",
    )
    ticket.refresh_from_db()
    assert ticket.assignee.username == "ayse"
    clock.advance(minutes=40)
    used_before = (
        SlaClock.objects.get(ticket=ticket, metric="resolution").used_seconds
        if SlaClock.objects.filter(ticket=ticket).exists()
        else None
    )

    # Billing L1 is busy in Norwegian: nora already has tickets, emre speaks Turkish.
    record = services.escalate(
        actor_for(company.people["ayse"].user),
        ticket.pk,
        to="team",
        team="billing-l1",
        reason="payment captured twice",
    )
    ticket.refresh_from_db()
    assert (record.kind, record.trigger, record.direction) == ("functional", "agent", "across")
    assert record.reason == "payment captured twice"
    assert ticket.team.slug == "billing-l1"
    assert ticket.assignee.username == "emre"
    assert record.from_team.slug == "support-tr"
    assert ticket.events.filter(kind="team_changed", note="payment captured twice").exists()
    if used_before is not None:
        assert SlaClock.objects.get(ticket=ticket, metric="resolution").used_seconds >= used_before


def test_story_3_the_customer_asks_for_a_manager_and_nobody_acknowledges(make, clock, company):
    clock.set(local("Europe/Rome", 2026, 11, 23, 10, 0))
    giulia = make.customer(
        "giulia.rossi@enoteca.it", name="Giulia Rossi", language="it", with_login=True
    )
    ticket = make.ticket(
        giulia,
        subject="Rimborso non ricevuto",
        body="Buongiorno, il rimborso non è ancora arrivato.",
        team="support-it",
    )
    tickets.add_message(
        actor_for(company.people["giulia"].user),
        ticket.pk,
        body_text="Il rimborso è stato emesso.",
        set_status="solved",
    )

    clock.advance(hours=1)
    tickets.add_message(
        actor_for(giulia.user),
        ticket.pk,
        body_text="Non sono soddisfatta. Vorrei parlare con il responsabile.",
    )
    ticket.refresh_from_db()
    first = EscalationRecord.objects.get(ticket=ticket)
    assert (first.kind, first.trigger) == ("hierarchical", "customer_request")
    assert first.to_agent.username == "sofia"  # giulia reports to sofia
    assert first.ack_required
    assert ticket.status == "open"
    assert "manager-requested" in ticket.tags

    # Asking again before anyone reacts changes nothing.
    tickets.add_message(
        actor_for(giulia.user),
        ticket.pk,
        body_text="Vorrei parlare con il responsabile, per favore!",
    )
    assert EscalationRecord.objects.filter(ticket=ticket).count() == 1

    clock.advance(minutes=29)
    worker.sweep(clock.now())
    assert EscalationRecord.objects.filter(ticket=ticket).count() == 1
    clock.advance(minutes=1)
    worker.sweep(clock.now())
    worker.sweep(clock.now())
    second = EscalationRecord.objects.filter(ticket=ticket).order_by("id").last()
    assert second.to_agent.username == "maria"
    assert (second.kind, second.trigger) == ("automatic", "level_timeout")
    assert "not acknowledged" in second.reason
    # The rule "Unacknowledged manager request" would send it to maria too: one move, one notice.
    assert EscalationRecord.objects.filter(ticket=ticket).count() == 2
    assert ticket.events.filter(kind="escalation_skipped").exists()
    assert notified("maria", ticket) == 1


def test_acknowledging_in_time_stops_the_chain(make, clock, company):
    clock.set(local("Europe/Rome", 2026, 11, 23, 10, 0))
    giulia = make.customer("g@enoteca.it", language="it", with_login=True)
    ticket = make.ticket(giulia, subject="Reclamo", body="Ciao", team="support-it")
    record = services.request_manager(actor_for(giulia.user), ticket.pk, reason="I want a manager")
    with pytest.raises(PermissionDenied):
        services.acknowledge(actor_for(company.people["kasia"].user), ticket.pk)
    clock.advance(minutes=10)
    acknowledged = services.acknowledge(actor_for(company.people["sofia"].user), ticket.pk)
    assert acknowledged.pk == record.pk
    assert acknowledged.acknowledged_by.username == "sofia"
    clock.advance(hours=2)
    worker.sweep(clock.now())
    assert EscalationRecord.objects.filter(ticket=ticket).count() == 1
    with pytest.raises(Conflict):
        services.acknowledge(actor_for(company.people["sofia"].user), ticket.pk)


def test_an_unacknowledged_path_level_moves_on_like_an_on_call_chain(make, clock, company):
    ticket = vip_mail(make, clock)
    services.escalate(
        actor_for(company.people["nora"].user),
        ticket.pk,
        to="next_level",
        reason="needs a specialist",
    )
    ticket.refresh_from_db()
    assert ticket.team.slug == "billing-l2"
    run = EscalationRun.objects.get(ticket=ticket, active=True)
    assert run.ack_deadline_at == oslo(2026, 11, 20, 16, 0)  # 30 business minutes from Friday 15:30
    worker.sweep(oslo(2026, 11, 20, 15, 59))
    assert records(ticket)[-1][1] == "agent"
    worker.sweep(oslo(2026, 11, 20, 16, 0))
    ticket.refresh_from_db()
    assert records(ticket)[-1] == ("automatic", "level_timeout", 2, 3)
    assert ticket.assignee.username == "maria"


def test_time_at_a_level_without_resolution_moves_the_ticket_up(make, clock, company):
    clock.set(oslo(2026, 11, 23, 9, 0))
    customer = make.customer("per@example.no", language="nb")
    ticket = make.ticket(
        customer,
        subject="Innlogging feiler",
        body="Jeg får ikke logget inn i appen.",
        category="login",
    )
    assert EscalationRun.objects.get(ticket=ticket).path_name == "Technical"
    worker.sweep(oslo(2026, 11, 23, 12, 59))
    assert records(ticket) == []
    worker.sweep(oslo(2026, 11, 23, 13, 0))  # 4 business hours at level 1
    ticket.refresh_from_db()
    assert records(ticket) == [("automatic", "level_timeout", 1, 2)]
    assert ticket.team.slug == "tech-l2"
    assert ticket.assignee.username == "zeynep"


def test_editing_the_path_mid_escalation_does_not_touch_the_running_one(make, clock, company):
    ticket = vip_mail(make, clock)
    billing = EscalationPath.objects.get(name="Billing")
    billing.levels = [{"team": "billing-l1", "time_limit": 60}, {"role": "manager"}]
    billing.save()
    services.escalate(
        actor_for(company.people["nora"].user),
        ticket.pk,
        to="next_level",
        reason="specialist needed",
    )
    ticket.refresh_from_db()
    assert ticket.team.slug == "billing-l2"  # the snapshot's level 2, not the edited path's
    run = EscalationRun.objects.get(ticket=ticket, active=True)
    assert [level.get("team") or level.get("role") for level in run.snapshot] == [
        "billing-l1",
        "billing-l2",
        "manager",
    ]


def test_de_escalation_goes_back_down_and_is_recorded(make, clock, company):
    ticket = vip_mail(make, clock)
    up = services.escalate(
        actor_for(company.people["nora"].user),
        ticket.pk,
        to="next_level",
        reason="specialist needed",
    )
    down = services.deescalate(
        actor_for(company.people["bjorn"].user), ticket.pk, reason="simple refund, back to L1"
    )
    ticket.refresh_from_db()
    assert (down.direction, down.from_level, down.to_level) == ("down", 2, 1)
    assert ticket.team.slug == "billing-l1"
    assert ticket.level == 1
    up.refresh_from_db()
    assert up.deescalated_at == down.created_at
    with pytest.raises(Conflict):
        services.deescalate(actor_for(company.people["bjorn"].user), ticket.pk, reason="again")


def test_story_5_a_premium_angry_third_contact_escalates_on_risk_before_any_breach(
    make, clock, company
):
    organisation = make.organisation("Shanghai Trading", tier="premium", calendar="shanghai")
    wang = make.customer(
        "wang.fang@shtrading.cn", name="王芳", organisation=organisation, language="zh-hans"
    )
    clock.set(local("Asia/Shanghai", 2026, 11, 18, 10, 0))
    make.ticket(wang, subject="发货延迟", body="我的订单还没有发货。", team="support-zh")
    clock.set(local("Asia/Shanghai", 2026, 11, 20, 10, 0))
    make.ticket(wang, subject="发货延迟", body="还是没有发货，请尽快处理。", team="support-zh")
    clock.set(local("Asia/Shanghai", 2026, 11, 23, 10, 0))
    third = make.ticket(
        wang,
        subject="第三次联系：发货延迟",
        body="这是我第三次联系你们了，服务太差了，我要投诉！",
        team="support-zh",
        category="technical",
    )
    third.refresh_from_db()
    assert third.risk_score >= 50
    assert records(third) == []

    # At the 75 % first-response warning (3 of 4 business hours) time pressure pushes it over 70.
    worker.sweep(local("Asia/Shanghai", 2026, 11, 23, 13, 0))
    third.refresh_from_db()
    assert third.risk_score >= 70
    assert records(third) == [("automatic", "risk", 1, 2)]
    assert third.team.slug == "tech-l2"
    assert "at-risk" in third.tags
    assert not SlaClock.objects.filter(ticket=third, breached_at__isnull=False).exists()


def test_the_bot_hands_over_to_a_human_who_speaks_the_language(make, clock, company):
    clock.set(local("Europe/Warsaw", 2026, 11, 23, 10, 0))
    visitor = make.customer("jan@example.pl", language="pl")
    ticket = make.ticket(
        visitor,
        subject="Czat",
        body="Dzień dobry",
        channel="chat",
        team="support-pl",
        assignee=None,
    )
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None)
    record = services.hand_over_from_bot(
        system("channel:chat"), ticket.pk, reason="chcę rozmawiać z konsultantem"
    )
    assert (record.kind, record.trigger) == ("hierarchical", "bot_handoff")
    assert record.to_agent.username == "kasia"
    with pytest.raises(PermissionDenied):
        services.hand_over_from_bot(actor_for(company.people["kasia"].user), ticket.pk, reason="x")


def test_an_escalation_needs_a_reason_and_a_known_target(make, clock, company):
    ticket = vip_mail(make, clock)
    nora = actor_for(company.people["nora"].user)
    with pytest.raises(ValidationFailed) as error:
        services.escalate(nora, ticket.pk, to="next_level", reason="   ")
    assert error.value.field == "reason"
    with pytest.raises(ValidationFailed) as error:
        services.escalate(nora, ticket.pk, to="team", team="no-such-team", reason="x")
    assert error.value.field == "team"
    with pytest.raises(ValidationFailed):
        services.escalate(nora, ticket.pk, to="sideways", reason="x")
    services.escalate(nora, ticket.pk, to="next_level", reason="x")
    services.escalate(nora, ticket.pk, to="next_level", reason="x")
    with pytest.raises(ValidationFailed) as error:
        services.escalate(nora, ticket.pk, to="next_level", reason="x")
    assert "last level" in error.value.message
    assert EscalationRecord.objects.filter(ticket=ticket).count() == 2


def test_routing_uses_only_available_agents_and_falls_back_to_the_team_queue(make, clock, company):
    clock.set(oslo(2026, 11, 23, 9, 0))
    for name in ("nora", "emre"):
        company.accounts.update_agent(
            system("test"), company.people[name].user_id, availability="away"
        )
    customer = make.customer("ola@example.no", language="nb")
    ticket = make.ticket(
        customer, subject="Faktura feil", body="Fakturaen min er feil, jeg ble belastet to ganger."
    )
    ticket.refresh_from_db()
    assert ticket.team.slug == "billing-l1"
    assert ticket.assignee is None
    routed = ticket.events.get(kind="routed")
    assert routed.after["rule"] == "Norwegian billing"
    assert any("faktura" in reason for reason in routed.after["reasons"])


def test_an_outage_report_gets_its_priority_raised_once(make, clock, company):
    clock.set(oslo(2026, 11, 23, 9, 0))
    ticket = make.ticket(
        subject="Everything is down", body="Nothing loads", tags=["outage"], priority="normal"
    )
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert OutboxMessage.objects.filter(channel="webhook", ticket=ticket).count() == 1
