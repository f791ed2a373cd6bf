"""Escalations under /api/v1: history, escalate, acknowledge, de-escalate, ask for a manager,
explain, the supervisors' lists and in-app notifications."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from escalade.core import clock
from escalade.core.actors import actor_for
from escalade.core.errors import NotFound
from escalade.core.idempotency import idempotent
from escalade.escalation import selectors, services
from escalade.escalation.models import EscalationRecord, Notification
from escalade.tickets.selectors import visible_tickets

router = Router(tags=["escalation"])


class RecordOut(Schema):
    id: int
    ticket_id: int
    kind: str
    trigger: str
    direction: str
    rule: str
    from_team: str | None
    to_team: str | None
    from_level: int
    to_level: int
    from_agent: str | None
    to_agent: str | None
    reason: str
    actor: str
    created_at: datetime
    ack_required: bool
    ack_deadline_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    deescalated_at: datetime | None

    @staticmethod
    def resolve_from_team(record) -> str | None:
        return record.from_team.slug if record.from_team_id else None

    @staticmethod
    def resolve_to_team(record) -> str | None:
        return record.to_team.slug if record.to_team_id else None

    @staticmethod
    def resolve_from_agent(record) -> str | None:
        return record.from_agent.username if record.from_agent_id else None

    @staticmethod
    def resolve_to_agent(record) -> str | None:
        return record.to_agent.username if record.to_agent_id else None

    @staticmethod
    def resolve_acknowledged_by(record) -> str | None:
        return record.acknowledged_by.username if record.acknowledged_by_id else None

    @staticmethod
    def resolve_actor(record) -> str:
        return record.actor_label


class EscalateIn(Schema):
    to: Literal["team", "next_level", "supervisor", "manager"] = Field(
        ..., description="team = functional (across); the others = hierarchical (up)"
    )
    team: str | None = Field(None, description="the department for a functional escalation")
    reason: str = Field(..., min_length=1, max_length=2000)
    version: int | None = None


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class ExplainParams(Schema):
    at: datetime | None = Field(
        None, description="explain as of this instant (ISO 8601); default now"
    )


class NotificationOut(Schema):
    id: int
    ticket_id: int | None
    kind: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    unread: int
    items: list[NotificationOut]


def _ticket(request: HttpRequest, ticket_id: int):
    ticket = (
        visible_tickets(actor_for(request.auth))
        .select_related("team", "assignee", "organisation", "customer")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound()
    return ticket


def _record(record: EscalationRecord) -> RecordOut:
    return RecordOut.from_orm(
        EscalationRecord.objects.select_related(
            "from_team", "to_team", "from_agent", "to_agent", "acknowledged_by"
        ).get(pk=record.pk)
    )


@router.get(
    "/tickets/{int:ticket_id}/escalations", response=list[RecordOut], summary="Escalation history"
)
def list_escalations(request: HttpRequest, ticket_id: int):
    actor_for(request.auth).require_agent()
    return list(selectors.ticket_escalations(_ticket(request, ticket_id)))


@router.post(
    "/tickets/{int:ticket_id}/escalate",
    response={201: RecordOut},
    summary="Escalate (functional or hierarchical)",
)
@idempotent
def escalate(request: HttpRequest, ticket_id: int, payload: EscalateIn):
    record = services.escalate(
        actor_for(request.auth),
        ticket_id,
        to=payload.to,
        team=payload.team,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return Status(201, _record(record))


@router.post(
    "/tickets/{int:ticket_id}/acknowledge",
    response=RecordOut,
    summary="Acknowledge the escalation you received",
)
def acknowledge(request: HttpRequest, ticket_id: int):
    return _record(services.acknowledge(actor_for(request.auth), ticket_id))


@router.post(
    "/tickets/{int:ticket_id}/deescalate",
    response={201: RecordOut},
    summary="Undo the last escalation step",
)
def deescalate(request: HttpRequest, ticket_id: int, payload: ReasonIn):
    return Status(
        201, _record(services.deescalate(actor_for(request.auth), ticket_id, reason=payload.reason))
    )


@router.post(
    "/tickets/{int:ticket_id}/request-manager",
    response={201: RecordOut, 202: dict},
    summary="The customer asks for a manager",
)
def request_manager(request: HttpRequest, ticket_id: int, payload: ReasonIn):
    record = services.request_manager(
        actor_for(request.auth), ticket_id, reason=payload.reason, source="api"
    )
    if record is None:
        return Status(202, {"detail": "recorded; no supervisor is configured to receive it"})
    return Status(201, _record(record))


@router.get(
    "/tickets/{int:ticket_id}/explain",
    response=dict[str, Any],
    summary="Why it is here and what fires next",
)
def explain(request: HttpRequest, ticket_id: int, params: Query[ExplainParams]):
    actor_for(request.auth).require_agent()
    return selectors.explain(_ticket(request, ticket_id), params.at or clock.now())


@router.get(
    "/escalations/awaiting-acknowledgement",
    response=list[RecordOut],
    summary="Escalations nobody acknowledged yet",
)
def awaiting(request: HttpRequest):
    actor = actor_for(request.auth)
    actor.require_agent()
    return list(selectors.awaiting_acknowledgement(actor)[:200])


class RiskRow(Schema):
    id: int
    subject: str
    risk_score: int
    priority: str
    team: str | None
    assignee: str | None
    sla_due_at: datetime | None

    @staticmethod
    def resolve_team(ticket) -> str | None:
        return ticket.team.slug if ticket.team_id else None

    @staticmethod
    def resolve_assignee(ticket) -> str | None:
        return ticket.assignee.username if ticket.assignee_id else None


@router.get("/escalations/at-risk", response=list[RiskRow], summary="Open tickets by risk score")
def at_risk(request: HttpRequest, minimum: int = 50):
    actor = actor_for(request.auth)
    actor.require_supervisor()
    return list(selectors.at_risk_tickets(actor, minimum)[:200])


@router.get("/notifications", response=NotificationPage, tags=["notifications"])
def notifications(request: HttpRequest):
    mine = Notification.objects.filter(recipient=request.auth)
    return {
        "unread": mine.filter(read_at__isnull=True).count(),
        "items": list(mine.order_by("-created_at", "-id")[:100]),
    }


class ReadIn(Schema):
    ids: list[int] | None = Field(
        None, description="the notifications to mark; all unread when left out"
    )


@router.post(
    "/notifications/read", response=dict, tags=["notifications"], summary="Mark notifications read"
)
def mark_read(request: HttpRequest, payload: ReadIn):
    return {"marked": services.mark_notifications_read(request.auth, payload.ids)}
