"""The email channel under /api/v1/mail.

* The quarantine (admins only): list, show, download, re-process, discard. Every action
  goes through ``escalade.mail.services``, which checks the role and writes the mail's
  audit trail.
* The original of a message made from a mail (agents who see its ticket): the raw .eml,
  quoted history and signature included.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from escalade.core.actors import actor_for
from escalade.core.errors import NotFound
from escalade.mail import selectors, services
from escalade.mail.admin import eml_response, raw_response
from escalade.mail.models import InboundMail, RawMessage
from escalade.tickets.selectors import visible_tickets

router = Router(tags=["mail"])


class QuarantinedOut(Schema):
    id: int
    status: str
    reason: str
    source: str
    mailbox: str | None
    recipients: list[str]
    sender: str
    subject: str
    message_id: str
    size: int
    received_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    result: dict
    raw_url: str

    @staticmethod
    def resolve_mailbox(row: InboundMail) -> str | None:
        return row.mailbox.name if row.mailbox_id else None

    @staticmethod
    def resolve_resolved_by(row: InboundMail) -> str | None:
        return row.resolved_by.get_username() if row.resolved_by_id else None

    @staticmethod
    def resolve_raw_url(row: InboundMail) -> str:
        return f"/api/v1/mail/quarantine/{row.pk}/raw"


class EventOut(Schema):
    kind: str
    actor: str
    note: str
    details: dict
    created_at: datetime

    @staticmethod
    def resolve_actor(event) -> str:
        return event.actor_label


class QuarantinedDetail(QuarantinedOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(row: InboundMail) -> list:
        return list(row.events.all())


class QuarantinePage(Schema):
    items: list[QuarantinedOut]
    count: int
    page: int
    page_size: int
    pages: int


class ListParams(Schema):
    status: Literal["quarantined", "reprocessed", "discarded", "all"] = "quarantined"
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class ReprocessIn(Schema):
    ignore_limits: bool = Field(
        False, description="lift the size limits (message, attachment, count) for this mail"
    )


class DiscardIn(Schema):
    note: str = Field("", max_length=2000)


class ReprocessOut(Schema):
    outcome: str
    ticket: int | None
    message: int | None
    reason: str
    mail: QuarantinedOut


def _admin(request: HttpRequest):
    actor = actor_for(request.auth)
    actor.require_admin()
    return actor


def _row(inbound_id: int) -> InboundMail:
    row = (
        selectors.quarantined(status=None)
        .select_related("resolved_by")
        .filter(pk=inbound_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


@router.get("/quarantine", response=QuarantinePage, summary="Quarantined mail (admins)")
def list_quarantine(request: HttpRequest, params: Query[ListParams]):
    _admin(request)
    rows = selectors.quarantined(None if params.status == "all" else params.status)
    rows = rows.select_related("resolved_by")
    count = rows.count()
    start = (params.page - 1) * params.page_size
    return {
        "items": list(rows[start : start + params.page_size]),
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "pages": max(1, math.ceil(count / params.page_size)),
    }


@router.get(
    "/quarantine/{int:inbound_id}",
    response=QuarantinedDetail,
    summary="One quarantined mail with its audit trail (admins)",
)
def show_quarantined(request: HttpRequest, inbound_id: int):
    _admin(request)
    return _row(inbound_id)


@router.get("/quarantine/{int:inbound_id}/raw", summary="Download the raw .eml (admins)")
def download_quarantined(request: HttpRequest, inbound_id: int):
    return raw_response(services.download_raw(actor_for(request.auth), inbound_id))


@router.post(
    "/quarantine/{int:inbound_id}/reprocess",
    response=ReprocessOut,
    summary="Send a quarantined mail through ingest again (admins)",
)
def reprocess_quarantined(
    request: HttpRequest, inbound_id: int, payload: ReprocessIn | None = None
):
    result = services.reprocess(
        actor_for(request.auth),
        inbound_id,
        ignore_limits=bool(payload and payload.ignore_limits),
    )
    return {
        "outcome": result.outcome,
        "ticket": result.ticket,
        "message": result.message,
        "reason": result.reason,
        "mail": _row(inbound_id),
    }


@router.post(
    "/quarantine/{int:inbound_id}/discard",
    response=QuarantinedOut,
    summary="Mark a quarantined mail as junk; it is kept (admins)",
)
def discard_quarantined(request: HttpRequest, inbound_id: int, payload: DiscardIn | None = None):
    services.discard(actor_for(request.auth), inbound_id, note=payload.note if payload else "")
    return _row(inbound_id)


@router.get(
    "/messages/{int:message_id}/original",
    summary="The mail a ticket message was made from, as it arrived (agents)",
)
def original_mail(request: HttpRequest, message_id: int):
    actor = actor_for(request.auth)
    actor.require_agent()
    raw = (
        RawMessage.objects.filter(message_id=message_id, message__ticket__in=visible_tickets(actor))
        .values_list("raw", flat=True)
        .first()
    )
    if raw is None:
        raise NotFound()
    return eml_response(bytes(raw), f"message-{message_id}.eml")
