"""The escalation engine: runs along frozen paths, moves between levels, rules, timers.

Every move writes one ``EscalationRecord`` keyed by ``dedupe_key`` (unique), changes the
ticket through the ticket services (audit events, SLA retargeting), re-arms the run's
timers and notifies — all inside the caller's transaction. A second attempt at the same
step (another worker, a retried job, a double click) finds the key taken and does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from escalade.accounts.models import Team
from escalade.core import clock, config_cache, db
from escalade.core.actors import Actor, system
from escalade.core.conditions import FirstMatch, first_match, match
from escalade.core.db import insert_once
from escalade.core.errors import ValidationFailed
from escalade.escalation.models import (
    EscalationPath,
    EscalationRecord,
    EscalationRule,
    EscalationRun,
)
from escalade.escalation.notify import Event, notify, queue_webhook
from escalade.escalation.people import manager_of, supervisor_of
from escalade.routing.services import pick_agent
from escalade.sla.models import SlaClock
from escalade.sla.services import calendar_named
from escalade.tickets import services as tickets
from escalade.tickets import timers
from escalade.tickets.models import PRIORITY_RANK, Priority, Ticket, TicketEvent
from escalade.tickets.selectors import RELATED, ticket_facts

logger = logging.getLogger("escalade.escalation")
ENGINE = system("escalation")
PRIORITY_ORDER = [p for p, _rank in sorted(PRIORITY_RANK.items(), key=lambda item: item[1])]
Kind = EscalationRecord.Kind
Trigger = EscalationRecord.Trigger
Direction = EscalationRecord.Direction


def fresh(ticket_id: int) -> Ticket:
    held = db.tracked(Ticket, ticket_id)
    if held is not None:
        return held
    return Ticket.objects.select_related(*RELATED).get(pk=ticket_id)


# --- paths and runs ----------------------------------------------------------------------------


def match_path(ticket: Ticket) -> FirstMatch[EscalationPath]:
    return first_match(
        EscalationPath.objects.order_by("position", "id"),
        ticket_facts(ticket),
        conditions_of=lambda path: path.conditions,
    )


def active_run(ticket: Ticket, *, lock: bool = False) -> EscalationRun | None:
    runs = EscalationRun.objects.filter(ticket=ticket, active=True)
    # In the worker's batch the runs were loaded (and locked) with the batch.
    held = db.children(
        EscalationRun, "ticket_id", ticket.pk, runs.select_for_update() if lock else runs
    )
    return next((run for run in held if run.active), None)


def run_calendar(ticket: Ticket) -> str:
    """Time at a level is business time on the ticket's SLA calendar, else its team's."""
    clocks = db.children(
        SlaClock, "ticket_id", ticket.pk, SlaClock.objects.filter(ticket=ticket).order_by("pk")
    )
    clock_calendar = next((c.calendar for c in clocks if c.calendar), None)
    if clock_calendar:
        return clock_calendar
    return ticket.team.calendar if ticket.team_id else ""


def _business_deadline(calendar: str, start: datetime, seconds: int | None) -> datetime | None:
    if not seconds:
        return None
    return calendar_named(calendar).add_business_time(start, int(seconds))


def _freeze(levels: list[dict], ticket: Ticket) -> list[dict]:
    """The snapshot: `team: current` becomes the ticket's team at the start."""
    current = ticket.team.slug if ticket.team_id else None
    return [
        {**level, "team": current} if level.get("team") == "current" else dict(level)
        for level in levels
    ]


def start_run(ticket: Ticket, now: datetime) -> EscalationRun | None:
    """Put the ticket on the first matching path, at the level of its team (else the first)."""
    matched = match_path(ticket)
    if matched.item is None:
        return None
    snapshot = _freeze(matched.item.levels, ticket)
    team_slug = ticket.team.slug if ticket.team_id else None
    index = next(
        (i for i, level in enumerate(snapshot) if team_slug and level.get("team") == team_slug), 0
    )
    calendar = run_calendar(ticket)
    run = db.add(
        EscalationRun(
            ticket=ticket,
            path_name=matched.item.name,
            path_reasons=matched.result.reasons,
            snapshot=snapshot,
            level_index=index,
            calendar=calendar,
            started_at=now,
            level_entered_at=now,
            level_deadline_at=_business_deadline(calendar, now, snapshot[index].get("time_limit"))
            if ticket.is_open
            else None,
        )
    )
    tickets.record_event(
        ticket,
        ENGINE,
        "escalation_path",
        after={"path": run.path_name, "level": index + 1, "reasons": run.path_reasons},
    )
    if ticket.level != index + 1:
        tickets.update_ticket(ENGINE, ticket.pk, expected_version=None, level=index + 1)
    timers.refresh_next_timer(ticket)
    return run


def end_run(run: EscalationRun, now: datetime) -> None:
    run.active = False
    run.ended_at = now
    run.level_deadline_at = run.ack_deadline_at = None
    db.save_fields(run, ["active", "ended_at", "level_deadline_at", "ack_deadline_at"])


def rearm(run: EscalationRun, ticket: Ticket, now: datetime) -> None:
    """Level timers run only while the ticket is unsolved; a reopen starts the level's time anew."""
    if ticket.is_open:
        if run.level_deadline_at is None:
            run.level_entered_at = now
            run.level_deadline_at = _business_deadline(
                run.calendar, now, run.level.get("time_limit")
            )
    else:
        run.level_deadline_at = None
        run.ack_deadline_at = None
    db.save_fields(run, ["level_entered_at", "level_deadline_at", "ack_deadline_at"])
    timers.refresh_next_timer(ticket)


# --- moving ------------------------------------------------------------------------------------

RUN_STATE = (
    "level_index",
    "step",
    "level_entered_at",
    "level_deadline_at",
    "ack_deadline_at",
    "ack_moves_on",
    "awaiting_ack_from",
)


def team_named(slug: str) -> Team | None:
    return db.memo(("team", slug), lambda: Team.objects.filter(slug=slug).first())


@dataclass(frozen=True)
class Target:
    """Where a move goes: a path level, a team (functional), or a person in the chain."""

    level_index: int | None = None
    team: Team | None = None
    agent: object | None = None
    level: int | None = None  # the ticket level after the move
    notify: tuple[str, ...] = ()
    ack_seconds: int | None = None


def _level_target(run: EscalationRun, ticket: Ticket, index: int) -> Target:
    level = run.snapshot[index]
    team, agent = ticket.team, ticket.assignee
    if level.get("team"):
        team = team_named(level["team"])
        agent = None
        if team is not None:
            agent_id, _reason = pick_agent(ticket, team)
            agent = agent_id
    elif level.get("role") == "supervisor":
        agent = supervisor_of(ticket)
    elif level.get("role") == "manager":
        agent = manager_of(ticket)
    elif level.get("agent"):
        agent = level["agent"]
    return Target(
        level_index=index,
        team=team,
        agent=agent,
        level=index + 1,
        notify=tuple(level.get("notify") or ()),
        ack_seconds=level.get("acknowledge"),
    )


def resolve_target(
    run: EscalationRun | None, ticket: Ticket, to: str, team_slug: str | None = None
) -> Target:
    """`next_level`, `supervisor`, `manager` (up) or `team` (across)."""
    if to == "team":
        team = team_named(team_slug or "")
        if team is None:
            raise ValidationFailed(_("team: no team %(team)r") % {"team": team_slug}, field="team")
        agent_id, _reason = pick_agent(ticket, team)
        return Target(team=team, agent=agent_id, level=team.tier_level)
    if run is not None:
        if to == "next_level":
            if run.level_index + 1 >= len(run.snapshot):
                raise ValidationFailed(
                    _("to: the ticket is already at the last level of the path %(path)s")
                    % {"path": run.path_name},
                    field="to",
                )
            return _level_target(run, ticket, run.level_index + 1)
        # A supervisor or manager level further up the path is entered as a level.
        for index in range(run.level_index + 1, len(run.snapshot)):
            if run.snapshot[index].get("role") == to:
                return _level_target(run, ticket, index)
    if to == "next_level":
        raise ValidationFailed(_("to: no escalation path applies to this ticket"), field="to")
    person = supervisor_of(ticket) if to == "supervisor" else manager_of(ticket)
    if person is None:
        raise ValidationFailed(
            _("to: nobody is the %(role)s of this ticket") % {"role": to}, field="to"
        )
    return Target(agent=person, level=min(ticket.level + 1, 10), notify=("assignee",))


def move(
    ticket: Ticket,
    target: Target,
    *,
    kind: str,
    trigger: str,
    reason: str,
    actor: Actor,
    dedupe_key: str,
    direction: str = Direction.UP,
    rule: str = "",
    ack_seconds: int | None = None,
    notify_also: tuple[str, ...] = (),
    event_key: str | None = None,
) -> EscalationRecord | None:
    """Move the ticket to ``target`` once: None if this step (``dedupe_key``) already happened."""
    now = clock.now()
    run = active_run(ticket, lock=True)
    ack_seconds = ack_seconds if ack_seconds is not None else target.ack_seconds
    new_team = target.team if target.team is not None else ticket.team
    new_agent = tickets.resolve_agent(target.agent) if target.agent is not None else None
    if (
        new_team == ticket.team
        and new_agent is not None
        and new_agent == ticket.assignee
        and target.level_index is None
    ):
        # Already with that person (e.g. a rule escalating to the manager who has it): no move.
        tickets.record_event(
            ticket,
            actor,
            "escalation_skipped",
            after={"why": "already there", "agent": new_agent.username},
            note=reason,
        )
        return None
    record = insert_once(
        EscalationRecord(
            ticket=ticket,
            run=run,
            kind=kind,
            trigger=trigger,
            direction=direction,
            dedupe_key=dedupe_key[:255],
            rule=rule,
            from_team=ticket.team,
            to_team=new_team,
            from_level=ticket.level,
            to_level=target.level or ticket.level,
            from_agent=ticket.assignee,
            to_agent=new_agent,
            reason=reason,
            actor_user=actor.user,
            actor_label=actor.label,
            created_at=now,
            ack_required=bool(ack_seconds),
        )
    )
    if record is None:
        return None
    before = ticket
    changes = {"level": record.to_level, "assignee": new_agent}
    if new_team != ticket.team:
        changes["team"] = new_team
    tickets.update_ticket(
        actor if not actor.is_customer else ENGINE,
        ticket.pk,
        expected_version=None,
        reason=reason,
        **changes,
    )
    ticket = fresh(ticket.pk)

    if kind == Kind.FUNCTIONAL and run is not None:
        end_run(run, now)
        run = start_run(ticket, now)
    elif run is not None:
        if target.level_index is not None:
            run.level_index = target.level_index
        run.step += 1
        run.level_entered_at = now
        run.level_deadline_at = (
            _business_deadline(run.calendar, now, run.level.get("time_limit"))
            if target.level_index is not None
            else run.level_deadline_at
        )
    if run is not None:
        run.ack_deadline_at = _business_deadline(run.calendar, now, ack_seconds)
        run.ack_moves_on = target.level_index is not None and bool(ack_seconds)
        run.awaiting_ack_from = new_agent if ack_seconds else None
        db.save_fields(run, RUN_STATE)
        record.run = run
    if ack_seconds:
        record.ack_deadline_at = run.ack_deadline_at if run is not None else None
    db.save_fields(record, ["run", "ack_deadline_at"])
    timers.refresh_next_timer(ticket)
    tickets.record_event(
        ticket,
        actor,
        "escalated",
        after={
            "record": record.pk,
            "kind": kind,
            "trigger": trigger,
            "to_level": record.to_level,
            "to_team": new_team.slug if new_team else None,
            "to_agent": new_agent.username if new_agent else None,
        },
        note=reason,
    )
    title = _("Ticket #%(id)d escalated to level %(level)d") % {
        "id": ticket.pk,
        "level": record.to_level,
    }
    body = _("%(kind)s escalation (%(trigger)s): %(reason)s") % {
        "kind": record.get_kind_display(),
        "trigger": record.get_trigger_display(),
        "reason": reason,
    }
    # One happening reaches each person once, however many actions of it notify them.
    notify(
        ticket,
        ("assignee", *target.notify, *notify_also),
        Event(event_key or f"esc:{record.pk}", "escalated", title, body),
        chain_of=before,
    )
    return record


# --- rules -------------------------------------------------------------------------------------


def _threshold_matches(rule: EscalationRule, threshold: str | None) -> bool:
    if not rule.threshold or threshold is None:
        return True
    if "percent" in rule.threshold and rule.threshold["percent"] is not None:
        return threshold == f"{float(rule.threshold['percent']):g}%"
    return threshold == f"{int(rule.threshold['seconds_before'])}s-before"


def rules_for(
    ticket: Ticket,
    trigger: str,
    *,
    metric: str | None = None,
    threshold: str | None = None,
    risk: float | None = None,
) -> list[tuple[EscalationRule, list[str]]]:
    """The rules that would run for this trigger now, each with why it matches."""
    facts = ticket_facts(ticket)
    chosen = []
    for rule in _rules_on(trigger):
        if metric and rule.metric not in ("", "any", metric):
            continue
        if not _threshold_matches(rule, threshold):
            continue
        if rule.min_risk is not None and (risk is None or risk < rule.min_risk):
            continue
        result = match(rule.conditions, facts)
        if result.matched:
            chosen.append((rule, result.reasons))
    return chosen


def has_rules(trigger: str) -> bool:
    return bool(_rules_on(trigger))


def _rules_on(trigger: str) -> list[EscalationRule]:
    return config_cache.cached(
        f"rules:{trigger}",
        lambda: list(EscalationRule.objects.filter(on=trigger).order_by("position", "id")),
    )


# Actions that only tell someone: the next action needs no fresh copy of the ticket.
READ_ONLY_ACTIONS = {"notify", "webhook"}

AUTOMATIC_TRIGGERS = {
    Trigger.SLA_WARNING,
    Trigger.SLA_BREACH,
    Trigger.LEVEL_TIMEOUT,
    Trigger.RISK,
    Trigger.RULE,
}


def run_rules(
    ticket: Ticket,
    trigger: str,
    *,
    key: str,
    reason: str,
    metric: str | None = None,
    threshold: str | None = None,
    risk: float | None = None,
    record_trigger: str | None = None,
) -> list[EscalationRecord]:
    """Run every matching rule's actions once (keyed by ``key``); returns the moves made."""
    moves = []
    if not _rules_on(trigger):
        return moves
    record_trigger = record_trigger or (trigger if trigger in Trigger.values else Trigger.RULE)
    for rule, reasons in rules_for(ticket, trigger, metric=metric, threshold=threshold, risk=risk):
        for index, action in enumerate(rule.actions):
            if index and not set(rule.actions[index - 1]) & READ_ONLY_ACTIONS:
                ticket = fresh(ticket.pk)  # the previous action may have changed it
            step_key = f"{key}:rule:{rule.name}:{index}"
            why = _("rule %(rule)s: %(reason)s") % {"rule": rule.name, "reason": reason}
            record = perform(
                ticket,
                action,
                key=step_key,
                event_key=key,
                reason=why,
                trigger=record_trigger,
                rule=rule.name,
            )
            if record is not None:
                moves.append(record)
        logger.info(
            "rule %s ran on #%d (%s): %s", rule.name, ticket.pk, trigger, "; ".join(reasons)
        )
    return moves


def perform(
    ticket: Ticket, action: dict, *, key: str, event_key: str, reason: str, trigger: str, rule: str
) -> EscalationRecord | None:
    """One action of a rule. Escalations are recorded; the others are audited ticket changes."""
    if "escalate" in action:
        spec = (
            action["escalate"]
            if isinstance(action["escalate"], dict)
            else {"to": action["escalate"]}
        )
        run = active_run(ticket)
        try:
            target = resolve_target(run, ticket, spec["to"], spec.get("team"))
        except ValidationFailed as exc:
            tickets.record_event(
                ticket,
                ENGINE,
                "escalation_skipped",
                after={"rule": rule, "why": exc.message},
                note=reason,
            )
            return None
        kind = (
            Kind.FUNCTIONAL
            if spec["to"] == "team"
            else (Kind.HIERARCHICAL if trigger == Trigger.CUSTOMER_REQUEST else Kind.AUTOMATIC)
        )
        return move(
            ticket,
            target,
            kind=kind,
            trigger=trigger,
            reason=reason,
            actor=ENGINE,
            dedupe_key=key,
            rule=rule,
            ack_seconds=spec.get("acknowledge"),
            direction=Direction.ACROSS if kind == Kind.FUNCTIONAL else Direction.UP,
            event_key=event_key,
        )
    if "notify" in action:
        title = _("Ticket #%(id)d: %(rule)s") % {"id": ticket.pk, "rule": rule}
        notify(ticket, action["notify"], Event(event_key, trigger, title, reason))
    elif "raise_priority" in action:
        raised = priority_after(ticket.priority, int(action["raise_priority"]))
        if raised != ticket.priority and _first_time(ticket, key):
            tickets.update_ticket(
                ENGINE, ticket.pk, expected_version=None, reason=reason, priority=raised
            )
    elif "add_tag" in action:
        if action["add_tag"] not in ticket.tags:
            tickets.update_ticket(
                ENGINE,
                ticket.pk,
                expected_version=None,
                reason=reason,
                tags=[*ticket.tags, action["add_tag"]],
            )
    elif "webhook" in action:
        queue_webhook(
            action["webhook"],
            Event(
                event_key,
                trigger,
                _("Ticket #%(id)d: %(rule)s") % {"id": ticket.pk, "rule": rule},
                reason,
            ),
            ticket,
        )
    return None


def _first_time(ticket: Ticket, key: str) -> bool:
    """A non-escalation action that is not idempotent by itself (raising priority) runs once per key."""
    if TicketEvent.objects.filter(ticket=ticket, kind="rule_action", note=key).exists():
        return False
    tickets.record_event(ticket, ENGINE, "rule_action", note=key)
    return True


def priority_after(priority: str, steps: int) -> str:
    index = PRIORITY_ORDER.index(Priority(priority))
    return PRIORITY_ORDER[min(len(PRIORITY_ORDER) - 1, index + steps)]
