"""Live updates without touching the engines: listen to their signals and model saves, and
publish a notice after the transaction commits (see ``live.py``)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from escalade.escalation.models import EscalationRecord, Notification
from escalade.sla.models import SlaFiring
from escalade.tickets.signals import ticket_changed
from escalade.workspace import live


@receiver(post_save, sender=EscalationRecord, dispatch_uid="workspace-live-escalation")
def escalation_saved(sender, instance: EscalationRecord, created: bool, **kwargs) -> None:
    event = {"type": "escalation", "ticket": instance.ticket_id}
    live.publish_after_commit(live.BOARD, event)
    live.publish_after_commit(live.ticket_group(instance.ticket_id), event)
    if instance.to_agent_id:
        live.publish_after_commit(live.user_group(instance.to_agent_id), event)


@receiver(post_save, sender=Notification, dispatch_uid="workspace-live-notification")
def notification_saved(sender, instance: Notification, created: bool, **kwargs) -> None:
    live.publish_after_commit(live.user_group(instance.recipient_id), {"type": "notification"})


@receiver(post_save, sender=SlaFiring, dispatch_uid="workspace-live-sla-firing")
def sla_fired(sender, instance: SlaFiring, created: bool, **kwargs) -> None:
    event = {"type": "sla", "ticket": instance.ticket_id}
    live.publish_after_commit(live.BOARD, event)
    live.publish_after_commit(live.ticket_group(instance.ticket_id), event)


@receiver(ticket_changed, dispatch_uid="workspace-live-ticket")
def ticket_was_changed(sender, ticket, actor, changes, message, created, **kwargs) -> None:
    by = actor.user.pk if actor is not None and actor.user is not None else None
    event = {"type": "ticket", "ticket": ticket.pk}
    live.publish_after_commit(live.TICKETS, event)
    live.publish_after_commit(live.BOARD, event)
    live.publish_after_commit(live.ticket_group(ticket.pk), {**event, "by": by})
