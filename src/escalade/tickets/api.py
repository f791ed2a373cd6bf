"""Tickets, messages, attachments and the audit trail under ``/api/v1/tickets``."""

import base64
import binascii
import math
from datetime import datetime
from typing import Literal

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from escalade.core.actors import actor_for
from escalade.core.errors import NotFound, ValidationFailed
from escalade.core.idempotency import idempotent
from escalade.tickets import selectors, services
from escalade.tickets.models import Attachment, Message, Ticket

router = Router(tags=["tickets"])

ChannelName = Literal["email", "chat", "phone", "social", "portal", "api"]
StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]


class CustomerRef(Schema):
    id: int
    name: str
    email: str | None


class OrganisationRef(Schema):
    id: int
    name: str
    tier: str


class TeamRef(Schema):
    id: int
    slug: str
    name: str
    tier_level: int


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(user) -> str:
        return user.get_full_name() or user.username


class TicketOut(Schema):
    id: int
    number: int
    subject: str
    channel: str
    status: str
    priority: str
    category: str
    tags: list[str]
    language: str
    level: int
    version: int
    sla_state: str
    sla_due_at: datetime | None
    customer: CustomerRef
    organisation: OrganisationRef | None
    team: TeamRef | None
    assignee: UserRef | None
    follow_up_of_id: int | None
    reopen_count: int
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None


class TicketPage(Schema):
    items: list[TicketOut]
    count: int
    page: int
    page_size: int
    pages: int


class AttachmentIn(Schema):
    filename: str = Field(..., min_length=1, max_length=255)
    content_type: str = Field("", max_length=127)
    content_base64: str


class TicketIn(Schema):
    subject: str = Field(..., min_length=1, max_length=500)
    body: str = Field("", max_length=1_000_000)
    body_html: str | None = None
    customer_id: int | None = None
    customer_email: str | None = Field(None, max_length=254)
    customer_name: str = Field("", max_length=200)
    channel: ChannelName = "api"
    priority: PriorityName = "normal"
    category: str = Field("", max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=50)
    language: str = Field("", max_length=10)
    team: str | None = None
    assignee: str | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class TicketPatch(Schema):
    version: int = Field(..., description="The version you last saw; a stale one gives 409.")
    reason: str = Field("", max_length=2000)
    subject: str | None = Field(None, min_length=1, max_length=500)
    status: StatusName | None = None
    priority: PriorityName | None = None
    category: str | None = Field(None, max_length=64)
    tags: list[str] | None = None
    language: str | None = Field(None, max_length=10)
    team: str | None = None
    assignee: str | None = None
    level: int | None = Field(None, ge=1, le=10)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_url(attachment) -> str:
        return f"/api/v1/tickets/attachments/{attachment.pk}"


class AuthorOut(Schema):
    type: Literal["agent", "customer", "system"]
    id: int | None
    name: str


class MessageOut(Schema):
    id: int
    ticket_id: int
    kind: str
    channel: str
    author: AuthorOut
    body_text: str
    body_html: str
    is_automatic: bool
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_author(message) -> dict:
        if message.author_user_id:
            user = message.author_user
            return {"type": "agent", "id": user.pk, "name": user.get_full_name() or user.username}
        if message.author_customer_id:
            return {
                "type": "customer",
                "id": message.author_customer_id,
                "name": message.author_customer.name,
            }
        return {"type": "system", "id": None, "name": "Escalade"}

    @staticmethod
    def resolve_attachments(message) -> list:
        return list(message.attachments.all())


class MessageIn(Schema):
    body: str = Field("", max_length=1_000_000)
    body_html: str | None = None
    kind: Literal["public", "internal"] = "public"
    set_status: StatusName | None = None
    version: int | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class EventOut(Schema):
    id: int
    kind: str
    actor: str
    before: dict
    after: dict
    note: str
    created_at: datetime

    @staticmethod
    def resolve_actor(event) -> str:
        return event.actor_label


def _attachments(items: list[AttachmentIn]) -> list[services.NewAttachment]:
    decoded = []
    for index, item in enumerate(items):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                _("attachments.%(i)d.content_base64: not valid base64") % {"i": index},
                field=f"attachments.{index}.content_base64",
            ) from None
        decoded.append(services.NewAttachment(item.filename, content, item.content_type))
    return decoded


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


class ListParams(Schema):
    status: str | None = Field(
        None, description="comma-separated statuses, or 'open' for every unsolved one"
    )
    team: str | None = Field(None, description="comma-separated team slugs or ids")
    assignee: str | None = Field(None, description="a username, a user id, 'me' or 'none'")
    priority: str | None = None
    channel: str | None = None
    customer: int | None = None
    organisation: int | None = None
    tag: str | None = None
    sla: Literal["at_risk", "breached"] | None = Field(
        None, description="tickets whose SLA is at risk (warned) or breached"
    )
    q: str = Field("", max_length=200)
    sort: Literal["priority", "created", "-created", "updated", "-updated", "due"] = Field(
        "priority", description="'due' sorts by the next SLA due time"
    )
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


@router.get("", response=TicketPage, summary="List tickets")
def list_tickets(request: HttpRequest, params: Query[ListParams]):
    statuses = _split(params.status)
    filters = selectors.TicketFilters(
        status=() if statuses == ("open",) else statuses,
        open_only=statuses == ("open",),
        team=_split(params.team),
        assignee=params.assignee,
        priority=_split(params.priority),
        channel=_split(params.channel),
        customer=params.customer,
        organisation=params.organisation,
        tag=params.tag,
        sla=params.sla,
        q=params.q,
        sort=params.sort,
    )
    tickets = selectors.ticket_list(actor_for(request.auth), filters)
    count = tickets.count()
    start = (params.page - 1) * params.page_size
    return {
        "items": list(tickets[start : start + params.page_size]),
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "pages": max(1, math.ceil(count / params.page_size)),
    }


@router.post("", response={201: TicketOut}, summary="Open a ticket")
@idempotent
def create_ticket(request: HttpRequest, payload: TicketIn):
    ticket = services.create_ticket(
        actor_for(request.auth),
        subject=payload.subject,
        body_text=payload.body,
        body_html=payload.body_html,
        customer=payload.customer_id,
        customer_email=payload.customer_email,
        customer_name=payload.customer_name,
        channel=payload.channel,
        priority=payload.priority,
        category=payload.category,
        tags=payload.tags,
        language=payload.language,
        team=payload.team,
        assignee=payload.assignee,
        attachments=_attachments(payload.attachments),
    )
    return Status(201, TicketOut.from_orm(ticket))


def _visible(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.visible_ticket(actor_for(request.auth), ticket_id)


@router.get("/{int:ticket_id}", response=TicketOut, summary="Get a ticket")
def get_ticket(request: HttpRequest, ticket_id: int):
    return _visible(request, ticket_id)


@router.patch("/{int:ticket_id}", response=TicketOut, summary="Change a ticket")
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch):
    changes = payload.dict(exclude_unset=True, exclude={"version", "reason"})
    services.update_ticket(
        actor_for(request.auth),
        ticket_id,
        expected_version=payload.version,
        reason=payload.reason,
        **changes,
    )
    return _visible(request, ticket_id)


@router.get("/{int:ticket_id}/messages", response=list[MessageOut], summary="The thread")
def list_messages(request: HttpRequest, ticket_id: int):
    actor = actor_for(request.auth)
    return list(selectors.ticket_thread(actor, _visible(request, ticket_id)))


@router.post("/{int:ticket_id}/messages", response={201: MessageOut}, summary="Reply or add a note")
@idempotent
def add_message(request: HttpRequest, ticket_id: int, payload: MessageIn):
    message = services.add_message(
        actor_for(request.auth),
        ticket_id,
        body_text=payload.body,
        body_html=payload.body_html,
        kind=payload.kind,
        set_status=payload.set_status,
        expected_version=payload.version,
        attachments=_attachments(payload.attachments),
    )
    message = Message.objects.select_related("author_user", "author_customer").get(pk=message.pk)
    return Status(201, MessageOut.from_orm(message))


@router.get("/{int:ticket_id}/events", response=list[EventOut], summary="The audit trail")
def list_events(request: HttpRequest, ticket_id: int):
    actor = actor_for(request.auth)
    actor.require_agent()
    return list(selectors.ticket_events(_visible(request, ticket_id)))


@router.get("/attachments/{int:attachment_id}", summary="Download an attachment")
def download_attachment(request: HttpRequest, attachment_id: int):
    actor = actor_for(request.auth)
    attachment = get_object_or_404(Attachment.objects.select_related("message"), pk=attachment_id)
    if not actor.is_agent and attachment.message.kind != Message.Kind.PUBLIC:
        raise NotFound()
    _visible(request, attachment.message.ticket_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
