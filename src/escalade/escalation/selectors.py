"""Reads: the stored escalation document, escalation history, boards, and `explain`."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from escalade.core.actors import Actor
from escalade.escalation import engine
from escalade.escalation.document import (
    AddTag,
    CallWebhook,
    Escalate,
    EscalationDocument,
    EscalationPath,
    Level,
    Notify,
    RaisePriority,
    RoutingRule,
    Rule,
    SlaPolicy,
    Targets,
    TicketChanges,
    WarnAt,
    Webhook,
)
from escalade.escalation.models import EscalationPath as PathRow
from escalade.escalation.models import EscalationRecord, EscalationRule, EscalationRun, Notification
from escalade.escalation.models import Webhook as WebhookRow
from escalade.escalation.services import risk_of
from escalade.routing.models import RoutingRule as RoutingRow
from escalade.sla import clockmath
from escalade.sla.models import Calendar, SlaClock
from escalade.sla.models import SlaPolicy as SlaPolicyRow
from escalade.sla.selectors import clock_readings
from escalade.sla.services import calendar_named, match_policy
from escalade.tickets.models import Ticket
from escalade.tickets.selectors import OPEN_STATUSES, visible_tickets


def stored_document() -> EscalationDocument:
    """The stored configuration as an escalation document (for `escalade policy export`)."""
    return EscalationDocument(
        calendars={row.name: row.spec for row in Calendar.objects.order_by("name")},
        sla_policies=tuple(
            _policy(row)
            for row in SlaPolicyRow.objects.filter(active=True).order_by("position", "id")
        ),
        routing=tuple(
            RoutingRule(
                name=row.name,
                when=_when(row.conditions),
                team=row.team,
                changes=TicketChanges(
                    category=row.changes.get("category"),
                    priority=row.changes.get("priority"),
                    tags=tuple(row.changes.get("tags", ())),
                ),
            )
            for row in RoutingRow.objects.order_by("position", "id")
        ),
        paths=tuple(
            EscalationPath(
                name=row.name,
                when=_when(row.conditions),
                levels=tuple(
                    Level(**{**level, "notify": tuple(level.get("notify") or ())})
                    for level in row.levels
                ),
            )
            for row in PathRow.objects.order_by("position", "id")
        ),
        rules=tuple(_rule(row) for row in EscalationRule.objects.order_by("position", "id")),
        webhooks={
            row.name: Webhook(url=row.url, secret_env=row.secret_env or None, format=row.format)
            for row in WebhookRow.objects.order_by("name")
        },
    )


def _when(conditions: dict) -> dict:
    return {key: tuple(values) for key, values in conditions.items()}


def _action(row: dict):
    if "escalate" in row:
        spec = row["escalate"] if isinstance(row["escalate"], dict) else {"to": row["escalate"]}
        return Escalate(to=spec["to"], team=spec.get("team"), acknowledge=spec.get("acknowledge"))
    if "notify" in row:
        return Notify(recipients=tuple(row["notify"]))
    if "raise_priority" in row:
        return RaisePriority(steps=row["raise_priority"])
    if "add_tag" in row:
        return AddTag(tag=row["add_tag"])
    return CallWebhook(name=row["webhook"])


def _rule(row: EscalationRule) -> Rule:
    threshold = None
    if row.threshold:
        threshold = WarnAt(
            percent=row.threshold.get("percent"), seconds_before=row.threshold.get("seconds_before")
        )
    return Rule(
        name=row.name,
        on=row.on,
        when=_when(row.conditions),
        actions=tuple(_action(action) for action in row.actions),
        metric=row.metric or None,
        threshold=threshold,
        min_risk=row.min_risk,
    )


def _policy(row: SlaPolicyRow) -> SlaPolicy:
    return SlaPolicy(
        name=row.name,
        when={key: tuple(values) for key, values in row.conditions.items()},
        calendar=row.calendar,
        pause_on=tuple(row.pause_on),
        targets={priority: Targets(**metrics) for priority, metrics in row.targets.items()},
        warn_at=tuple(
            WarnAt(percent=w.get("percent"), seconds_before=w.get("seconds_before"))
            for w in row.warn_at
        ),
    )


# --- history and boards ------------------------------------------------------------------------


def ticket_escalations(ticket: Ticket) -> QuerySet[EscalationRecord]:
    return (
        EscalationRecord.objects.filter(ticket=ticket)
        .select_related("from_team", "to_team", "from_agent", "to_agent", "acknowledged_by")
        .order_by("created_at", "id")
    )


def awaiting_acknowledgement(actor: Actor) -> QuerySet[EscalationRecord]:
    """Escalations nobody has acknowledged yet, most urgent deadline first."""
    records = EscalationRecord.objects.filter(
        ack_required=True,
        acknowledged_at__isnull=True,
        deescalated_at__isnull=True,
        ticket__status__in=OPEN_STATUSES,
    )
    records = records.filter(ticket__in=visible_tickets(actor))
    return records.select_related("ticket", "to_agent", "to_team").order_by(
        "ack_deadline_at", "created_at"
    )


def at_risk_tickets(actor: Actor, minimum: int = 50) -> QuerySet[Ticket]:
    return (
        visible_tickets(actor)
        .filter(status__in=OPEN_STATUSES, risk_score__gte=minimum)
        .select_related("team", "assignee", "organisation", "customer")
        .order_by("-risk_score", "sla_due_at")
    )


def unread_notifications(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).order_by(
        "-created_at", "-id"
    )


# --- explain -------------------------------------------------------------------------------


def _describe_action(action: dict) -> str:
    if "escalate" in action:
        spec = (
            action["escalate"]
            if isinstance(action["escalate"], dict)
            else {"to": action["escalate"]}
        )
        target = spec.get("team") if spec["to"] == "team" else spec["to"].replace("_", " ")
        ack = (
            _(" (acknowledge within %(s)ds)") % {"s": spec["acknowledge"]}
            if spec.get("acknowledge")
            else ""
        )
        return _("escalate to %(target)s%(ack)s") % {"target": target, "ack": ack}
    if "notify" in action:
        return _("notify %(who)s") % {"who": ", ".join(action["notify"])}
    if "raise_priority" in action:
        return _("raise priority by %(n)d") % {"n": action["raise_priority"]}
    if "add_tag" in action:
        return _("add tag %(tag)s") % {"tag": action["add_tag"]}
    return _("call webhook %(name)s") % {"name": action["webhook"]}


def _rules_then(ticket: Ticket, trigger: str, **filters) -> list[str]:
    return [
        f"{rule.name}: " + "; ".join(_describe_action(a) for a in rule.actions)
        for rule, _why in engine.rules_for(ticket, trigger, **filters)
    ]


def _level_label(level: dict) -> str:
    if level.get("team"):
        return _("team %(team)s") % {"team": level["team"]}
    if level.get("role"):
        return level["role"]
    return _("agent %(agent)s") % {"agent": level.get("agent")}


def timeline(ticket: Ticket, at: datetime, run: EscalationRun | None) -> list[dict]:
    """What will fire, and when, if nothing changes from ``at`` on."""
    events: list[dict] = []
    policy = SlaPolicyRow.objects.filter(
        name__in=SlaClock.objects.filter(ticket=ticket).values("policy")
    ).first()
    warn_at = policy.warn_at if policy else []
    for sla_clock in SlaClock.objects.filter(
        ticket=ticket,
        fulfilled_at__isnull=True,
        stopped_at__isnull=True,
        running_since__isnull=False,
    ):
        reading = clockmath.ClockReading(
            sla_clock.used_seconds, sla_clock.running_since, sla_clock.target_seconds
        )
        calendar = calendar_named(sla_clock.calendar)
        for point in clockmath.thresholds(sla_clock.target_seconds, warn_at):
            if point.key in sla_clock.fired:
                continue
            when = clockmath.instant_of(reading, calendar, point.used_seconds)
            breach = point.key == clockmath.BREACH
            trigger = "sla_breach" if breach else "sla_warning"
            events.append(
                {
                    "at": max(when, at),
                    "what": _("%(metric)s %(point)s")
                    % {
                        "metric": sla_clock.get_metric_display(),
                        "point": _("breach")
                        if breach
                        else _("warning at %(t)s") % {"t": point.key},
                    },
                    "then": _rules_then(
                        ticket, trigger, metric=sla_clock.metric, threshold=point.key
                    ),
                }
            )
    if run is not None:
        if run.ack_deadline_at:
            then = _rules_then(ticket, "ack_timeout")
            if run.ack_moves_on and run.level_index + 1 < len(run.snapshot):
                then.insert(
                    0,
                    _("move to level %(n)d: %(level)s")
                    % {
                        "n": run.level_index + 2,
                        "level": _level_label(run.snapshot[run.level_index + 1]),
                    },
                )
            events.append(
                {"at": run.ack_deadline_at, "what": _("acknowledgement deadline"), "then": then}
            )
        if run.level_deadline_at:
            then = _rules_then(ticket, "level_timeout")
            if run.level_index + 1 < len(run.snapshot):
                then.insert(
                    0,
                    _("move to level %(n)d: %(level)s")
                    % {
                        "n": run.level_index + 2,
                        "level": _level_label(run.snapshot[run.level_index + 1]),
                    },
                )
            events.append(
                {
                    "at": run.level_deadline_at,
                    "what": _("time limit at level %(n)d") % {"n": run.level_index + 1},
                    "then": then,
                }
            )
    return sorted(events, key=lambda event: event["at"])


def explain(ticket: Ticket, at: datetime) -> dict:
    """Why the ticket is where it is, and what happens next: the supervisor's question."""
    routed = ticket.events.filter(kind="routed").order_by("-created_at").values("after").first()
    policy_match = match_policy(ticket)
    run = EscalationRun.objects.filter(ticket=ticket, active=True).first()
    risk = risk_of(ticket)
    return {
        "ticket": {
            "id": ticket.pk,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "level": ticket.level,
            "team": ticket.team.slug if ticket.team_id else None,
            "assignee": ticket.assignee.username if ticket.assignee_id else None,
            "at": at,
        },
        "routing": routed["after"] if routed else None,
        "sla": {
            "policy": policy_match.item.name if policy_match.item else None,
            "reasons": policy_match.result.reasons if policy_match.result else [],
            "skipped": [{"policy": p.name, "reasons": r.reasons} for p, r in policy_match.skipped],
            "clocks": clock_readings(ticket, at),
        },
        "path": None
        if run is None
        else {
            "name": run.path_name,
            "reasons": run.path_reasons,
            "levels": run.snapshot,
            "level": run.level_index + 1,
            "level_entered_at": run.level_entered_at,
            "level_deadline_at": run.level_deadline_at,
            "ack_deadline_at": run.ack_deadline_at,
            "awaiting_ack_from": run.awaiting_ack_from.username
            if run.awaiting_ack_from_id
            else None,
            "started_at": run.started_at,
        },
        "risk": {
            "score": round(risk.score),
            "factors": [
                {"name": f.name, "points": round(f.points, 1), "explanation": f.explanation}
                for f in risk.factors
            ],
        },
        "history": [
            {
                "at": record.created_at,
                "kind": record.kind,
                "trigger": record.trigger,
                "direction": record.direction,
                "from": {
                    "team": record.from_team.slug if record.from_team_id else None,
                    "level": record.from_level,
                    "agent": record.from_agent.username if record.from_agent_id else None,
                },
                "to": {
                    "team": record.to_team.slug if record.to_team_id else None,
                    "level": record.to_level,
                    "agent": record.to_agent.username if record.to_agent_id else None,
                },
                "rule": record.rule,
                "reason": record.reason,
                "actor": record.actor_label,
                "acknowledged_at": record.acknowledged_at,
                "deescalated_at": record.deescalated_at,
            }
            for record in ticket_escalations(ticket).filter(created_at__lte=at)
        ],
        "timeline": timeline(ticket, at, run),
    }
