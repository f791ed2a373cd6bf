"""SLA clocks of a ticket under ``/api/v1/tickets/{id}/sla``."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from escalade.core import clock
from escalade.core.actors import actor_for
from escalade.core.errors import NotFound
from escalade.sla.selectors import clock_readings
from escalade.tickets.selectors import visible_tickets

router = Router(tags=["sla"])


class ClockOut(Schema):
    metric: Literal["first_response", "next_response", "periodic_update", "resolution"]
    cycle: int
    policy: str
    calendar: str
    state: Literal["running", "paused", "warned", "breached", "fulfilled", "stopped"]
    target_seconds: int
    used_seconds: int
    remaining_seconds: int
    started_at: datetime
    due_at: datetime | None
    paused_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    fulfilled_at: datetime | None
    stopped_at: datetime | None


@router.get("/{int:ticket_id}/sla", response=list[ClockOut], summary="The ticket's SLA clocks")
def ticket_sla(request: HttpRequest, ticket_id: int):
    ticket = visible_tickets(actor_for(request.auth)).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return clock_readings(ticket, clock.now())
