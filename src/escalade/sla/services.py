"""The SLA engine: which policy applies, the clocks of a ticket, and firing their thresholds.

Clocks are recomputed in the transaction of every ticket change (``on_ticket_changed``)
and fired by the worker sweep (``fire_due``). Semantics are documented in docs/sla.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.dispatch import Signal

from escalade.core import clock, config_cache, db
from escalade.core.actors import Actor
from escalade.core.conditions import FirstMatch, first_match, validate_conditions
from escalade.core.db import insert_once
from escalade.core.errors import ValidationFailed
from escalade.sla import clockmath
from escalade.sla.calendar import BusinessCalendar
from escalade.sla.models import Calendar, Metric, SlaClock, SlaFiring, SlaPolicy
from escalade.tickets import timers
from escalade.tickets.models import Message, Status, Ticket, TicketEvent
from escalade.tickets.selectors import ticket_facts

logger = logging.getLogger(__name__)

DEFAULT_PAUSE_ON = ("pending", "on_hold")
ALWAYS_OPEN = BusinessCalendar.always_open()
RESPONSE_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE)

# kwargs: ticket, clock (SlaClock), threshold (str), reached_at (datetime), breach (bool)
sla_threshold_reached = Signal()


def calendar_named(name: str) -> BusinessCalendar:
    """A named calendar (cached, see core.config_cache); unknown or empty -> 24/7."""
    if not name:
        return ALWAYS_OPEN
    spec = config_cache.cached(
        f"calendar:{name}",
        lambda: Calendar.objects.filter(name=name).values_list("spec", flat=True).first(),
    )
    if spec is None:
        logger.warning("SLA calendar %r does not exist; counting 24/7", name)
        return ALWAYS_OPEN
    # from_spec returns one shared instance per spec, with its precomputed years.
    return BusinessCalendar.from_spec(spec)


def active_policies() -> list[SlaPolicy]:
    return config_cache.cached(
        "sla-policies",
        lambda: list(SlaPolicy.objects.filter(active=True).order_by("position", "id")),
    )


def match_policy(
    ticket: Ticket, policies: Iterable[SlaPolicy] | None = None
) -> FirstMatch[SlaPolicy]:
    return first_match(
        policies if policies is not None else active_policies(),
        ticket_facts(ticket),
        conditions_of=lambda policy: policy.conditions,
    )


def calendar_name_for(policy: SlaPolicy, ticket: Ticket) -> str:
    if policy.calendar == "team":
        return ticket.team.calendar if ticket.team else ""
    if policy.calendar == "organisation":
        return ticket.organisation.calendar if ticket.organisation else ""
    return policy.calendar


def _reading(sla_clock: SlaClock) -> clockmath.ClockReading:
    return clockmath.ClockReading(
        sla_clock.used_seconds, sla_clock.running_since, sla_clock.target_seconds
    )


def used_now(sla_clock: SlaClock, now: datetime) -> int:
    return clockmath.used_at(_reading(sla_clock), calendar_named(sla_clock.calendar), now)


# --- the clocks of one ticket -------------------------------------------------------------


@dataclass
class _Context:
    ticket: Ticket
    policy: SlaPolicy | None
    calendar_name: str
    now: datetime

    @property
    def pause_on(self) -> tuple[str, ...]:
        if self.policy is None:
            return DEFAULT_PAUSE_ON
        return tuple(self.policy.pause_on or DEFAULT_PAUSE_ON)

    def target(self, metric: str) -> int | None:
        if self.policy is None:
            return None
        value = (self.policy.targets.get(self.ticket.priority) or {}).get(metric)
        return int(value) if value else None


def _settle(sla_clock: SlaClock, now: datetime) -> None:
    """Move the business time used so far into ``used_seconds``, on the clock's own calendar."""
    if sla_clock.running_since is not None and now > sla_clock.running_since:
        sla_clock.used_seconds = used_now(sla_clock, now)
        sla_clock.running_since = now


def _start(clocks: dict[str, SlaClock], context: _Context, metric: str, *, new_cycle: bool) -> None:
    target = context.target(metric)
    if target is None:
        return
    existing = clocks.get(metric)
    if existing is None:
        existing = SlaClock(ticket=context.ticket, metric=metric, cycle=0)
        clocks[metric] = existing
    elif not new_cycle:
        return
    existing.cycle += 1
    existing.policy = context.policy.name
    existing.calendar = context.calendar_name
    existing.target_seconds = target
    existing.started_at = context.now
    existing.used_seconds = 0
    existing.running_since = context.now
    existing.paused_at = None
    existing.fired = []
    existing.warned_at = existing.breached_at = existing.fulfilled_at = existing.stopped_at = None


def _fulfil(sla_clock: SlaClock | None, now: datetime) -> None:
    if sla_clock is not None and sla_clock.fulfilled_at is None and sla_clock.stopped_at is None:
        _settle(sla_clock, now)
        sla_clock.fulfilled_at = now
        sla_clock.running_since = None
        sla_clock.paused_at = None


def _stop(sla_clock: SlaClock, now: datetime) -> None:
    if sla_clock.fulfilled_at is None and sla_clock.stopped_at is None:
        _settle(sla_clock, now)
        sla_clock.stopped_at = now
        sla_clock.running_since = None
        sla_clock.paused_at = None


def _is_live(sla_clock: SlaClock) -> bool:
    return sla_clock.fulfilled_at is None and sla_clock.stopped_at is None


def _apply_events(
    clocks: dict[str, SlaClock],
    context: _Context,
    changes: dict,
    message: Message | None,
    created: bool,
) -> None:
    ticket, now = context.ticket, context.now
    if created:
        _start(clocks, context, Metric.FIRST_RESPONSE, new_cycle=False)
        _start(clocks, context, Metric.RESOLUTION, new_cycle=False)
        return
    if message is not None and message.kind == Message.Kind.PUBLIC and not message.is_automatic:
        if message.author_customer_id and not message.author_user_id:
            first = clocks.get(Metric.FIRST_RESPONSE)
            awaiting_first = first is not None and _is_live(first)
            next_response = clocks.get(Metric.NEXT_RESPONSE)
            # Measured from the oldest unanswered customer message: a running clock keeps its start.
            if not awaiting_first and (next_response is None or not _is_live(next_response)):
                _start(clocks, context, Metric.NEXT_RESPONSE, new_cycle=True)
        elif message.author_user_id:
            _fulfil(clocks.get(Metric.FIRST_RESPONSE), now)
            _fulfil(clocks.get(Metric.NEXT_RESPONSE), now)
            _fulfil(clocks.get(Metric.PERIODIC_UPDATE), now)
            _start(clocks, context, Metric.PERIODIC_UPDATE, new_cycle=True)
    if "status" in changes:
        before, after = changes["status"]
        if after == Status.SOLVED:
            _fulfil(clocks.get(Metric.RESOLUTION), now)
            for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.PERIODIC_UPDATE):
                if metric in clocks:
                    _stop(clocks[metric], now)
        elif after == Status.CLOSED:
            for sla_clock in clocks.values():
                _stop(sla_clock, now)
        elif before == Status.SOLVED:
            # A reopen resumes resolution with the business time it had already used.
            resolution = clocks.get(Metric.RESOLUTION)
            if resolution is not None:
                resolution.fulfilled_at = None
                resolution.running_since = now
    if ticket.status in (Status.SOLVED, Status.CLOSED):
        return
    paused = ticket.status in context.pause_on
    for sla_clock in clocks.values():
        if not _is_live(sla_clock):
            continue
        if paused and sla_clock.paused_at is None:
            _settle(sla_clock, now)
            sla_clock.paused_at = now
            sla_clock.running_since = None
        elif not paused and sla_clock.paused_at is not None:
            sla_clock.paused_at = None
            sla_clock.running_since = now


def _retarget(clocks: dict[str, SlaClock], context: _Context) -> None:
    """A new priority or policy keeps the business time used and changes only the target."""
    for metric, sla_clock in clocks.items():
        if not _is_live(sla_clock):
            continue
        target = context.target(metric)
        if target is None:
            _stop(sla_clock, context.now)
            continue
        # Used time is settled on the calendar it was counted in; the rest counts on the new one.
        _settle(sla_clock, context.now)
        sla_clock.calendar = context.calendar_name
        sla_clock.policy = context.policy.name
        sla_clock.target_seconds = target


def _schedule(sla_clock: SlaClock, warn_at: list[dict]) -> None:
    """Due time and next firing of a running clock. A paused clock has no due time; a
    fulfilled or stopped one keeps the due time it had, for reports."""
    if sla_clock.running_since is None:
        if sla_clock.paused_at is not None:
            sla_clock.due_at = None
        sla_clock.next_fire_at = None
        return
    calendar = calendar_named(sla_clock.calendar)
    reading = _reading(sla_clock)
    sla_clock.due_at = clockmath.due_at(reading, calendar)
    pending = clockmath.next_unfired(
        reading, calendar, clockmath.thresholds(sla_clock.target_seconds, warn_at), sla_clock.fired
    )
    sla_clock.next_fire_at = pending[1] if pending else None


def _summarise(ticket: Ticket, clocks: Iterable[SlaClock], *, refresh_timer: bool = True) -> None:
    """Denormalise onto the ticket what queues sort and filter by."""
    live = [c for c in clocks if _is_live(c)]
    due_times = [c.due_at for c in live if c.due_at is not None and c.breached_at is None]
    if any(c.breached_at is not None for c in live):
        state = "breached"
    elif any(c.warned_at is not None for c in live):
        state = "at_risk"
    elif live and all(c.paused_at is not None for c in live):
        state = "paused"
    elif live:
        state = "running"
    else:
        state = ""
    ticket.sla_state = state
    ticket.sla_due_at = min(due_times) if due_times else None
    db.update_row(
        Ticket, ticket.pk, {"sla_state": ticket.sla_state, "sla_due_at": ticket.sla_due_at}
    )
    if refresh_timer:
        timers.refresh_next_timer(ticket)


@timers.timer_source
def _next_sla_firing(ticket: Ticket) -> datetime | None:
    clocks = db.children(SlaClock, "ticket_id", ticket.pk, ticket.sla_clocks.all())
    return min((c.next_fire_at for c in clocks if c.next_fire_at is not None), default=None)


_CLOCK_STATE = (
    "cycle",
    "policy",
    "calendar",
    "target_seconds",
    "started_at",
    "used_seconds",
    "running_since",
    "paused_at",
    "due_at",
    "next_fire_at",
    "fired",
    "warned_at",
    "breached_at",
    "fulfilled_at",
    "stopped_at",
)


def _state_of(sla_clock: SlaClock) -> tuple:
    return tuple(getattr(sla_clock, name) for name in _CLOCK_STATE)


def _save_clocks(clocks: Iterable[SlaClock]) -> None:
    """Write new clocks, and of the others only the fields that changed since they were read.

    (``bulk_update`` would be one statement, but Django builds it from CASE expressions whose
    construction costs more than the round trips it saves.)
    """
    for sla_clock in clocks:
        loaded = getattr(sla_clock, "_loaded_state", None)
        state = _state_of(sla_clock)
        if loaded == state:
            continue
        if sla_clock.pk is None:
            db.add(sla_clock)
        elif loaded is None:
            db.save_fields(sla_clock, _CLOCK_STATE)
        else:
            changed = [
                name for name, a, b in zip(_CLOCK_STATE, loaded, state, strict=True) if a != b
            ]
            db.save_fields(sla_clock, changed)
        sla_clock._loaded_state = state


def _load_clocks(ticket: Ticket) -> list[SlaClock]:
    clocks = db.children(SlaClock, "ticket_id", ticket.pk, ticket.sla_clocks.all())
    for sla_clock in clocks:
        sla_clock._loaded_state = _state_of(sla_clock)
    return clocks


def recompute(
    ticket: Ticket,
    *,
    changes: dict | None = None,
    message: Message | None = None,
    created: bool = False,
    policies: list[SlaPolicy] | None = None,
) -> list[SlaClock]:
    """Bring the ticket's clocks up to date after a change; runs in the change's transaction."""
    now = clock.now()
    clocks = {c.metric: c for c in _load_clocks(ticket)}
    policy = match_policy(ticket, policies).item
    context = _Context(ticket, policy, calendar_name_for(policy, ticket) if policy else "", now)
    _apply_events(clocks, context, changes or {}, message, created)
    _retarget(clocks, context)
    warn_at = policy.warn_at if policy else []
    for sla_clock in clocks.values():
        _schedule(sla_clock, warn_at)
    _save_clocks(clocks.values())
    _summarise(ticket, clocks.values())
    return list(clocks.values())


# --- firing ------------------------------------------------------------------------------------


def fire_due(ticket: Ticket, now: datetime, actor: Actor) -> list[SlaFiring]:
    """Fire every warning and breach the ticket's clocks have reached by ``now``, once each.

    The caller holds the ticket row locked. A threshold fired before (another worker, a
    crashed run that committed) is skipped by the unique key, never doubled. Listeners are
    told only after the clocks are saved: what they change (an escalation moving the ticket)
    recomputes the clocks from the stored state.
    """
    fired: list[tuple[SlaFiring, SlaClock]] = []
    clocks = _load_clocks(ticket)
    policy = (
        next((p for p in active_policies() if p.name == clocks[0].policy), None) if clocks else None
    )
    warn_at = policy.warn_at if policy else []
    for sla_clock in clocks:
        if not _is_live(sla_clock) or sla_clock.running_since is None:
            continue
        calendar = calendar_named(sla_clock.calendar)
        points = clockmath.thresholds(sla_clock.target_seconds, warn_at)
        for point, reached_at in clockmath.reached(
            _reading(sla_clock), calendar, points, sla_clock.fired, now
        ):
            firing = _record_firing(ticket, sla_clock, point.key, reached_at, now, actor)
            sla_clock.fired = [*sla_clock.fired, point.key]
            if firing is None:
                continue
            fired.append((firing, sla_clock))
            if point.key == clockmath.BREACH:
                sla_clock.breached_at = sla_clock.breached_at or reached_at
            else:
                sla_clock.warned_at = sla_clock.warned_at or reached_at
        _schedule(sla_clock, warn_at)
    _save_clocks(clocks)
    # The worker refreshes next_timer_at once after every handler of the ticket has run.
    _summarise(ticket, clocks, refresh_timer=False)
    for firing, sla_clock in fired:
        sla_threshold_reached.send(
            sender=SlaClock,
            ticket=ticket,
            clock=sla_clock,
            threshold=firing.threshold,
            reached_at=firing.due_at,
            breach=firing.threshold == clockmath.BREACH,
        )
    return [firing for firing, _clock in fired]


def _record_firing(
    ticket: Ticket,
    sla_clock: SlaClock,
    threshold: str,
    reached_at: datetime,
    now: datetime,
    actor: Actor,
) -> SlaFiring | None:
    firing = insert_once(
        SlaFiring(
            ticket=ticket,
            metric=sla_clock.metric,
            cycle=sla_clock.cycle,
            threshold=threshold,
            due_at=reached_at,
            fired_at=now,
        )
    )
    if firing is None:
        return None
    kind = "sla_breach" if threshold == clockmath.BREACH else "sla_warning"
    db.add(
        TicketEvent(
            ticket=ticket,
            kind=kind,
            actor_user=None,
            actor_label=actor.label,
            after={
                "metric": sla_clock.metric,
                "threshold": threshold,
                "cycle": sla_clock.cycle,
                "reached_at": reached_at.isoformat(),
                "due_at": sla_clock.due_at.isoformat() if sla_clock.due_at else None,
            },
            created_at=now,
        )
    )
    return firing


# --- configuration (admins) --------------------------------------------------------------------

METRICS = tuple(Metric.values)
PRIORITIES = ("low", "normal", "high", "urgent")


@transaction.atomic
def save_calendar(actor: Actor, name: str, spec: dict) -> Calendar:
    actor.require_admin()
    try:
        BusinessCalendar.from_spec(spec)
    except ValueError as exc:
        raise ValidationFailed(f"calendars.{name}: {exc}", field="spec") from None
    calendar, _created = Calendar.objects.update_or_create(name=name, defaults={"spec": spec})
    transaction.on_commit(config_cache.clear)
    config_cache.clear()
    return calendar


@transaction.atomic
def save_policy(
    actor: Actor,
    name: str,
    *,
    targets: dict,
    position: int = 0,
    conditions: dict | None = None,
    calendar: str = "",
    pause_on: Iterable[str] = DEFAULT_PAUSE_ON,
    warn_at: list[dict] | None = None,
    active: bool = True,
) -> SlaPolicy:
    """Create or replace a policy. Running clocks pick the change up at their next recompute,
    keeping the business time they have used."""
    actor.require_admin()
    problems = validate_conditions(conditions or {})
    if problems:
        raise ValidationFailed(f"conditions: {problems[0]}", field="conditions")
    for priority, metrics in targets.items():
        if priority not in PRIORITIES:
            raise ValidationFailed(f"targets: {priority!r} is not a priority", field="targets")
        for metric, seconds in metrics.items():
            if metric not in METRICS:
                raise ValidationFailed(
                    f"targets.{priority}: {metric!r} is not a metric", field="targets"
                )
            if not isinstance(seconds, int) or seconds <= 0:
                raise ValidationFailed(
                    f"targets.{priority}.{metric}: must be a positive number of seconds",
                    field="targets",
                )
    bad_status = set(pause_on) - set(Status.values)
    if bad_status:
        raise ValidationFailed(
            f"pause_on: {sorted(bad_status)[0]!r} is not a status", field="pause_on"
        )
    policy, _created = SlaPolicy.objects.update_or_create(
        name=name,
        defaults={
            "position": position,
            "conditions": conditions or {},
            "calendar": calendar,
            "pause_on": list(pause_on),
            "targets": targets,
            "warn_at": warn_at or [],
            "active": active,
        },
    )
    transaction.on_commit(config_cache.clear)
    config_cache.clear()
    return policy
