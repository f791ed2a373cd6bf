"""Live events: tell open pages that something changed, once the change is committed.

Other code calls :func:`publish_after_commit` inside its transaction; the event goes to the
channel layer (in-memory in one process, Redis across processes) only if the transaction
commits, and one commit sends each distinct event once, however many signals asked for it.
Events are small notices (``{"type": "escalation", "ticket": 38}``): pages fetch what they
show over HTTP, in the reader's language and with the reader's permissions.

Groups: ``board`` (supervisors' board), ``tickets`` (queues), ``ticket-<id>`` (a ticket page)
and ``user-<id>`` (one person's notifications).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import DEFAULT_DB_ALIAS, transaction

logger = logging.getLogger("escalade.live")

BOARD = "board"
TICKETS = "tickets"
MESSAGE_TYPE = "live.event"  # handled by LiveConsumer.live_event
SEND_TIMEOUT_SECONDS = 5

_loop: asyncio.AbstractEventLoop | None = None


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket-{ticket_id}"


def remember_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The server's event loop (set by the WebSocket consumer): events published from other
    threads, such as the embedded timer worker, are sent on it, where the consumers listen."""
    global _loop
    _loop = loop


def publish(group: str, event: dict[str, Any]) -> None:
    """Hand a notice to the channel layer without waiting for it (see :func:`drain`).

    Never raises: a page that misses a notice is refreshed by the next one.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": MESSAGE_TYPE, "event": event}
    try:
        loop = _loop if _loop is not None and _loop.is_running() else _sending_loop()
        if _runs_in(loop):
            async_to_sync(layer.group_send)(group, message)
            return
        future = asyncio.run_coroutine_threadsafe(_send(layer, group, message), loop)
    except Exception:  # the change is committed; a lost notice must not turn it into an error
        _lost(event, group)
        return
    with _in_flight_lock:
        _in_flight.add(future)
    future.add_done_callback(_landed)


async def _send(layer, group: str, message: dict) -> None:
    try:
        await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT_SECONDS)
    except Exception:
        _lost(message["event"], group)


def _lost(event: dict[str, Any], group: str) -> None:
    logger.warning("could not publish %s to %s", event.get("type"), group, exc_info=True)


_in_flight: set[concurrent.futures.Future] = set()
_in_flight_lock = threading.Lock()


def _landed(future: concurrent.futures.Future) -> None:
    with _in_flight_lock:
        _in_flight.discard(future)


def drain(timeout: float = SEND_TIMEOUT_SECONDS) -> None:
    """Wait until every notice published so far has reached the channel layer (tests, exit)."""
    with _in_flight_lock:
        pending = list(_in_flight)
    concurrent.futures.wait(pending, timeout=timeout)


_own_loop: asyncio.AbstractEventLoop | None = None
_own_loop_lock = threading.Lock()


def _sending_loop() -> asyncio.AbstractEventLoop:
    """A loop of our own in a daemon thread, for threads without a server loop (the worker).

    ``async_to_sync`` would start a thread and a loop for every notice, and the Redis layer a
    connection per loop; and waiting for each notice in turn would hold the worker up: a
    storm of escalations sends thousands of notices a minute.
    """
    global _own_loop
    with _own_loop_lock:
        if _own_loop is None:
            _own_loop = asyncio.new_event_loop()
            threading.Thread(
                target=_own_loop.run_forever, name="escalade-live", daemon=True
            ).start()
            atexit.register(drain)  # a worker run once still sends what it published
        return _own_loop


def _runs_in(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _Round:
    """The notices queued by one transaction: a commit sends each distinct one once."""

    def __init__(self) -> None:
        self.sent: set[tuple] = set()
        self.flushing = False


class _Publication:
    """An on-commit callback for one notice. Every call queues its own callback (O(1)), so a
    savepoint that rolls back drops exactly its own notices; duplicates are skipped when sent."""

    def __init__(self, round_: _Round, group: str, event: dict[str, Any]) -> None:
        self.round = round_
        self.group = group
        self.event = event
        self.key = (group, tuple(sorted((k, repr(v)) for k, v in event.items())))

    def __call__(self) -> None:
        self.round.flushing = True
        if self.key in self.round.sent:
            return
        self.round.sent.add(self.key)
        publish(self.group, self.event)


def publish_after_commit(
    group: str, event: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Send ``event`` to ``group`` after the current transaction commits (now, outside one).

    An identical event queued by the same transaction is sent once. A notice queued inside a
    savepoint that rolls back is dropped with it (Django discards that savepoint's callbacks).
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        publish(group, event)
        return
    # A round is joined until its commit starts sending; a transaction that rolled back leaves
    # its round unsent and the next transaction simply joins it.
    round_ = getattr(connection, "_live_round", None)
    if round_ is None or round_.flushing:
        round_ = connection._live_round = _Round()
    transaction.on_commit(_Publication(round_, group, event), using=using)
