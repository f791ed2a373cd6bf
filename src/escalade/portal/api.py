"""Portal endpoints under ``/api/v1/portal``: ask for a sign-in link (anyone), and what a
customer may expect on a request (when we will answer, by the SLA)."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from escalade.accounts.views import _client_address
from escalade.core.actors import actor_for
from escalade.portal import selectors, services
from escalade.tickets.selectors import visible_ticket

router = Router(tags=["portal"])


class MagicLinkIn(Schema):
    email: str = Field(..., min_length=3, max_length=254)
    next: str = Field("", max_length=500)
    language: str = Field("", max_length=10)


class Accepted(Schema):
    detail: str


class ExpectationOut(Schema):
    ticket_id: int
    state: str
    due_at: datetime | None


@router.post(
    "/magic-link",
    response={202: Accepted},
    auth=None,
    summary="Mail a sign-in link (the answer never says whether the address is known)",
)
def magic_link(request: HttpRequest, payload: MagicLinkIn):
    services.request_magic_link(
        payload.email,
        address=_client_address(request),
        next_url=payload.next,
        language=payload.language,
    )
    return Status(202, {"detail": "If the address may sign in, a link is on its way."})


@router.get(
    "/tickets/{int:ticket_id}/expectation",
    response=ExpectationOut,
    summary="When the customer may expect an answer",
)
def expectation(request: HttpRequest, ticket_id: int):
    ticket = visible_ticket(actor_for(request.auth), ticket_id)
    result = selectors.expectation(ticket)
    return {"ticket_id": ticket.pk, "state": result.state, "due_at": result.due_at}
