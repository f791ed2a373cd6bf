"""Where the engine listens: ticket changes, SLA thresholds and its own timers."""

from datetime import datetime

from django.db import connection
from django.dispatch import receiver
from django.utils.translation import gettext as _

from escalade.core import clock, db
from escalade.core.actors import system
from escalade.escalation import engine, services
from escalade.escalation.models import EscalationRun
from escalade.escalation.signals import asks_for_manager
from escalade.routing.services import route_new_ticket
from escalade.sla.services import sla_threshold_reached
from escalade.tickets import timers
from escalade.tickets.models import Message, Ticket
from escalade.tickets.signals import ticket_changed

ROUTING = system("routing")
CHANNEL = system("channel")


def _from_customer(message: Message | None) -> bool:
    return (
        message is not None
        and message.kind == Message.Kind.PUBLIC
        and not message.is_automatic
        and message.from_customer
    )


@receiver(ticket_changed, dispatch_uid="escalation-ticket-changed")
def on_ticket_changed(sender, ticket, actor, changes, message, created, **kwargs):
    now = clock.now()
    if created:
        current = engine.fresh(ticket.pk)
        if current.team_id is None or current.assignee_id is None:
            route_new_ticket(ROUTING, current)
            current = engine.fresh(ticket.pk)
        if engine.active_run(current) is None:
            engine.start_run(current, now)
        engine.run_rules(
            engine.fresh(ticket.pk),
            "ticket_created",
            key=f"created:{ticket.pk}",
            reason=_("new ticket"),
        )
    elif "status" in changes:
        run = engine.active_run(ticket, lock=True)
        if run is not None:
            engine.rearm(run, engine.fresh(ticket.pk), now)
    if _from_customer(message):
        services.assess_risk(engine.fresh(ticket.pk))
        if asks_for_manager(message.body_text):
            excerpt = message.body_text.strip()[:300]
            services.request_manager(CHANNEL, ticket.pk, reason=excerpt, source=message.channel)


@receiver(sla_threshold_reached, dispatch_uid="escalation-sla-threshold")
def on_sla_threshold(sender, ticket, clock, threshold, reached_at, breach, **kwargs):
    trigger = "sla_breach" if breach else "sla_warning"
    if not engine.has_rules(trigger) and (breach or not engine.has_rules("risk")):
        return
    what = _("%(metric)s %(threshold)s reached at %(at)s") % {
        "metric": clock.get_metric_display(),
        "threshold": _("breach") if breach else threshold,
        "at": reached_at.isoformat(),
    }
    engine.run_rules(
        engine.fresh(ticket.pk),
        trigger,
        key=f"sla:{ticket.pk}:{clock.metric}:{clock.cycle}:{threshold}",
        reason=what,
        metric=clock.metric,
        threshold=threshold,
    )
    if not breach:
        services.assess_risk(engine.fresh(ticket.pk))


@timers.timer_source
def next_escalation_timer(ticket: Ticket) -> datetime | None:
    runs = db.children(
        EscalationRun,
        "ticket_id",
        ticket.pk,
        EscalationRun.objects.filter(ticket=ticket, active=True),
    )
    moments = [
        moment
        for run in runs
        if run.active
        for moment in (run.level_deadline_at, run.ack_deadline_at)
        if moment is not None
    ]
    return min(moments) if moments else None


@timers.batch_loader
def load_runs(tickets):
    pks = [ticket.pk for ticket in tickets]
    runs = EscalationRun.objects.filter(ticket_id__in=pks)
    if connection.vendor == "postgresql":
        runs = runs.select_for_update()  # as active_run(lock=True) does ticket by ticket
    db.track_children(EscalationRun, "ticket_id", pks, runs)


@timers.due_handler
def fire_escalation_timers(ticket, now, actor):
    run = engine.active_run(ticket, lock=True)
    if run is None:
        return
    if run.ack_deadline_at is not None and run.ack_deadline_at <= now:
        key = f"ack_timeout:{run.pk}:{run.step}"
        reason = _("not acknowledged by %(deadline)s") % {
            "deadline": run.ack_deadline_at.isoformat()
        }
        moves_on = run.ack_moves_on and run.level_index + 1 < len(run.snapshot)
        run.ack_deadline_at = None
        db.save_fields(run, ["ack_deadline_at"])
        current = engine.fresh(ticket.pk)
        if moves_on:
            engine.move(
                current,
                engine.resolve_target(run, current, "next_level"),
                kind=engine.Kind.AUTOMATIC,
                trigger=engine.Trigger.LEVEL_TIMEOUT,
                reason=reason,
                actor=engine.ENGINE,
                dedupe_key=key,
                event_key=key,
            )
        engine.run_rules(
            engine.fresh(ticket.pk),
            "ack_timeout",
            key=key,
            reason=reason,
            record_trigger=engine.Trigger.LEVEL_TIMEOUT,
        )
        run.refresh_from_db()
    if run.active and run.level_deadline_at is not None and run.level_deadline_at <= now:
        key = f"level_timeout:{run.pk}:{run.step}"
        limit = run.level.get("time_limit") or 0
        reason = _("unresolved after %(hours).1f business hours at level %(level)d") % {
            "hours": limit / 3600,
            "level": run.level_index + 1,
        }
        has_next = run.level_index + 1 < len(run.snapshot)
        run.level_deadline_at = None
        db.save_fields(run, ["level_deadline_at"])
        current = engine.fresh(ticket.pk)
        if has_next:
            engine.move(
                current,
                engine.resolve_target(run, current, "next_level"),
                kind=engine.Kind.AUTOMATIC,
                trigger=engine.Trigger.LEVEL_TIMEOUT,
                reason=reason,
                actor=engine.ENGINE,
                dedupe_key=key,
                event_key=key,
            )
        engine.run_rules(engine.fresh(ticket.pk), "level_timeout", key=key, reason=reason)
