"""Read queries for tickets. Visibility is decided here, once, for the API and the UI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from escalade.core.actors import Actor
from escalade.core.errors import NotFound
from escalade.tickets.models import Ticket, TicketEvent

OPEN_STATUSES = ("new", "open", "pending", "on_hold")

SORTS = {
    "priority": ("-priority_rank", "created_at", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "due": ("sla_due_at", "-priority_rank", "id"),
}


def visible_tickets(actor: Actor) -> QuerySet[Ticket]:
    """Agents see every ticket; a customer sees their own, or their organisation's when
    they are its admin; anyone else sees nothing."""
    tickets = Ticket.objects.all()
    if actor.is_agent:
        return tickets
    customer = actor.customer
    if customer is None:
        return tickets.none()
    if customer.is_org_admin and customer.organisation_id:
        return tickets.filter(Q(customer=customer) | Q(organisation_id=customer.organisation_id))
    return tickets.filter(customer=customer)


# What ticket pages, services and escalation steps read with a ticket: loaded in the same query.
RELATED = ("customer", "organisation", "team__manager", "assignee")


def visible_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """One ticket the actor may see, with what its pages show; 404 otherwise (also for ids
    that exist but belong to someone else, so guessing numbers tells nothing)."""
    ticket = visible_tickets(actor).select_related(*RELATED).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("Ticket %(id)s not found") % {"id": ticket_id})
    return ticket


@dataclass(frozen=True)
class TicketFilters:
    status: tuple[str, ...] = ()
    open_only: bool = False
    team: tuple[str, ...] = ()
    assignee: str | None = None  # a user id, "me" or "none"
    priority: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    customer: int | None = None
    organisation: int | None = None
    tag: str | None = None
    sla: str | None = None  # "at_risk" (warned, not breached) or "breached"
    q: str = ""
    sort: str = "priority"


def ticket_list(actor: Actor, filters: TicketFilters) -> QuerySet[Ticket]:
    tickets = visible_tickets(actor).select_related("customer", "organisation", "team", "assignee")
    if filters.status:
        tickets = tickets.filter(status__in=filters.status)
    elif filters.open_only:
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    if filters.team:
        ids = [t for t in filters.team if t.isdigit()]
        slugs = [t for t in filters.team if not t.isdigit()]
        tickets = tickets.filter(Q(team_id__in=ids) | Q(team__slug__in=slugs))
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=actor.user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        by_id = filters.assignee.isdigit()
        tickets = tickets.filter(
            Q(assignee_id=int(filters.assignee))
            if by_id
            else Q(assignee__username=filters.assignee)
        )
    if filters.priority:
        tickets = tickets.filter(priority__in=filters.priority)
    if filters.channel:
        tickets = tickets.filter(channel__in=filters.channel)
    if filters.customer is not None:
        tickets = tickets.filter(customer_id=filters.customer)
    if filters.organisation is not None:
        tickets = tickets.filter(organisation_id=filters.organisation)
    if filters.tag:
        # Tags are a JSON list; matching the quoted tag in its text form works on both engines.
        tickets = tickets.filter(tags__icontains=f'"{filters.tag.lower()}"')
    if filters.sla:
        tickets = tickets.filter(sla_state=filters.sla)
    q = filters.q.strip()
    if q:
        condition = (
            Q(subject__icontains=q)
            | Q(customer__email__icontains=q)
            | Q(customer__name__icontains=q)
        )
        number = q.lstrip("#")
        if number.isdigit():
            condition |= Q(pk=int(number))
        tickets = tickets.filter(condition)
    return tickets.order_by(*SORTS.get(filters.sort, SORTS["priority"]))


def ticket_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor_user").order_by("created_at", "id")


def ticket_thread(actor: Actor, ticket: Ticket):
    """Messages of a ticket as the actor may see them: customers never see internal notes."""
    messages = ticket.messages.select_related("author_user", "author_customer").prefetch_related(
        "attachments"
    )
    if not actor.is_agent:
        messages = messages.filter(kind="public")
    return messages


class TicketFacts(Mapping):
    """The ticket as plain facts for condition matching (escalade.core.conditions).

    ``text`` (subject and first message) is read only when a keyword condition asks for it:
    most policies and rules never do, and the worker matches them many times per ticket.
    """

    def __init__(self, ticket: Ticket) -> None:
        self._ticket = ticket
        self._values = {
            "priority": ticket.priority,
            "org_tier": ticket.organisation.tier if ticket.organisation_id else None,
            "channel": ticket.channel,
            "team": ticket.team.slug if ticket.team_id else None,
            "category": ticket.category,
            "tags": list(ticket.tags),
            "language": ticket.language,
            "customer": ticket.customer.email if ticket.customer_id else None,
        }

    def __getitem__(self, key: str):
        if key == "text" and key not in self._values:
            first = (
                self._ticket.messages.order_by("created_at", "id")
                .values_list("body_text", flat=True)
                .first()
            )
            self._values["text"] = f"{self._ticket.subject}\n{first or ''}"
        return self._values[key]

    def __iter__(self):
        return iter([*self._values, "text"])

    def __len__(self) -> int:
        return len(self._values) + 1


def ticket_facts(ticket: Ticket) -> TicketFacts:
    return TicketFacts(ticket)
