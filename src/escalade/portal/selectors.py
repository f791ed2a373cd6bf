"""What the portal reads: a customer's requests, what to expect and when, and the state of a
"manager" request. Visibility is the tickets app's (``visible_tickets``): a customer sees their
own requests, an organisation admin also their organisation's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.html import urlize
from django.utils.safestring import mark_safe

from escalade.accounts.models import Customer
from escalade.core import clock
from escalade.core.actors import Actor
from escalade.core.conditions import first_match
from escalade.core.html import text_to_html
from escalade.tickets.models import Ticket
from escalade.tickets.selectors import OPEN_STATUSES, ticket_thread, visible_tickets

SCOPES = ("mine", "organisation")
STATES = ("open", "solved", "all")


def tickets_for(actor: Actor, *, scope: str = "mine", state: str = "open") -> QuerySet[Ticket]:
    tickets = visible_tickets(actor).select_related("customer", "team")
    if scope != "organisation" or not can_see_organisation(actor):
        tickets = tickets.filter(customer=actor.customer)
    if state == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif state == "solved":
        tickets = tickets.exclude(status__in=OPEN_STATUSES)
    return tickets.order_by("-updated_at", "-id")


def can_see_organisation(actor: Actor) -> bool:
    customer = actor.customer
    return bool(
        actor.is_customer and customer and customer.is_org_admin and customer.organisation_id
    )


def thread(actor: Actor, ticket: Ticket) -> list:
    """The public conversation (customers never see internal notes), each message with the
    HTML to show: plain-text messages get their links made clickable (an agent's reply that
    links a knowledge-base article, for instance)."""
    messages = list(ticket_thread(actor, ticket))
    for message in messages:
        message.display_html = message_html(message.body_text, message.body_html)
    return messages


def message_html(text: str, stored_html: str) -> str:
    if stored_html != text_to_html(text):
        return mark_safe(stored_html)  # noqa: S308  (sanitised when it was stored)
    paragraphs = [p for p in re.split(r"\n{2,}", text.strip()) if p]
    return mark_safe(  # noqa: S308  (urlize escapes the text)
        "".join(
            "<p>" + urlize(p, nofollow=True, autoescape=True).replace("\n", "<br>") + "</p>"
            for p in paragraphs
        )
    )


@dataclass(frozen=True)
class Expectation:
    """What the customer may expect next: ``reply_by`` (a due time), ``late`` (past it),
    ``waiting_on_you`` (the clock is paused for their answer), ``done`` or ``unknown``."""

    state: str
    due_at: datetime | None = None


def expectation(ticket: Ticket, now: datetime | None = None) -> Expectation:
    """From the running response clock of the SLA (first or next response)."""
    from escalade.sla.selectors import clock_readings

    if not ticket.is_open:
        return Expectation("done")
    now = now or clock.now()
    readings = [
        r
        for r in clock_readings(ticket, now)
        if r["metric"] in ("first_response", "next_response")
        and r["state"] not in ("fulfilled", "stopped")
    ]
    if not readings:
        return Expectation("unknown")
    reading = min(readings, key=lambda r: (r["due_at"] is None, r["due_at"] or now))
    if reading["state"] == "paused" or reading["paused_at"] is not None:
        return Expectation("waiting_on_you")
    if reading["due_at"] is None:
        return Expectation("unknown")
    if reading["due_at"] <= now:
        return Expectation("late", reading["due_at"])
    return Expectation("reply_by", reading["due_at"])


def first_response_target(customer: Customer, category: str = "") -> int | None:
    """Business seconds within which a new normal-priority portal request is answered, by the
    first SLA policy that would apply, or None when none does."""
    from escalade.sla.services import active_policies

    facts = {
        "priority": "normal",
        "org_tier": customer.organisation.tier if customer.organisation_id else None,
        "channel": "portal",
        "team": None,
        "category": category,
        "tags": [],
        "language": customer.language,
        "customer": customer.email,
        "text": "",
    }
    found = first_match(active_policies(), facts, conditions_of=lambda policy: policy.conditions)
    if found.item is None:
        return None
    target = (found.item.targets.get("normal") or {}).get("first_response")
    return int(target) if target else None


@dataclass(frozen=True)
class ManagerRequest:
    """The customer's latest "ask for a manager": ``pending`` (waiting for a supervisor),
    ``taken`` (acknowledged), ``recorded`` (noted; nobody to send it to)."""

    state: str
    asked_at: datetime
    reason: str


def manager_request(ticket: Ticket) -> ManagerRequest | None:
    from escalade.escalation.models import EscalationRecord

    event = ticket.events.filter(kind="manager_requested").order_by("-created_at", "-id").first()
    if event is None:
        return None
    record = (
        EscalationRecord.objects.filter(ticket=ticket, trigger="customer_request")
        .order_by("-created_at", "-id")
        .first()
    )
    if record is None:
        state = "recorded"
    elif record.acknowledged_at is not None:
        state = "taken"
    elif record.deescalated_at is not None:
        state = "recorded"
    else:
        state = "pending"
    return ManagerRequest(state=state, asked_at=event.created_at, reason=event.note)
