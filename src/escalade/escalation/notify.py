"""Who is told about an escalation, and how: in the app, by email, by webhook.

Every notification is keyed (event key + recipient + channel) so it is written exactly once,
in the transaction of the change that caused it; email and webhooks leave through the outbox
after commit, in-app notifications are rows pushed live once the transaction commits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from escalade.core import clock, outbox
from escalade.core.db import insert_once
from escalade.core.models import OutboxMessage
from escalade.escalation.models import Notification, Webhook
from escalade.escalation.people import manager_of, supervisor_of
from escalade.tickets.models import Ticket

SIGNATURE_HEADER = "X-Escalade-Signature"
TIMESTAMP_HEADER = "X-Escalade-Timestamp"
WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Event:
    key: str  # unique for the happening, e.g. "esc:42:breach:first_response:1"
    kind: str  # escalated | sla_warning | sla_breach | acknowledge_needed | ...
    title: str
    body: str


def resolve_recipients(
    ticket: Ticket, recipients: Iterable[str], chain_of: Ticket | None = None
) -> tuple[set, list[str], list[str]]:
    """(users, webhook names, email addresses) named by a level's or a rule's `notify`.

    `supervisor` and `manager` follow the chain of command of ``chain_of`` (the ticket as it
    was before a move): a ticket moved to the supervisor tells that supervisor, not her boss.
    """
    chain_of = chain_of or ticket
    User = get_user_model()
    users: set = set()
    webhooks: list[str] = []
    emails: list[str] = []
    for recipient in recipients:
        kind, _sep, name = recipient.partition(":")
        if recipient == "assignee" and ticket.assignee_id:
            users.add(ticket.assignee)
        elif recipient == "team" and ticket.team_id:
            users.update(User.objects.filter(agent_profile__teams=ticket.team, is_active=True))
        elif recipient == "team_manager" and ticket.team_id and ticket.team.manager_id:
            users.add(ticket.team.manager)
        elif recipient == "supervisor":
            users.update(u for u in [supervisor_of(chain_of)] if u is not None)
        elif recipient == "manager":
            users.update(u for u in [manager_of(chain_of)] if u is not None)
        elif kind == "role":
            users.update(User.objects.filter(agent_profile__role=name, is_active=True))
        elif kind == "agent":
            users.update(User.objects.filter(username=name, is_active=True))
        elif kind == "webhook":
            webhooks.append(name)
        elif kind == "email":
            emails.append(name)
    return users, webhooks, emails


def notify(
    ticket: Ticket, recipients: Iterable[str], event: Event, chain_of: Ticket | None = None
) -> int:
    """Tell every recipient once; returns how many notifications were newly written."""
    users, webhooks, emails = resolve_recipients(ticket, recipients, chain_of)
    written = 0
    now = clock.now()
    link = f"{settings.BASE_URL}/tickets/{ticket.pk}/"
    for user in sorted(users, key=lambda u: u.pk):
        notification = Notification(
            recipient=user,
            ticket=ticket,
            kind=event.kind,
            title=event.title[:300],
            body=event.body,
            dedupe_key=f"{event.key}:user:{user.pk}"[:255],
            created_at=now,
        )
        if insert_once(notification) is None:
            continue
        written += 1
        if user.email:
            emails.append(user.email)
    for address in dict.fromkeys(emails):
        if outbox.enqueue(
            "email",
            f"{event.key}:email:{address}",
            {
                "to": [address],
                "subject": f"[#{ticket.pk}] {event.title}",
                "text": f"{event.body}\n\n{link}",
            },
            ticket=ticket,
        ):
            written += 1
    for name in webhooks:
        if queue_webhook(name, event, ticket):
            written += 1
    return written


def queue_webhook(name: str, event: Event, ticket: Ticket) -> bool:
    webhook = Webhook.objects.filter(name=name).first()
    if webhook is None:
        return False
    body = {
        "event": event.kind,
        "key": event.key,
        "title": event.title,
        "text": event.body,
        "ticket": {
            "id": ticket.pk,
            "subject": ticket.subject,
            "priority": ticket.priority,
            "status": ticket.status,
            "level": ticket.level,
            "team": ticket.team.slug if ticket.team_id else None,
        },
        "url": f"{settings.BASE_URL}/tickets/{ticket.pk}/",
    }
    if webhook.format == "slack":
        body = {"text": f"*#{ticket.pk} {event.title}*\n{event.body}\n{body['url']}"}
    return (
        outbox.enqueue(
            "webhook",
            f"{event.key}:webhook:{name}",
            {"url": webhook.url, "secret_env": webhook.secret_env, "body": body},
            ticket=ticket,
        )
        is not None
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex: what receivers recompute to verify."""
    return (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


@outbox.deliverer("webhook")
def deliver_webhook(message: OutboxMessage) -> None:
    payload = message.payload
    body = json.dumps(payload["body"], ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Escalade-Webhook/1",
        TIMESTAMP_HEADER: timestamp,
        "X-Escalade-Delivery": message.dedupe_key,
    }
    secret = os.environ.get(payload.get("secret_env") or "", "")
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    request = urllib.request.Request(payload["url"], data=body, headers=headers, method="POST")  # noqa: S310 (admin-configured URL)
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise outbox.DeliveryError(
                    _("webhook answered HTTP %(status)d") % {"status": response.status}
                )
    except urllib.error.HTTPError as exc:
        raise outbox.DeliveryError(
            _("webhook answered HTTP %(status)d") % {"status": exc.code}
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise outbox.DeliveryError(_("webhook unreachable: %(error)s") % {"error": exc}) from None
