"""The timer worker: claims tickets whose ``next_timer_at`` has come and fires what is due.

On PostgreSQL any number of workers run side by side: each batch is claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` and handled in one transaction, so a worker killed
mid-batch rolls back and the batch is claimed again by the next sweep. Exactly-once comes
from unique keys on what fires (SLA firings, escalation steps, outbox dedupe keys).
On SQLite one worker sweeps at a time, holding a lease row.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from escalade.core import clock, unit_of_work
from escalade.core.actors import system
from escalade.tickets import timers
from escalade.tickets.models import Ticket
from escalade.tickets.selectors import RELATED

logger = logging.getLogger("escalade.worker")
WORKER_ACTOR = system("worker")
LEASE_NAME = "timer-sweep"
LEASE_SECONDS = 60
# A timer this far overdue means no worker ran: the watchdog says so instead of staying silent.
OVERDUE_GRACE = timedelta(minutes=2)


@dataclass
class SweepResult:
    tickets: int = 0
    batches: int = 0
    overdue: int = 0
    outbox_sent: int = 0
    outbox_failed: int = 0
    redone: int = 0
    errors: list[str] = field(default_factory=list)


def sweep(now: datetime | None = None, *, batch_size: int = 200) -> SweepResult:
    """Handle every ticket due at ``now``, batch by batch, each batch in one transaction.

    A given ``now`` (``--once --now``, tests) is also what every action in the sweep sees as
    the current time, so deadlines set by escalations count from the sweep's moment.
    """
    if now is None:
        return _sweep(clock.now(), batch_size)
    with clock.frozen(now):
        return _sweep(now, batch_size)


def _sweep(now: datetime, batch_size: int) -> SweepResult:
    result = SweepResult()
    result.overdue = (
        Ticket.objects.filter(next_timer_at__lt=now - OVERDUE_GRACE).count()
        if _watchdog_due()
        else 0
    )
    if result.overdue:
        logger.warning(
            "watchdog: %d tickets have timers overdue by more than %s",
            result.overdue,
            OVERDUE_GRACE,
        )
    if not Ticket.objects.filter(next_timer_at__lte=now).exists():
        # Nothing due: no transaction, so SQLite's write lock is not taken every second.
        return result
    cursor: tuple[datetime, int] | None = None
    while True:
        try:
            handled, last = _handle_batch(now, cursor, batch_size, in_unit=True)
        except Exception as error:
            # The unit of work is a fast path: whatever it could not carry through (Redo, or
            # an error it may have caused) is done again ticket by ticket, the plain way,
            # where a real error surfaces as before.
            if isinstance(error, unit_of_work.Redo):
                logger.info("batch handled again ticket by ticket: %s", error)
            else:
                logger.warning(
                    "batch failed in its unit of work; handling it ticket by ticket", exc_info=True
                )
            result.redone += 1
            handled, last = _handle_batch(now, cursor, batch_size, in_unit=False)
        if not handled:
            break
        cursor = last
        result.tickets += handled
        result.batches += 1
        if handled < batch_size:
            break
    return result


def _handle_batch(
    now: datetime, cursor: tuple[datetime, int] | None, batch_size: int, *, in_unit: bool
) -> tuple[int, tuple[datetime, int] | None]:
    """Claim the next batch of due tickets and fire what is due, in one transaction.

    In a unit of work (core.unit_of_work) the batch's rows are read once and its writes sent
    together; when the unit cannot vouch for its result it raises Redo, the transaction rolls
    back, and the caller handles the same batch again ticket by ticket.
    """
    with transaction.atomic():
        due = Ticket.objects.filter(next_timer_at__lte=now)
        if cursor is not None:
            # Keyset paging: a ticket re-armed to an earlier moment waits for the next sweep.
            due = due.filter(
                Q(next_timer_at__gt=cursor[0]) | Q(next_timer_at=cursor[0], pk__gt=cursor[1])
            )
        due = due.order_by("next_timer_at", "pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        batch = list(due.select_related(*RELATED)[:batch_size])
        if not batch:
            return 0, cursor
        # The keyset cursor goes on from the moment the last ticket was due at.
        last = (batch[-1].next_timer_at, batch[-1].pk)
        if not in_unit:
            for ticket in batch:
                timers.handle_due(ticket, now, WORKER_ACTOR)
            return len(batch), last
        with unit_of_work.unit_of_work() as unit:
            unit.track(batch)
            timers.load_batch(batch)
            for ticket in batch:
                timers.handle_due(unit.copy_of(Ticket, ticket.pk), now, WORKER_ACTOR)
    return len(batch), last


_last_watchdog = [0.0]


def _watchdog_due() -> bool:
    """Count overdue timers at most once a minute: it is a scan of the due index."""
    moment = time.monotonic()
    if moment - _last_watchdog[0] < 60:
        return False
    _last_watchdog[0] = moment
    return True


# --- the SQLite lease ---------------------------------------------------------------------


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _holder_alive(holder: str) -> bool:
    """A lease left by a process of this host that has died (killed, crashed) is free."""
    host, _sep, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_lease() -> bool:
    """PostgreSQL needs no lease. On SQLite take or renew the single-worker lease."""
    if connection.vendor == "postgresql":
        return True
    from escalade.sla.models import WorkerLease

    now = clock.now()
    holder = _holder()
    with transaction.atomic():
        lease = WorkerLease.objects.filter(name=LEASE_NAME).first()
        if lease is None:
            try:
                with transaction.atomic():
                    WorkerLease.objects.create(
                        name=LEASE_NAME,
                        holder=holder,
                        expires_at=now + timedelta(seconds=LEASE_SECONDS),
                    )
                return True
            except IntegrityError:
                return False
        if lease.holder != holder and lease.expires_at > now and _holder_alive(lease.holder):
            return False
        lease.holder = holder
        lease.expires_at = now + timedelta(seconds=LEASE_SECONDS)
        lease.save(update_fields=["holder", "expires_at"])
        return True


def release_lease() -> None:
    if connection.vendor == "postgresql":
        return
    from escalade.sla.models import WorkerLease

    WorkerLease.objects.filter(name=LEASE_NAME, holder=_holder()).delete()


def run_once(now: datetime | None = None, *, batch_size: int = 200) -> SweepResult:
    """One sweep of timers and the outbox, as ``escalade worker --once`` runs it."""
    from escalade.core import outbox

    result = sweep(now, batch_size=batch_size)
    sent, failed = outbox.deliver_due(now)
    result.outbox_sent, result.outbox_failed = sent, failed
    return result


def _poll_mail() -> None:
    """Read the IMAP mailboxes when their interval has passed (only if any is configured).

    A mailbox error is logged by the poll itself; nothing here may stop the worker.
    """
    try:
        from escalade.mail import imap

        imap.poll_if_due()
    except Exception:
        logger.exception("mail poll failed; the worker goes on")


def run_forever(
    *, interval: float = 1.0, batch_size: int = 200, stop: threading.Event | None = None
) -> None:
    stop = stop or threading.Event()
    waiting_logged = False
    while not stop.is_set():
        try:
            if acquire_lease():
                waiting_logged = False
                result = run_once(batch_size=batch_size)
                if result.tickets or result.outbox_sent or result.outbox_failed:
                    logger.info(
                        "swept %d tickets, sent %d, failed %d",
                        result.tickets,
                        result.outbox_sent,
                        result.outbox_failed,
                    )
                _poll_mail()
            elif not waiting_logged:
                logger.info("another worker holds the SQLite lease; waiting")
                waiting_logged = True
        except Exception:
            logger.exception("worker sweep failed; retrying")
        finally:
            connection.close_if_unusable_or_obsolete()
        stop.wait(interval)
    release_lease()


def start_embedded(interval: float = 1.0) -> threading.Thread:
    """The worker thread `escalade serve` and `demo` run unless --no-worker."""
    thread = threading.Thread(
        target=run_forever, kwargs={"interval": interval}, name="escalade-worker", daemon=True
    )
    thread.start()
    return thread
