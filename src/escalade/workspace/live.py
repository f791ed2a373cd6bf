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
import logging
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
    """Send now. Never raises: a page that misses a notice is refreshed by the next one."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": MESSAGE_TYPE, "event": event}
    try:
        loop = _loop
        if loop is not None and loop.is_running() and not _runs_in(loop):
            future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
            future.result(timeout=SEND_TIMEOUT_SECONDS)
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # the change is committed; a lost notice must not turn it into an error
        logger.warning("could not publish %s to %s", event.get("type"), group, exc_info=True)


def _runs_in(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _Publication:
    """An on-commit callback that knows which event it sends, so a commit sends it once."""

    def __init__(self, group: str, event: dict[str, Any]) -> None:
        self.group = group
        self.event = event
        self.key = (group, tuple(sorted((k, repr(v)) for k, v in event.items())))
        self.sent = False

    def __call__(self) -> None:
        self.sent = True
        publish(self.group, self.event)


def publish_after_commit(
    group: str, event: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Send ``event`` to ``group`` after the current transaction commits (now, outside one).

    An identical event already queued by this transaction is not queued again. That is safe
    with savepoints: Django drops the callbacks of a savepoint that rolls back, so a queued copy
    is still there only while its savepoints are released or still open — and a rollback of an
    open one also drops anything queued now, which runs inside it.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        publish(group, event)
        return
    publication = _Publication(group, event)
    for _savepoints, callback, _robust in getattr(connection, "run_on_commit", ()):
        if (
            isinstance(callback, _Publication)
            and callback.key == publication.key
            and not callback.sent
        ):
            return
    transaction.on_commit(publication, using=using)
