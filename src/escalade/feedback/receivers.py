"""Where feedback listens: a ticket becoming solved sends its satisfaction survey, in the
transaction of that change."""

from django.dispatch import receiver

from escalade.feedback import services
from escalade.tickets.models import Status
from escalade.tickets.signals import ticket_changed


@receiver(ticket_changed, dispatch_uid="feedback-survey-on-solve")
def on_ticket_changed(sender, ticket, actor, changes, message, created, **kwargs):
    status = changes.get("status")
    if status is not None and status[1] == Status.SOLVED:
        services.send_survey(ticket)
