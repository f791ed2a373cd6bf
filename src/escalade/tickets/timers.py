"""``ticket.next_timer_at``: the earliest moment anything can fire for a ticket.

Each subsystem with timers (SLA clocks, escalation steps) registers a source that tells
its own earliest moment; the ticket keeps the minimum, indexed, so the worker finds due
tickets without scanning open ones.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from escalade.core import db
from escalade.tickets.models import Ticket

TimerSource = Callable[[Ticket], datetime | None]
_sources: list[TimerSource] = []


def timer_source(source: TimerSource) -> TimerSource:
    _sources.append(source)
    return source


_postponed = threading.local()


@contextmanager
def refreshed_once(ticket: Ticket) -> Iterator[None]:
    """Inside the block, every refresh of this ticket's timer waits for the end, where it is
    done once: one escalation step otherwise recomputes it after each of its changes."""
    pending: set[int] = getattr(_postponed, "tickets", None) or set()
    _postponed.tickets = pending
    outermost = ticket.pk not in pending
    pending.add(ticket.pk)
    try:
        yield
    finally:
        if outermost:
            pending.discard(ticket.pk)
    if outermost:
        refresh_next_timer(ticket)


def refresh_next_timer(ticket: Ticket) -> datetime | None:
    if ticket.pk in getattr(_postponed, "tickets", ()):
        return ticket.next_timer_at
    moments = [moment for source in _sources if (moment := source(ticket)) is not None]
    earliest = min(moments) if moments else None
    # Always written: nested changes in the same transaction may have moved the stored value.
    ticket.next_timer_at = earliest
    db.update_row(Ticket, ticket.pk, {"next_timer_at": earliest})
    return earliest


# Called by the worker for each claimed ticket whose timer is due, in registration order.
DueHandler = Callable[[Ticket, datetime, object], None]
_due_handlers: list[DueHandler] = []


def due_handler(handler: DueHandler) -> DueHandler:
    _due_handlers.append(handler)
    return handler


# Called by the worker with a claimed batch, inside its unit of work: each subsystem loads
# at once, with core.db.track_children, what its handlers read for every ticket.
BatchLoader = Callable[[list[Ticket]], None]
_batch_loaders: list[BatchLoader] = []


def batch_loader(loader: BatchLoader) -> BatchLoader:
    _batch_loaders.append(loader)
    return loader


def load_batch(tickets: list[Ticket]) -> None:
    for loader in _batch_loaders:
        loader(tickets)


def handle_due(ticket: Ticket, now: datetime, actor: object) -> None:
    with refreshed_once(ticket):
        for handler in _due_handlers:
            handler(ticket, now, actor)
