"""Feedback under ``/api/v1``: a ticket's survey (``/tickets/{id}/survey``), CSAT figures and
suggestions (``/feedback/…``)."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from escalade.core.actors import actor_for
from escalade.core.errors import NotFound
from escalade.feedback import selectors, services
from escalade.tickets.selectors import visible_tickets

router = Router(tags=["feedback"])


class SurveyOut(Schema):
    ticket_id: int
    sent_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    score: int | None
    comment: str
    flagged: bool


class SurveyIn(Schema):
    score: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=5000)


class CsatParams(Schema):
    since: datetime | None = None
    until: datetime | None = None
    team: str | None = Field(None, max_length=64)


class CsatOut(Schema):
    sent: int
    answered: int
    response_rate: float | None
    average: float | None
    satisfied_percent: float | None
    flagged: int
    distribution: dict[str, int]


class SuggestionIn(Schema):
    kind: Literal["idea", "praise", "complaint", "other"] = "idea"
    text: str = Field(..., min_length=1, max_length=5000)


class SuggestionOut(Schema):
    id: int
    kind: str
    text: str
    language: str
    status: str
    email: str
    created_at: datetime


@router.get("/tickets/{int:ticket_id}/survey", response=SurveyOut, summary="The ticket's survey")
def get_survey(request: HttpRequest, ticket_id: int):
    actor = actor_for(request.auth)
    ticket = visible_tickets(actor).filter(pk=ticket_id).first()
    survey = selectors.survey_for(ticket) if ticket is not None else None
    if survey is None or (actor.is_customer and ticket.customer_id != actor.customer.pk):
        raise NotFound(_("There is no survey for this request yet."))
    return survey


@router.post(
    "/tickets/{int:ticket_id}/survey", response={201: SurveyOut}, summary="Answer the survey"
)
def answer_survey(request: HttpRequest, ticket_id: int, payload: SurveyIn):
    survey = services.answer_for_ticket(
        actor_for(request.auth), ticket_id, score=payload.score, comment=payload.comment
    )
    return Status(201, SurveyOut.from_orm(survey))


@router.get("/feedback/csat", response=CsatOut, summary="CSAT figures (supervisors)")
def csat(request: HttpRequest, params: Query[CsatParams]):
    actor_for(request.auth).require_supervisor()
    summary = selectors.csat_summary(since=params.since, until=params.until, team=params.team)
    return {
        "sent": summary.sent,
        "answered": summary.answered,
        "response_rate": summary.response_rate,
        "average": summary.average,
        "satisfied_percent": summary.satisfied_percent,
        "flagged": summary.flagged,
        "distribution": {str(k): v for k, v in summary.distribution.items()},
    }


@router.get("/feedback/suggestions", response=list[SuggestionOut], summary="Suggestions (agents)")
def list_suggestions(request: HttpRequest, status: Literal["new", "reviewed"] | None = None):
    actor_for(request.auth).require_agent()
    return list(selectors.suggestions(status)[:200])


@router.post("/feedback/suggestions", response={201: SuggestionOut}, summary="Send a suggestion")
def send_suggestion(request: HttpRequest, payload: SuggestionIn):
    suggestion = services.submit_suggestion(
        actor_for(request.auth), text=payload.text, kind=payload.kind
    )
    return Status(201, SuggestionOut.from_orm(suggestion))
