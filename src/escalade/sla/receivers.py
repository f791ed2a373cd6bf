from django.dispatch import receiver

from escalade.core import db
from escalade.sla import services
from escalade.sla.models import SlaClock
from escalade.tickets import timers
from escalade.tickets.signals import ticket_changed


@receiver(ticket_changed, dispatch_uid="sla-recompute")
def recompute_clocks(sender, ticket, actor, changes, message, created, **kwargs):
    services.recompute(ticket, changes=changes, message=message, created=created)


@timers.batch_loader
def load_clocks(tickets):
    pks = [ticket.pk for ticket in tickets]
    db.track_children(SlaClock, "ticket_id", pks, SlaClock.objects.filter(ticket_id__in=pks))


@timers.due_handler
def fire_sla_thresholds(ticket, now, actor):
    services.fire_due(ticket, now, actor)
