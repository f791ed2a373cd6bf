"""Ticket actions: each one checks permissions, writes, records the audit event and tells
the rest of the system (``ticket_changed``) inside a single transaction."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from escalade.accounts import services as account_services
from escalade.accounts.models import Customer, Team
from escalade.core import clock, db, validation
from escalade.core.actors import Actor
from escalade.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from escalade.core.html import html_to_text, sanitize_html, text_to_html
from escalade.core.language import detect_language
from escalade.tickets import states
from escalade.tickets.models import (
    PRIORITY_RANK,
    Attachment,
    Channel,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from escalade.tickets.selectors import RELATED, visible_tickets
from escalade.tickets.signals import ticket_changed

MAX_SUBJECT = 500
MAX_BODY = 1_000_000
MAX_TAGS = 50


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: bytes
    content_type: str = ""
    content_id: str = ""


# --- helpers -----------------------------------------------------------------------------


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = str(tag).strip().lower()
        if not tag:
            continue
        if len(tag) > 64 or any(ch.isspace() or ch in '",' for ch in tag):
            raise ValidationFailed(
                _("tags: %(tag)r is not a valid tag") % {"tag": tag}, field="tags"
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed(_("tags: at most %(n)d tags") % {"n": MAX_TAGS}, field="tags")
    return cleaned


def _body(text: str | None, html: str | None) -> tuple[str, str]:
    if html:
        if len(html) > MAX_BODY * 4:
            raise ValidationFailed(_("body_html is too large"), field="body_html")
        clean_html = sanitize_html(html)
        text = text or html_to_text(clean_html)
    else:
        clean_html = text_to_html(text or "")
    text = validation.text(text or "", "body", max_length=MAX_BODY)
    return text, clean_html


def record_event(
    ticket: Ticket,
    actor: Actor,
    kind: str,
    *,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> TicketEvent:
    return db.add(
        TicketEvent(
            ticket=ticket,
            kind=kind,
            actor_user=actor.user,
            actor_label=actor.label,
            before=before or {},
            after=after or {},
            note=note,
            created_at=clock.now(),
        )
    )


def lock_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """Fetch a ticket the actor may see, locked for update; 404 if they may not."""
    if not actor.is_customer:
        # The worker's batch holds its tickets locked, in its unit of work.
        held = db.tracked(Ticket, ticket_id)
        if held is not None:
            return held
    try:
        # What the change's listeners read (routing facts, SLA policy, notifications) comes
        # with the locked row; only the ticket's own row is locked.
        return (
            visible_tickets(actor)
            .select_related(*RELATED)
            .select_for_update(of=("self",))
            .get(pk=ticket_id)
        )
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Ticket %(id)s not found") % {"id": ticket_id}) from None


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != ticket.version:
        raise Conflict(
            _("Ticket #%(id)d is at version %(current)d, not %(expected)d; reload and try again")
            % {"id": ticket.pk, "current": ticket.version, "expected": expected_version}
        )


def _save(ticket: Ticket, fields: Sequence[str]) -> None:
    """Write the changed fields and bump the version, compare-and-set on the old version."""
    now = clock.now()
    old_version = ticket.version
    ticket.version = old_version + 1
    ticket.updated_at = now
    values = {name: getattr(ticket, name) for name in {*fields, "version", "updated_at"}}
    if "priority" in values:
        values["priority_rank"] = ticket.priority_rank = PRIORITY_RANK[ticket.priority]
    if not db.update_row(Ticket, ticket.pk, values, expected={"version": old_version}):
        raise Conflict()


def _store_attachments(message: Message, attachments: Sequence[NewAttachment]) -> None:
    allowed = set(settings.ATTACHMENT_ALLOWED_TYPES)
    for item in attachments:
        filename = validation.text(
            item.filename.replace("/", "_").replace("\\", "_"),
            "filename",
            max_length=255,
            required=True,
        )
        if len(item.content) > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationFailed(
                _("attachments: %(name)s is %(size)d bytes, the limit is %(limit)d")
                % {
                    "name": filename,
                    "size": len(item.content),
                    "limit": settings.ATTACHMENT_MAX_BYTES,
                },
                field="attachments",
            )
        content_type = (
            item.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        content_type = content_type.split(";")[0].strip().lower()
        if content_type not in allowed:
            raise ValidationFailed(
                _("attachments: %(name)s has a content type %(type)s that is not accepted")
                % {"name": filename, "type": content_type},
                field="attachments",
            )
        digest = hashlib.sha256(item.content).hexdigest()
        attachment = Attachment(
            message=message,
            filename=filename,
            content_type=content_type,
            size=len(item.content),
            sha256=digest,
            content_id=item.content_id[:255],
        )
        attachment.file.save(digest, ContentFile(item.content), save=False)
        attachment.save()


def _notify(
    ticket: Ticket,
    actor: Actor,
    changes: dict[str, tuple[Any, Any]],
    *,
    message: Message | None = None,
    created: bool = False,
) -> None:
    ticket_changed.send(
        sender=Ticket, ticket=ticket, actor=actor, changes=changes, message=message, created=created
    )


def _resolve_team(value: Team | int | str | None) -> Team | None:
    if value is None or isinstance(value, Team):
        return value
    lookup = {"pk": value} if isinstance(value, int) or str(value).isdigit() else {"slug": value}
    try:
        return Team.objects.get(**lookup)
    except Team.DoesNotExist:
        raise ValidationFailed(
            _("team: no team %(team)r") % {"team": value}, field="team"
        ) from None


def resolve_agent(value: Any) -> Any:
    if value is None:
        return None
    User = get_user_model()
    if isinstance(value, User) and value._state.fields_cache.get("agent_profile") is not None:
        return value  # resolved before (the profile came with it): an agent
    if isinstance(value, User):
        lookup = {"pk": value.pk}
    elif isinstance(value, int) or str(value).isdigit():
        lookup = {"pk": value}
    else:
        lookup = {"username": value}
    user = db.memo(
        ("agent", *lookup.items()),
        lambda: (
            User.objects.filter(**lookup, is_active=True, agent_profile__isnull=False)
            .select_related("agent_profile")
            .first()
        ),
    )
    if user is None:
        raise ValidationFailed(
            _("assignee: %(who)r is not an active agent") % {"who": value}, field="assignee"
        )
    return user


# --- actions -----------------------------------------------------------------------------


@transaction.atomic
def create_ticket(
    actor: Actor,
    *,
    subject: str,
    body_text: str = "",
    body_html: str | None = None,
    customer: Customer | int | None = None,
    customer_email: str | None = None,
    customer_name: str = "",
    channel: str = Channel.API,
    priority: str = Priority.NORMAL,
    category: str = "",
    tags: Iterable[str] = (),
    language: str = "",
    team: Team | int | str | None = None,
    assignee: Any = None,
    external_id: str | None = None,
    is_automatic: bool = False,
    attachments: Sequence[NewAttachment] = (),
    metadata: dict | None = None,
    follow_up_of: Ticket | None = None,
) -> Ticket:
    """Open a ticket with its first message from the customer."""
    if actor.is_customer:
        if customer not in (None, actor.customer, getattr(actor.customer, "pk", None)):
            raise PermissionDenied(_("customers can only open tickets for themselves"))
        requester = actor.customer
        if team is not None or assignee is not None:
            raise PermissionDenied(_("customers cannot choose the team or the assignee"))
    elif actor.is_agent:
        requester = account_services.resolve_customer(
            actor, customer=customer, email=customer_email, name=customer_name
        )
    else:
        raise PermissionDenied()

    subject = validation.text(subject, "subject", max_length=MAX_SUBJECT, required=True)
    text, clean_html = _body(body_text, body_html)
    validation.choice(channel, Channel, "channel")
    validation.choice(priority, Priority, "priority")
    language = (
        validation.text(language, "language", max_length=10)
        or detect_language(f"{subject}\n{text}", default=requester.language or None)
        or ""
    )
    now = clock.now()
    ticket = Ticket.objects.create(
        subject=subject,
        channel=channel,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        category=validation.text(category, "category", max_length=64),
        tags=_clean_tags(tags),
        language=language,
        customer=requester,
        organisation=requester.organisation,
        team=_resolve_team(team),
        assignee=resolve_agent(assignee),
        follow_up_of=follow_up_of,
        created_at=now,
        updated_at=now,
    )
    if ticket.assignee_id is not None:
        ticket.status = Status.OPEN
        ticket.save(update_fields=["status"])
    try:
        with transaction.atomic():
            message = Message.objects.create(
                ticket=ticket,
                kind=Message.Kind.PUBLIC,
                author_user=actor.user if actor.is_agent and not actor.is_system else None,
                author_customer=requester,
                channel=channel,
                body_text=text,
                body_html=clean_html,
                is_automatic=is_automatic,
                external_id=external_id or None,
                metadata=metadata or {},
                created_at=now,
            )
    except IntegrityError:
        raise Conflict(_("a message with this external id already exists")) from None
    _store_attachments(message, attachments)
    record_event(
        ticket,
        actor,
        "created",
        after={
            "subject": subject,
            "channel": channel,
            "priority": priority,
            "status": ticket.status,
            "team": ticket.team.slug if ticket.team else None,
            "assignee": ticket.assignee.username if ticket.assignee else None,
            "customer": requester.pk,
        },
    )
    _notify(ticket, actor, {}, message=message, created=True)
    return ticket


@transaction.atomic
def add_message(
    actor: Actor,
    ticket_id: int,
    *,
    body_text: str = "",
    body_html: str | None = None,
    kind: str = Message.Kind.PUBLIC,
    channel: str | None = None,
    external_id: str | None = None,
    is_automatic: bool = False,
    attachments: Sequence[NewAttachment] = (),
    set_status: str | None = None,
    expected_version: int | None = None,
    metadata: dict | None = None,
    as_customer: bool = False,
) -> Message:
    """Add a reply, an internal note or a system message, moving the status as it implies.

    A customer writing to a closed ticket opens a follow-up ticket; the message returned is
    then the first message of that follow-up. Channel adapters (mail, chat) act as the system
    and pass ``as_customer`` for what the customer wrote.
    """
    if as_customer and not actor.is_system:
        raise PermissionDenied()
    from_customer = actor.is_customer or as_customer
    ticket = lock_ticket(actor, ticket_id)
    _check_version(ticket, expected_version)
    validation.choice(kind, Message.Kind, "kind")
    if actor.is_customer and (kind != Message.Kind.PUBLIC or set_status):
        raise PermissionDenied(_("customers can only add public replies"))
    if kind == Message.Kind.SYSTEM and not actor.is_system:
        raise PermissionDenied(_("only the system writes system messages"))
    text, clean_html = _body(body_text, body_html)
    if not text and not attachments:
        raise ValidationFailed(_("body must not be empty"), field="body")
    channel = validation.choice(channel or ticket.channel, Channel, "channel")

    if ticket.status == Status.CLOSED:
        if from_customer:
            follow_up = create_ticket(
                actor,
                subject=ticket.subject,
                body_text=text,
                body_html=clean_html if body_html else None,
                customer=ticket.customer,
                channel=channel,
                priority=ticket.priority,
                category=ticket.category,
                tags=ticket.tags,
                language=ticket.language,
                external_id=external_id,
                attachments=attachments,
                metadata=metadata,
                follow_up_of=ticket,
            )
            record_event(ticket, actor, "follow_up_opened", after={"ticket": follow_up.pk})
            return follow_up.messages.get()
        raise Conflict(_("Ticket #%(id)d is closed; closed tickets are final") % {"id": ticket.pk})

    now = clock.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                ticket=ticket,
                kind=kind,
                author_user=None if from_customer else actor.user,
                author_customer=ticket.customer if from_customer else None,
                channel=channel,
                body_text=text,
                body_html=clean_html,
                is_automatic=is_automatic,
                external_id=external_id or None,
                metadata=metadata or {},
                created_at=now,
            )
    except IntegrityError:
        raise Conflict(_("a message with this external id already exists")) from None
    _store_attachments(message, attachments)

    changes: dict[str, tuple[Any, Any]] = {}
    before_status = ticket.status
    if from_customer:
        new_status = states.status_after_customer_reply(ticket.status)
        if ticket.status == Status.SOLVED:
            ticket.reopen_count += 1
            ticket.solved_at = None
            changes["reopen_count"] = (ticket.reopen_count - 1, ticket.reopen_count)
    elif kind == Message.Kind.PUBLIC and not is_automatic:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            changes["first_response_at"] = (None, now.isoformat())
        new_status = states.status_after_agent_work(ticket.status)
    else:
        new_status = ticket.status
    if set_status:
        validation.choice(set_status, Status, "status")
        if set_status == Status.CLOSED:
            raise ValidationFailed(_("status: solve the ticket before closing it"), field="status")
        if not states.can_transition(new_status, set_status):
            raise ValidationFailed(
                _("status: cannot go from %(from)s to %(to)s")
                % {"from": new_status, "to": set_status},
                field="status",
            )
        new_status = set_status
    if new_status != before_status:
        ticket.status = new_status
        changes["status"] = (before_status, new_status)
        if new_status == Status.SOLVED:
            ticket.solved_at = now
    _save(ticket, ["status", "first_response_at", "solved_at", "reopen_count"])
    record_event(
        ticket,
        actor,
        "reopened" if "reopen_count" in changes else f"message_{kind}",
        before={"status": before_status},
        after={"status": ticket.status, "message": message.pk},
    )
    _notify(ticket, actor, changes, message=message)
    return message


UPDATABLE_FIELDS = (
    "subject",
    "status",
    "priority",
    "category",
    "tags",
    "language",
    "team",
    "assignee",
    "level",
)


@transaction.atomic
def update_ticket(
    actor: Actor,
    ticket_id: int,
    *,
    expected_version: int | None,
    reason: str = "",
    **changes: Any,
) -> Ticket:
    """Change status, priority, team, assignee, level, category, tags, subject or language.

    ``expected_version`` is the version the caller last saw; a stale one is a conflict.
    Only agents change tickets; moving a ticket between teams here is a plain reassignment,
    a functional escalation with a reason goes through the escalation engine.
    """
    actor.require_agent()
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(_("%(field)s cannot be changed") % {"field": field}, field=field)
    ticket = lock_ticket(actor, ticket_id)
    _check_version(ticket, expected_version)
    if ticket.status == Status.CLOSED:
        raise Conflict(_("Ticket #%(id)d is closed; closed tickets are final") % {"id": ticket.pk})

    now = clock.now()
    diff: dict[str, tuple[Any, Any]] = {}

    def setfield(name: str, new: Any, shown_before: Any, shown_after: Any) -> None:
        if getattr(ticket, name) != new:
            setattr(ticket, name, new)
            diff[name] = (shown_before, shown_after)

    if "subject" in changes:
        setfield(
            "subject",
            validation.text(changes["subject"], "subject", max_length=MAX_SUBJECT, required=True),
            ticket.subject,
            changes["subject"],
        )
    if "priority" in changes:
        setfield(
            "priority",
            validation.choice(changes["priority"], Priority, "priority"),
            ticket.priority,
            changes["priority"],
        )
    if "category" in changes:
        value = validation.text(changes["category"] or "", "category", max_length=64)
        setfield("category", value, ticket.category, value)
    if "tags" in changes:
        value = _clean_tags(changes["tags"] or [])
        setfield("tags", value, ticket.tags, value)
    if "language" in changes:
        value = validation.text(changes["language"] or "", "language", max_length=10)
        setfield("language", value, ticket.language, value)
    if "level" in changes:
        level = changes["level"]
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 10:
            raise ValidationFailed(_("level: must be a whole number from 1 to 10"), field="level")
        setfield("level", level, ticket.level, level)
    if "team" in changes:
        team = _resolve_team(changes["team"])
        setfield(
            "team", team, ticket.team.slug if ticket.team else None, team.slug if team else None
        )
    if "assignee" in changes:
        user = resolve_agent(changes["assignee"])
        setfield(
            "assignee",
            user,
            ticket.assignee.username if ticket.assignee else None,
            user.username if user else None,
        )
        # A person taking or handing out a new ticket opens it; automatic routing leaves it
        # new, so "new" keeps meaning "no human has touched it yet".
        if (
            user is not None
            and "status" not in changes
            and ticket.status == Status.NEW
            and not actor.is_system
        ):
            changes["status"] = states.status_after_agent_work(ticket.status)
    if "status" in changes:
        target = validation.choice(changes["status"], Status, "status")
        if not states.can_transition(ticket.status, target):
            raise ValidationFailed(
                _("status: cannot go from %(from)s to %(to)s")
                % {"from": ticket.status, "to": target},
                field="status",
            )
        before = ticket.status
        if before != target:
            ticket.status = target
            diff["status"] = (before, target)
            if target == Status.SOLVED:
                ticket.solved_at = now
            elif target == Status.CLOSED:
                ticket.closed_at = now
            elif before == Status.SOLVED:
                ticket.solved_at = None
                ticket.reopen_count += 1
    if not diff:
        return ticket
    _save(ticket, [*diff, "solved_at", "closed_at", "reopen_count"])
    db.add_all(
        TicketEvent(
            ticket=ticket,
            kind=f"{field}_changed",
            actor_user=actor.user,
            actor_label=actor.label,
            before={field: before},
            after={field: after},
            note=reason,
            created_at=now,
        )
        for field, (before, after) in diff.items()
    )
    _notify(ticket, actor, diff)
    return ticket
