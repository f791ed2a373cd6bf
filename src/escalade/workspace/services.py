"""Workspace actions: saved filters, macros, bulk actions and reading notifications.

Ticket and escalation changes go through their own services (one transaction per ticket,
audited, SLA clocks following); this module only adds the workspace's own state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from escalade.accounts.models import Team
from escalade.core import clock
from escalade.core.actors import Actor
from escalade.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from escalade.escalation import services as escalation
from escalade.tickets import services as tickets
from escalade.tickets.models import Priority, Status
from escalade.workspace import live
from escalade.workspace.models import Macro, SavedFilter
from escalade.workspace.selectors import QueueParams

MAX_NAME = 80
MAX_MACRO_BODY = 20_000
MAX_BULK = 200
MACRO_STATUSES = ("pending", "on_hold", "solved")


def _name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_("name: give it a name"), field="name")
    if len(value) > MAX_NAME:
        raise ValidationFailed(
            _("name is longer than %(max)d characters") % {"max": MAX_NAME}, field="name"
        )
    return value


# --- saved filters ----------------------------------------------------------------------------


@transaction.atomic
def save_filter(
    actor: Actor, *, name: str, params: QueueParams, shared: bool = False
) -> SavedFilter:
    """Save the queue's current view and filters under a name (replacing one of that name)."""
    actor.require_agent()
    if actor.user is None:
        raise PermissionDenied()
    if shared:
        actor.require_supervisor()
    saved, _created = SavedFilter.objects.update_or_create(
        owner=actor.user,
        name=_name(name),
        defaults={"params": params.as_query(), "shared": shared, "created_at": clock.now()},
    )
    return saved


@transaction.atomic
def delete_filter(actor: Actor, filter_id: int) -> None:
    actor.require_agent()
    saved = SavedFilter.objects.select_for_update().filter(pk=filter_id).first()
    if saved is None or (saved.owner_id != getattr(actor.user, "pk", None) and not saved.shared):
        raise NotFound()
    if saved.owner_id != getattr(actor.user, "pk", None):
        actor.require_supervisor()
    saved.delete()


# --- macros -----------------------------------------------------------------------------------


@transaction.atomic
def save_macro(
    actor: Actor,
    macro_id: int | None = None,
    *,
    name: str,
    body: str,
    language: str = "",
    kind: str = Macro.Kind.PUBLIC,
    set_status: str = "",
    shared: bool = False,
    team: str | None = None,
) -> Macro:
    """Create or change a canned reply. Shared ones are for supervisors, managers and admins;
    every agent keeps personal ones."""
    actor.require_agent()
    if actor.user is None:
        raise PermissionDenied()
    if shared:
        actor.require_supervisor()
    macro = None
    if macro_id is not None:
        macro = Macro.objects.select_for_update().filter(pk=macro_id).first()
        if macro is None or (macro.owner_id not in (None, actor.user.pk)):
            raise NotFound()
        if macro.owner_id is None:
            actor.require_supervisor()
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationFailed(_("body: write the text of the reply"), field="body")
    if len(body) > MAX_MACRO_BODY:
        raise ValidationFailed(
            _("body is longer than %(max)d characters") % {"max": MAX_MACRO_BODY}, field="body"
        )
    languages = {code for code, _label in settings.LANGUAGES}
    if language and language not in languages:
        raise ValidationFailed(_("language: not a supported language"), field="language")
    if kind not in Macro.Kind.values:
        raise ValidationFailed(_("kind: must be public or internal"), field="kind")
    if set_status and set_status not in MACRO_STATUSES:
        raise ValidationFailed(
            _("set_status: must be one of %(values)s") % {"values": ", ".join(MACRO_STATUSES)},
            field="set_status",
        )
    team_row = None
    if team:
        team_row = Team.objects.filter(slug=team).first()
        if team_row is None:
            raise ValidationFailed(_("team: no team %(team)r") % {"team": team}, field="team")
    macro = macro or Macro()
    macro.name = _name(name)
    macro.body = body
    macro.language = language
    macro.kind = kind
    macro.set_status = set_status
    macro.team = team_row
    macro.owner = None if shared else actor.user
    macro.updated_at = clock.now()
    try:
        with transaction.atomic():
            macro.save()
    except IntegrityError:
        raise Conflict(
            _("A macro named %(name)s already exists in this language") % {"name": macro.name}
        ) from None
    return macro


@transaction.atomic
def delete_macro(actor: Actor, macro_id: int) -> None:
    actor.require_agent()
    macro = Macro.objects.select_for_update().filter(pk=macro_id).first()
    if macro is None or macro.owner_id not in (None, getattr(actor.user, "pk", None)):
        raise NotFound()
    if macro.owner_id is None:
        actor.require_supervisor()
    macro.delete()


def render_macro(macro: Macro, *, ticket, agent_name: str) -> str:
    """The macro's text for one ticket: {customer}, {agent} and {ticket} are filled in."""
    values = {
        "{customer}": ticket.customer.name if ticket.customer_id else "",
        "{agent}": agent_name,
        "{ticket}": f"#{ticket.pk}",
    }
    text = macro.body
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


# --- bulk actions -----------------------------------------------------------------------------

BULK_ACTIONS = ("assign", "status", "priority", "escalate")


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def bulk_update(
    actor: Actor,
    ticket_ids: Iterable[int],
    *,
    action: str,
    value: str = "",
    reason: str = "",
) -> BulkResult:
    """Apply one action to many tickets, each in its own transaction through the ticket and
    escalation services: a ticket that refuses (closed, stale, not allowed) is reported and the
    others go ahead."""
    actor.require_agent()
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))
    if not ids:
        raise ValidationFailed(_("tickets: select at least one ticket"), field="tickets")
    if len(ids) > MAX_BULK:
        raise ValidationFailed(
            _("tickets: at most %(max)d at a time") % {"max": MAX_BULK}, field="tickets"
        )
    if action not in BULK_ACTIONS:
        raise ValidationFailed(_("action: choose what to do"), field="action")
    if action == "status" and value not in Status.values:
        raise ValidationFailed(_("status: choose a status"), field="status")
    if action == "priority" and value not in Priority.values:
        raise ValidationFailed(_("priority: choose a priority"), field="priority")
    if action == "escalate":
        if not value:
            raise ValidationFailed(_("team: choose the department"), field="team")
        if not (reason or "").strip():
            raise ValidationFailed(_("reason: say why the ticket is escalated"), field="reason")
    result = BulkResult()
    for ticket_id in ids:
        try:
            if action == "assign":
                assignee = actor.user if value == "me" else (value or None)
                tickets.update_ticket(actor, ticket_id, expected_version=None, assignee=assignee)
            elif action == "status":
                tickets.update_ticket(actor, ticket_id, expected_version=None, status=value)
            elif action == "priority":
                tickets.update_ticket(actor, ticket_id, expected_version=None, priority=value)
            else:
                escalation.escalate(actor, ticket_id, to="team", team=value, reason=reason)
        except ServiceError as exc:
            result.failed.append((ticket_id, exc.message))
        else:
            result.done.append(ticket_id)
    return result


# --- notifications ----------------------------------------------------------------------------


def mark_notifications_read(actor: Actor, ids: list[int] | None = None) -> int:
    """Mark some (or all unread) of the actor's notifications read; open pages recount."""
    if actor.user is None:
        raise PermissionDenied()
    with transaction.atomic():
        marked = escalation.mark_notifications_read(actor.user, ids)
        if marked:
            live.publish_after_commit(live.user_group(actor.user.pk), {"type": "notification"})
    return marked
