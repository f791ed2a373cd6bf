from datetime import datetime

from escalade.sla.models import SlaClock
from escalade.sla.services import used_now
from escalade.tickets.models import Ticket


def clock_readings(ticket: Ticket, now: datetime) -> list[dict]:
    """Each clock of a ticket as people read it: used and remaining business time now."""
    readings = []
    for sla_clock in SlaClock.objects.filter(ticket=ticket).order_by("id"):
        used = used_now(sla_clock, now)
        readings.append(
            {
                "metric": sla_clock.metric,
                "cycle": sla_clock.cycle,
                "policy": sla_clock.policy,
                "calendar": sla_clock.calendar or "24/7",
                "state": sla_clock.state,
                "target_seconds": sla_clock.target_seconds,
                "used_seconds": used,
                "remaining_seconds": sla_clock.target_seconds - used,
                "started_at": sla_clock.started_at,
                "due_at": sla_clock.due_at,
                "paused_at": sla_clock.paused_at,
                "warned_at": sla_clock.warned_at,
                "breached_at": sla_clock.breached_at,
                "fulfilled_at": sla_clock.fulfilled_at,
                "stopped_at": sla_clock.stopped_at,
            }
        )
    return readings
