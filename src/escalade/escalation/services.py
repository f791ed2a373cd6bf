"""Escalation actions: escalate (functional or hierarchical), a customer asking for a
manager, acknowledge, de-escalate, proactive risk, and applying the escalation document.

Each is one transaction: permission check, the move (through the engine), audit, notify.
"""

from __future__ import annotations

import statistics
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from escalade.accounts.models import Team
from escalade.core import clock, config_cache, db
from escalade.core.actors import Actor
from escalade.core.errors import Conflict, PermissionDenied, ValidationFailed
from escalade.escalation import engine
from escalade.escalation.document import (
    Action,
    AddTag,
    CallWebhook,
    DocumentError,
    Escalate,
    EscalationDocument,
    Notify,
    Problem,
    RaisePriority,
)
from escalade.escalation.models import (
    EscalationPath,
    EscalationRecord,
    EscalationRule,
    Notification,
    Webhook,
)
from escalade.escalation.risk import RiskAssessment, RiskInputs, risk_score
from escalade.escalation.signals import negativity
from escalade.routing.models import RoutingRule
from escalade.routing.services import pick_agent
from escalade.sla import services as sla
from escalade.sla.models import Calendar, SlaClock, SlaPolicy
from escalade.tickets import services as tickets
from escalade.tickets.models import Message, Ticket

Kind = EscalationRecord.Kind
Trigger = EscalationRecord.Trigger
Direction = EscalationRecord.Direction
DEFAULT_MANAGER_ACK_SECONDS = 30 * 60
HANDLING_TIME_WINDOW = timedelta(days=30)
ROLES = {"agent", "supervisor", "manager", "admin"}


def check_references(doc: EscalationDocument, source: str) -> None:
    """Teams and agents the document names must exist: raise every unknown one with its line."""
    teams = set(Team.objects.values_list("slug", flat=True))
    users = set(
        get_user_model()
        .objects.filter(agent_profile__isnull=False)
        .values_list("username", flat=True)
    )
    unknown = {
        "team": _("unknown team '%(name)s'"),
        "agent": _("unknown agent '%(name)s'"),
        "role": _("unknown role '%(name)s'"),
    }
    problems: list[Problem] = []
    for ref in doc.references():
        known = {"team": teams, "agent": users, "role": ROLES}[ref.kind]
        if ref.name not in known:
            problems.append(doc.problem(ref.path, unknown[ref.kind] % {"name": ref.name}))
    if problems:
        raise DocumentError(problems, source)


def _warn_at_rows(policy) -> list[dict]:
    return [
        {"percent": warn.percent}
        if warn.percent is not None
        else {"seconds_before": warn.seconds_before}
        for warn in policy.warn_at
    ]


def _target_rows(policy) -> dict:
    return {
        priority: {metric: seconds for metric, seconds in vars(targets).items() if seconds}
        for priority, targets in policy.targets.items()
    }


@transaction.atomic
def apply_document(
    actor: Actor, doc: EscalationDocument, source: str = "<document>"
) -> dict[str, int]:
    """Make the stored configuration equal to the document, in one transaction.

    SLA policies not in the document are removed; running clocks keep their used time and
    pick up the new targets at their next recompute.
    """
    actor.require_admin()
    check_references(doc, source)
    for name, spec in doc.calendars.items():
        sla.save_calendar(actor, name, spec)
    for position, policy in enumerate(doc.sla_policies):
        sla.save_policy(
            actor,
            policy.name,
            position=position,
            conditions={key: list(values) for key, values in policy.when.items()},
            calendar=policy.calendar,
            pause_on=policy.pause_on,
            targets=_target_rows(policy),
            warn_at=_warn_at_rows(policy),
        )
    SlaPolicy.objects.exclude(name__in=[p.name for p in doc.sla_policies]).delete()
    Calendar.objects.exclude(name__in=list(doc.calendars)).delete()
    _replace(
        RoutingRule,
        [
            {
                "name": route.name,
                "position": position,
                "conditions": _conditions(route.when),
                "team": route.team,
                "changes": {
                    k: v
                    for k, v in (
                        ("category", route.changes.category),
                        ("priority", route.changes.priority),
                        ("tags", list(route.changes.tags)),
                    )
                    if v
                },
            }
            for position, route in enumerate(doc.routing)
        ],
    )
    _replace(
        EscalationPath,
        [
            {
                "name": path.name,
                "position": position,
                "conditions": _conditions(path.when),
                "levels": [
                    {
                        "team": level.team,
                        "role": level.role,
                        "agent": level.agent,
                        "time_limit": level.time_limit,
                        "notify": list(level.notify),
                        "acknowledge": level.acknowledge,
                    }
                    for level in path.levels
                ],
            }
            for position, path in enumerate(doc.paths)
        ],
    )
    _replace(
        EscalationRule,
        [
            {
                "name": rule.name,
                "position": position,
                "on": rule.on,
                "metric": rule.metric or "",
                "conditions": _conditions(rule.when),
                "min_risk": rule.min_risk,
                "threshold": None
                if rule.threshold is None
                else {
                    "percent": rule.threshold.percent,
                    "seconds_before": rule.threshold.seconds_before,
                },
                "actions": [action_row(action) for action in rule.actions],
            }
            for position, rule in enumerate(doc.rules)
        ],
    )
    _replace(
        Webhook,
        [
            {
                "name": name,
                "url": hook.url,
                "secret_env": hook.secret_env or "",
                "format": hook.format,
            }
            for name, hook in doc.webhooks.items()
        ],
    )
    # Rules and policies are cached per process: clear now and again once this commits.
    config_cache.clear()
    transaction.on_commit(config_cache.clear)
    return {
        "calendars": len(doc.calendars),
        "sla_policies": len(doc.sla_policies),
        "routing_rules": len(doc.routing),
        "paths": len(doc.paths),
        "rules": len(doc.rules),
        "webhooks": len(doc.webhooks),
    }


def _conditions(when) -> dict:
    return {key: list(values) for key, values in when.items()}


def _replace(model, rows: list[dict]) -> None:
    """Make the table hold exactly these rows (by name): running escalations are unaffected,
    they run from their own snapshot."""
    for row in rows:
        model.objects.update_or_create(
            name=row["name"], defaults={k: v for k, v in row.items() if k != "name"}
        )
    model.objects.exclude(name__in=[row["name"] for row in rows]).delete()


def action_row(action: Action) -> dict:
    """A document action as stored: the same shape as its YAML."""
    if isinstance(action, Escalate):
        if action.to == "team" or action.acknowledge:
            return {
                "escalate": {
                    "to": action.to,
                    "team": action.team,
                    "acknowledge": action.acknowledge,
                }
            }
        return {"escalate": action.to}
    if isinstance(action, Notify):
        return {"notify": list(action.recipients)}
    if isinstance(action, RaisePriority):
        return {"raise_priority": action.steps}
    if isinstance(action, AddTag):
        return {"add_tag": action.tag}
    if isinstance(action, CallWebhook):
        return {"webhook": action.name}
    raise TypeError(f"unknown action {action!r}")


# --- escalation actions ------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("reason: say why the ticket is escalated"), field="reason")
    if len(reason) > 2000:
        raise ValidationFailed(_("reason is longer than 2000 characters"), field="reason")
    return reason


@transaction.atomic
def escalate(
    actor: Actor,
    ticket_id: int,
    *,
    to: str,
    reason: str,
    team: str | None = None,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> EscalationRecord:
    """An agent escalates: across to a department (`to="team"`, functional) or up (`next_level`,
    `supervisor`, `manager`, hierarchical). The SLA clocks keep their elapsed time."""
    actor.require_agent()
    if to not in ("team", "next_level", "supervisor", "manager"):
        raise ValidationFailed(_("to: must be team, next_level, supervisor or manager"), field="to")
    reason = _reason(reason)
    ticket = tickets.lock_ticket(actor, ticket_id)
    if expected_version is not None and expected_version != ticket.version:
        raise Conflict()
    if not ticket.is_open:
        raise Conflict(
            _("Ticket #%(id)d is %(status)s; reopen it before escalating")
            % {"id": ticket.pk, "status": ticket.status}
        )
    ticket = engine.fresh(ticket.pk)
    if to == "team" and ticket.team is not None and ticket.team.slug == team:
        raise ValidationFailed(
            _("team: the ticket is already with %(team)s") % {"team": team}, field="team"
        )
    target = engine.resolve_target(engine.active_run(ticket), ticket, to, team)
    key = f"agent:{ticket.pk}:{idempotency_key or uuid.uuid4().hex}"
    kind = Kind.FUNCTIONAL if to == "team" else Kind.HIERARCHICAL
    record = engine.move(
        ticket,
        target,
        kind=kind,
        trigger=Trigger.AGENT,
        reason=reason,
        actor=actor,
        dedupe_key=key,
        direction=Direction.ACROSS if kind == Kind.FUNCTIONAL else Direction.UP,
    )
    return record or EscalationRecord.objects.get(dedupe_key=key)


@transaction.atomic
def request_manager(
    actor: Actor, ticket_id: int, *, reason: str, source: str = "portal"
) -> EscalationRecord | None:
    """The customer asks for a manager (portal/API button, or detected in their mail or chat).

    Runs the `customer_request` rules; with none, the team's supervisor gets it and must
    acknowledge within 30 business minutes. Asking again at the same step changes nothing.
    """
    if not (actor.is_customer or actor.is_system or actor.is_agent):
        raise PermissionDenied()
    reason = _reason(reason)
    ticket = engine.fresh(tickets.lock_ticket(actor, ticket_id).pk)
    if not ticket.is_open:
        raise Conflict(
            _("Ticket #%(id)d is %(status)s") % {"id": ticket.pk, "status": ticket.status}
        )
    # While a request is unanswered (not acknowledged, not undone), asking again changes nothing.
    requests = EscalationRecord.objects.filter(ticket=ticket, trigger=Trigger.CUSTOMER_REQUEST)
    pending = (
        requests.filter(acknowledged_at__isnull=True, deescalated_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if pending is not None:
        return pending
    run = engine.active_run(ticket)
    key = f"customer_request:{ticket.pk}:{requests.count() + 1}"
    tickets.record_event(ticket, actor, "manager_requested", after={"source": source}, note=reason)
    why = _("the customer asked for a manager (%(source)s): %(reason)s") % {
        "source": source,
        "reason": reason,
    }
    moves = engine.run_rules(
        ticket, "customer_request", key=key, reason=why, record_trigger=Trigger.CUSTOMER_REQUEST
    )
    if moves:
        return moves[0]
    try:
        target = engine.resolve_target(run, ticket, "supervisor")
    except ValidationFailed:
        return None
    return engine.move(
        ticket,
        target,
        kind=Kind.HIERARCHICAL,
        trigger=Trigger.CUSTOMER_REQUEST,
        reason=why,
        actor=actor,
        dedupe_key=key,
        ack_seconds=DEFAULT_MANAGER_ACK_SECONDS,
    )


@transaction.atomic
def acknowledge(actor: Actor, ticket_id: int) -> EscalationRecord:
    """The receiver takes the escalation: its acknowledgement deadline stops."""
    actor.require_agent()
    ticket = tickets.lock_ticket(actor, ticket_id)
    record = (
        EscalationRecord.objects.filter(
            ticket=ticket,
            ack_required=True,
            acknowledged_at__isnull=True,
            deescalated_at__isnull=True,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if record is None:
        raise Conflict(
            _("Ticket #%(id)d has no escalation waiting for acknowledgement") % {"id": ticket.pk}
        )
    receiver = (
        record.to_agent_id is not None
        and actor.user is not None
        and actor.user.pk == record.to_agent_id
    )
    in_team = (
        record.to_agent_id is None
        and record.to_team_id
        and actor.agent is not None
        and actor.agent.teams.filter(pk=record.to_team_id).exists()
    )
    if not (receiver or in_team or actor.is_supervisor):
        raise PermissionDenied(
            _("only the receiver of the escalation or a supervisor can acknowledge it")
        )
    now = clock.now()
    record.acknowledged_at = now
    record.acknowledged_by = actor.user
    record.save(update_fields=["acknowledged_at", "acknowledged_by"])
    run = engine.active_run(ticket, lock=True)
    if run is not None:
        run.ack_deadline_at = None
        run.awaiting_ack_from = None
        run.save(update_fields=["ack_deadline_at", "awaiting_ack_from"])
    tickets.record_event(ticket, actor, "escalation_acknowledged", after={"record": record.pk})
    return record


@transaction.atomic
def deescalate(actor: Actor, ticket_id: int, *, reason: str) -> EscalationRecord:
    """Back down one step: the team, assignee and level before the last upward move."""
    actor.require_agent()
    reason = _reason(reason)
    ticket = engine.fresh(tickets.lock_ticket(actor, ticket_id).pk)
    last_up = (
        EscalationRecord.objects.filter(
            ticket=ticket, direction=Direction.UP, deescalated_at__isnull=True
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if last_up is None:
        raise Conflict(_("Ticket #%(id)d has no escalation to undo") % {"id": ticket.pk})
    run = engine.active_run(ticket)
    index = (
        last_up.from_level - 1
        if run is not None and last_up.from_level - 1 < len(run.snapshot)
        else None
    )
    target = engine.Target(
        level_index=index,
        team=last_up.from_team,
        agent=last_up.from_agent,
        level=last_up.from_level,
    )
    record = engine.move(
        ticket,
        target,
        kind=Kind.HIERARCHICAL,
        trigger=Trigger.AGENT,
        reason=reason,
        actor=actor,
        dedupe_key=f"down:{last_up.pk}",
        direction=Direction.DOWN,
    )
    if record is None:
        raise Conflict()
    last_up.deescalated_at = record.created_at
    last_up.save(update_fields=["deescalated_at"])
    return record


# --- proactive escalation ------------------------------------------------------------------


_handling_cache: dict[int, tuple[object, float | None]] = {}


def median_handling_seconds(team_id: int | None) -> float | None:
    """The team's median time from creation to solved over the last 30 days (cached an hour)."""
    if team_id is None:
        return None
    now = clock.now()
    cached = _handling_cache.get(team_id)
    if cached is not None and now - cached[0] < timedelta(hours=1):
        return cached[1]
    durations = [
        (solved - created).total_seconds()
        for created, solved in Ticket.objects.filter(
            team_id=team_id, solved_at__gte=now - HANDLING_TIME_WINDOW
        ).values_list("created_at", "solved_at")[:2000]
    ]
    median = statistics.median(durations) if durations else None
    _handling_cache[team_id] = (now, median)
    return median


def risk_of(ticket: Ticket) -> RiskAssessment:
    now = clock.now()
    texts = (
        Message.objects.filter(
            ticket=ticket, author_customer__isnull=False, author_user__isnull=True
        )
        .order_by("-created_at")
        .values_list("body_text", flat=True)[:5]
    )
    # Without a handling history for the team, assume it needs half the nearest clock's target.
    nearest_target = (
        SlaClock.objects.filter(ticket=ticket, due_at=ticket.sla_due_at)
        .values_list("target_seconds", flat=True)
        .first()
        if ticket.sla_due_at
        else None
    )
    expected_handling = median_handling_seconds(ticket.team_id) or (
        nearest_target / 2 if nearest_target else None
    )
    return risk_score(
        RiskInputs(
            seconds_to_breach=(ticket.sla_due_at - now).total_seconds()
            if ticket.sla_due_at
            else None,
            median_handling_seconds=expected_handling,
            customer_tier=ticket.organisation.tier if ticket.organisation_id else "standard",
            reopen_count=ticket.reopen_count,
            contacts_last_7_days=Ticket.objects.filter(
                customer_id=ticket.customer_id,
                created_at__gte=now - timedelta(days=7),
                created_at__lte=now,
            ).count(),
            negativity=max(
                (negativity(text, ticket.language or None) for text in texts), default=0.0
            ),
        )
    )


def assess_risk(ticket: Ticket) -> RiskAssessment:
    """Score the ticket, keep the score for the at-risk board, and run `risk` rules once per run."""
    assessment = risk_of(ticket)
    score = round(assessment.score)
    if score != ticket.risk_score:
        db.update_row(Ticket, ticket.pk, {"risk_score": score})
        ticket.risk_score = score
    if ticket.is_open:
        run = engine.active_run(ticket)
        key = f"risk:{ticket.pk}:{run.pk if run else 0}"
        factors = "; ".join(
            f"{factor.name} +{factor.points:.0f}" for factor in assessment.factors if factor.points
        )
        engine.run_rules(
            ticket,
            "risk",
            key=key,
            reason=_("risk %(score)d (%(factors)s)") % {"score": score, "factors": factors},
            risk=assessment.score,
        )
    return assessment


def mark_notifications_read(user, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=clock.now())


@transaction.atomic
def hand_over_from_bot(actor: Actor, ticket_id: int, *, reason: str) -> EscalationRecord | None:
    """The chat bot could not help: hand the conversation to an available human agent of the
    ticket's team who speaks its language (the team queue when nobody is free). Once per step."""
    if not actor.is_system:
        raise PermissionDenied()
    reason = _reason(reason)
    ticket = engine.fresh(tickets.lock_ticket(actor, ticket_id).pk)
    if ticket.team is None:
        raise ValidationFailed(
            _("team: route the conversation to a team before handing it over"), field="team"
        )
    run = engine.active_run(ticket)
    agent_id, why = pick_agent(ticket, ticket.team)
    target = engine.Target(team=ticket.team, agent=agent_id, level=ticket.level)
    key = f"bot_handoff:{ticket.pk}:{run.step if run else 0}"
    return engine.move(
        ticket,
        target,
        kind=Kind.HIERARCHICAL,
        trigger=Trigger.BOT_HANDOFF,
        reason=f"{reason} ({why})",
        actor=actor,
        dedupe_key=key,
    )
