"""The transactional outbox: notifications written with the change, delivered after commit.

``enqueue`` runs inside the caller's transaction; a duplicate ``dedupe_key`` is a no-op, so a
retried job never queues a notification twice. The worker calls ``deliver_due``: each
message is claimed, handed to its channel's deliverer, and marked sent, or retried with
exponential backoff until ``MAX_ATTEMPTS``, after which it is a dead letter shown in the admin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction

from escalade.core import clock
from escalade.core.db import insert_once
from escalade.core.models import OutboxMessage

logger = logging.getLogger("escalade.outbox")
MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 30

Deliverer = Callable[[OutboxMessage], None]
_deliverers: dict[str, Deliverer] = {}


class DeliveryError(Exception):
    """A delivery that failed; the message is retried later."""


def deliverer(channel: str) -> Callable[[Deliverer], Deliverer]:
    def register(function: Deliverer) -> Deliverer:
        _deliverers[channel] = function
        return function

    return register


def enqueue(
    channel: str, dedupe_key: str, payload: dict, *, ticket=None, at: datetime | None = None
) -> OutboxMessage | None:
    """Queue a notification in the current transaction; None if this key was queued before."""
    now = clock.now()
    return insert_once(
        OutboxMessage(
            channel=channel,
            dedupe_key=dedupe_key[:255],
            payload=payload,
            ticket=ticket,
            next_attempt_at=at or now,
            created_at=now,
        )
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BASE_DELAY_SECONDS * 2 ** max(0, attempts - 1))


def deliver_due(now: datetime | None = None, *, limit: int = 100) -> tuple[int, int]:
    """Deliver what is due; returns (sent, failed)."""
    now = now or clock.now()
    sent = failed = 0
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        for message in list(due[:limit]):
            if _deliver_one(message, now):
                sent += 1
            else:
                failed += 1
    return sent, failed


def _deliver_one(message: OutboxMessage, now: datetime) -> bool:
    message.attempts += 1
    handler = _deliverers.get(message.channel)
    try:
        if handler is None:
            raise DeliveryError(f"no deliverer for channel {message.channel!r}")
        handler(message)
    except Exception as exc:  # every failure is recorded and retried, none is lost
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxMessage.Status.DEAD
            logger.error(
                "outbox %s is a dead letter after %d attempts: %s",
                message.dedupe_key,
                message.attempts,
                message.last_error,
            )
        else:
            message.next_attempt_at = now + backoff(message.attempts)
        message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        return False
    message.status = OutboxMessage.Status.SENT
    message.sent_at = now
    message.last_error = ""
    message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    return True


@deliverer("email")
def deliver_email(message: OutboxMessage) -> None:
    """Payload: to, subject, text, optional html, headers, from, reply_to."""
    payload = message.payload
    email = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=payload.get("from") or None,
        to=payload["to"],
        reply_to=[payload["reply_to"]] if payload.get("reply_to") else None,
        headers=payload.get("headers") or {},
    )
    if payload.get("html"):
        email.attach_alternative(payload["html"], "text/html")
    email.send(fail_silently=False)
