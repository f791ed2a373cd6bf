"""Inbound mail: one raw message in, one outcome out — a ticket, a message, a duplicate, a
bounce note or a quarantined copy. Every way mail arrives (IMAP, SMTP/LMTP, a pipe) calls
``ingest``; the rules are in docs/mail.md.

The promise: ``ingest`` returns an ``IngestResult`` for any bytes. It raises only for
*transient* trouble (the database is down or locked), so the caller leaves the mail where it
is (IMAP: unflagged; SMTP: 451; pipe: exit 75) and it comes again. Everything else that
cannot become a ticket message is stored raw in the quarantine, never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.utils.translation import gettext as _

from escalade.accounts import services as account_services
from escalade.accounts.models import Customer
from escalade.core import clock
from escalade.core.actors import Actor
from escalade.core.errors import Conflict, NotFound, ServiceError
from escalade.core.language import choose_language, language_of_country
from escalade.mail import outbound, selectors
from escalade.mail.models import (
    InboundMail,
    Mailbox,
    OutboundMail,
    QuarantineEvent,
    RawMessage,
)
from escalade.mail.outbound import CHANNEL_ACTOR
from escalade.mail.parsing import (
    MailLimits,
    ParsedAttachment,
    ParsedMail,
    UnparseableMail,
    parse_message,
)
from escalade.tickets import services as tickets
from escalade.tickets.models import Channel, Message, Status, Ticket

logger = logging.getLogger("escalade.mail")

_UNLIMITED = MailLimits(max_attachment_bytes=2**62, max_message_bytes=2**62, max_attachments=10_000)
_MAX_REFERENCES_KEPT = 20


class Outcome:
    CREATED = "created"  # a new ticket
    ADDED = "added"  # a message on an existing ticket (a solved one is reopened)
    FOLLOW_UP = "follow_up"  # the customer wrote to a closed ticket: a linked new ticket
    DUPLICATE = "duplicate"  # this Message-ID is known: nothing written
    BOUNCE = "bounce"  # a delivery report, attached to the ticket whose mail bounced
    NOTED = "noted"  # an auto-reply about a closed ticket: an audit event only
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class IngestResult:
    outcome: str
    ticket: int | None = None
    message: int | None = None
    quarantine: int | None = None
    reason: str = ""
    acknowledged: bool = False
    refused_attachments: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class _Refused(Exception):
    """The mail cannot go on a ticket; the transaction rolls back and it is quarantined."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Context:
    source: str
    mailbox: Mailbox | None
    recipients: tuple[str, ...]
    trusted: bool  # an admin re-processes it: no rate limit, no own-address refusal


def mail_limits() -> MailLimits:
    return MailLimits(
        max_attachment_bytes=settings.MAIL_MAX_ATTACHMENT_BYTES,
        max_message_bytes=settings.MAIL_MAX_MESSAGE_BYTES,
        max_attachments=settings.MAIL_MAX_ATTACHMENTS,
    )


# --- ingest ----------------------------------------------------------------------------------


def ingest(
    raw: bytes,
    *,
    source: str,
    mailbox: Mailbox | None = None,
    recipients: Sequence[str] = (),
) -> IngestResult:
    """Turn one raw mail into a ticket, a message, a bounce note, or a quarantined copy.

    Commits before it returns. Raises only ``DatabaseError`` for transient trouble.
    """
    context = _Context(
        source=source[:100],
        mailbox=mailbox,
        recipients=tuple(r.lower() for r in recipients),
        trusted=False,
    )
    result, parsed = _process(bytes(raw), context, mail_limits())
    if result.outcome != Outcome.QUARANTINED:
        return result
    with transaction.atomic():
        row = _quarantine(bytes(raw), result.reason, context, parsed)
    return IngestResult(Outcome.QUARANTINED, quarantine=row.pk, reason=result.reason)


def _process(
    raw: bytes, context: _Context, limits: MailLimits
) -> tuple[IngestResult, ParsedMail | None]:
    try:
        parsed = parse_message(raw, limits, ticket_token_pattern=settings.MAIL_TICKET_TOKEN_PATTERN)
    except UnparseableMail as error:
        return IngestResult(Outcome.QUARANTINED, reason=error.reason), None
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                result = _ingest_parsed(parsed, raw, context)
                if result.message is not None and result.outcome != Outcome.DUPLICATE:
                    # The original, quoted history and signature included ("show original").
                    RawMessage.objects.create(
                        message_id=result.message, raw=raw, size=len(raw), received_at=clock.now()
                    )
                return result, parsed
        except Conflict as error:
            if attempt == 1:
                # A concurrent delivery created the same customer (or message) first; the
                # second attempt sees it committed (a duplicate, or the existing customer).
                continue
            reason = _("refused by the ticket service: %(error)s") % {"error": error.message}
        except _Refused as refused:
            reason = refused.reason
        except ServiceError as error:
            reason = _("refused by the ticket service: %(error)s") % {"error": error.message}
        except (IntegrityError, DataError) as error:
            logger.exception("mail %s: data error while ingesting", parsed.message_id)
            reason = _("could not be stored: %(error)s") % {
                "error": f"{type(error).__name__}: {error}"
            }
        except DatabaseError:
            raise  # transient: locked, disconnected; the mail stays where it is, comes again
        except Exception as error:  # a bug of ours must not lose the mail
            logger.exception("mail %s: unexpected error while ingesting", parsed.message_id)
            reason = _("ingest error: %(error)s") % {"error": f"{type(error).__name__}: {error}"}
        break
    return IngestResult(Outcome.QUARANTINED, reason=reason[:2000]), parsed


def _ingest_parsed(parsed: ParsedMail, raw: bytes, context: _Context) -> IngestResult:
    known = (
        Message.objects.filter(external_id=parsed.message_id).values_list("pk", "ticket_id").first()
    )
    if known is not None:
        return IngestResult(Outcome.DUPLICATE, ticket=known[1], message=known[0])
    ours = (
        OutboundMail.objects.filter(message_id=parsed.message_id)
        .values_list("ticket_id", flat=True)
        .first()
    )
    if ours is not None:  # our own mail came back (a Bcc, a list): already on the ticket
        return IngestResult(Outcome.DUPLICATE, ticket=ours, reason=_("a mail we sent"))
    if parsed.bounce is not None:
        return _attach_bounce(parsed, raw)

    config = selectors.mail_config()
    own = config.own
    if parsed.from_address in own and not context.trusted:
        raise _Refused(
            _("sent from our own address %(address)s (a mail loop?)")
            % {"address": parsed.from_address}
        )
    sender = Customer.objects.filter(email=parsed.from_address).first()
    if sender is not None and not context.trusted:
        _check_sender_rate(sender)

    mailbox, team = (
        (context.mailbox, context.mailbox.team)
        if context.mailbox is not None
        else config.route([*context.recipients, *parsed.to, *parsed.cc])
    )
    body = _Body.of(parsed)
    metadata = _metadata(parsed, context, body, mailbox)
    ticket = _find_ticket(parsed)

    if ticket is not None and parsed.auto_submitted:
        return _note_auto_reply(ticket, parsed, body, metadata)
    if ticket is not None:
        message = _add_customer_message(ticket, parsed, body, metadata, sender)
        if message is None:
            return _duplicate(parsed)
        if message.ticket_id == ticket.pk:
            return IngestResult(
                Outcome.ADDED,
                ticket=ticket.pk,
                message=message.pk,
                refused_attachments=body.refused,
            )
        follow_up = message.ticket
        acknowledged = _acknowledge(follow_up, parsed, mailbox, own)
        return IngestResult(
            Outcome.FOLLOW_UP,
            ticket=follow_up.pk,
            message=message.pk,
            acknowledged=acknowledged,
            refused_attachments=body.refused,
        )

    language = _ticket_language(parsed, body, sender, mailbox)
    try:
        ticket = tickets.create_ticket(
            CHANNEL_ACTOR,
            subject=_subject(parsed.subject),
            body_text=body.text,
            body_html=body.html,
            customer=sender,
            customer_email=None if sender is not None else parsed.from_address,
            customer_name=parsed.from_name,
            channel=Channel.EMAIL,
            language=language,
            team=team,
            external_id=parsed.message_id,
            is_automatic=parsed.auto_submitted is not None,
            attachments=body.attachments,
            metadata=metadata,
        )
    except Conflict as conflict:
        return _duplicate(parsed, conflict)
    message = ticket.messages.only("pk").first()
    acknowledged = _acknowledge(ticket, parsed, mailbox, own)
    return IngestResult(
        Outcome.CREATED,
        ticket=ticket.pk,
        message=message.pk if message else None,
        acknowledged=acknowledged,
        refused_attachments=body.refused,
    )


def _ticket_language(
    parsed: ParsedMail, body: _Body, sender: Customer | None, mailbox: Mailbox | None
) -> str:
    """The language of the customer's words, one we support.

    A short or ambiguous text (langdetect reads "My order has not been delivered." as
    Danish) or a language we do not speak falls back to the customer's language, then the
    organisation's (by its country), then the mailbox's, then the site's.
    """

    def fallbacks():  # lazily: the organisation is looked up only when it is needed
        if sender is not None and sender.language:
            yield sender.language
        if sender is not None and sender.organisation_id is not None:
            organisation = sender.organisation
        else:
            organisation = account_services.organisation_for_email(parsed.from_address)
        if organisation is not None:
            yield language_of_country(organisation.country)
        if mailbox is not None:
            yield mailbox.language

    return choose_language(
        body.reply_text,
        supported=[code for code, _name in settings.LANGUAGES],
        fallbacks=fallbacks(),
        default=settings.LANGUAGE_CODE,
    )


def _duplicate(parsed: ParsedMail, conflict: Conflict | None = None) -> IngestResult:
    """A concurrent delivery of the same Message-ID won the race.

    Any other conflict (a customer created by a concurrent mail) is raised again: ingest
    tries once more, in a new transaction that sees the other one committed.
    """
    known = (
        Message.objects.filter(external_id=parsed.message_id).values_list("pk", "ticket_id").first()
    )
    if known is None:
        raise conflict or Conflict(_("the ticket service refused the message as a duplicate"))
    return IngestResult(Outcome.DUPLICATE, ticket=known[1], message=known[0])


# --- threading -------------------------------------------------------------------------------


def _find_ticket(parsed: ParsedMail) -> Ticket | None:
    """In-Reply-To / References against every Message-ID we received or sent, then the
    ticket token in the subject (only from the ticket's customer or organisation)."""
    candidates = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))
    ticket_id = None
    if candidates:
        known = dict(
            Message.objects.filter(external_id__in=candidates).values_list(
                "external_id", "ticket_id"
            )
        )
        known.update(
            OutboundMail.objects.filter(message_id__in=candidates).values_list(
                "message_id", "ticket_id"
            )
        )
        ticket_id = next((known[c] for c in candidates if c in known), None)
    ticket = None
    if ticket_id is not None:
        ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    elif parsed.ticket_token is not None:
        ticket = Ticket.objects.select_related("customer").filter(pk=parsed.ticket_token).first()
        if ticket is not None and not _may_use_token(ticket, parsed.from_address):
            ticket = None
    if ticket is not None and ticket.status == Status.CLOSED:
        # Replies to a closed ticket go to its open follow-up, if the customer has one.
        follow_up = (
            Ticket.objects.select_related("customer")
            .filter(follow_up_of=ticket)
            .exclude(status=Status.CLOSED)
            .order_by("-created_at", "-id")
            .first()
        )
        ticket = follow_up or ticket
    return ticket


def _may_use_token(ticket: Ticket, sender: str) -> bool:
    """A bare "[#1234]" is guessable: it threads only mail from the ticket's own people."""
    if ticket.customer.email and ticket.customer.email.lower() == sender:
        return True
    if ticket.organisation_id is None:
        return False
    organisation = account_services.organisation_for_email(sender)
    return organisation is not None and organisation.pk == ticket.organisation_id


# --- what goes on the ticket -------------------------------------------------------------------


@dataclass
class _Body:
    text: str
    html: str | None
    reply_text: str
    trimmed: bool
    attachments: list[tickets.NewAttachment]
    refused: list[dict]

    @classmethod
    def of(cls, parsed: ParsedMail) -> _Body:
        reply = parsed.reply_text.strip()
        trimmed = reply != parsed.text.strip()
        text = reply or parsed.text or parsed.subject or _("(empty message)")
        parts = list(parsed.attachments)
        for forwarded in parsed.forwarded:
            text += "\n\n" + _forward_block(forwarded)
            parts.extend(forwarded.attachments)
        attachments, refused = _accepted_attachments(parts)
        if len(text) > tickets.MAX_BODY:
            full = text.encode("utf-8")
            if len(full) <= settings.ATTACHMENT_MAX_BYTES:
                attachments.append(tickets.NewAttachment("message.txt", full, "text/plain"))
            text = text[: tickets.MAX_BODY - 100].rstrip() + "\n\n" + _("(shortened)")
            trimmed = True
        html = None
        if parsed.html and not trimmed and not parsed.forwarded:
            html = parsed.html if len(parsed.html) <= tickets.MAX_BODY * 4 else None
        return cls(text, html, reply or parsed.text, trimmed, attachments, refused)


def _forward_block(mail: ParsedMail) -> str:
    sender = f"{mail.from_name} <{mail.from_address}>" if mail.from_name else mail.from_address
    lines = [_("---------- Forwarded message ----------"), _("From: %(from)s") % {"from": sender}]
    if mail.date is not None:
        lines.append(_("Date: %(date)s") % {"date": mail.date.isoformat()})
    lines.append(_("Subject: %(subject)s") % {"subject": mail.subject})
    return "\n".join(lines) + "\n\n" + mail.text


def _accepted_attachments(
    parts: Sequence[ParsedAttachment],
) -> tuple[list[tickets.NewAttachment], list[dict]]:
    """Attachments the ticket service accepts. A type not on the list is kept as
    application/octet-stream when that is accepted (it is served as a download anyway)."""
    allowed = set(settings.ATTACHMENT_ALLOWED_TYPES)
    accepted, refused = [], []
    for part in parts:
        content_type = part.content_type.lower()
        if content_type not in allowed and "application/octet-stream" in allowed:
            content_type = "application/octet-stream"
        if content_type not in allowed or len(part.content) > settings.ATTACHMENT_MAX_BYTES:
            refused.append(
                {
                    "filename": part.filename,
                    "content_type": part.content_type,
                    "size": len(part.content),
                }
            )
            continue
        accepted.append(
            tickets.NewAttachment(
                filename=part.filename,
                content=part.content,
                content_type=content_type,
                content_id=part.content_id or "",
            )
        )
    return accepted, refused


def _metadata(parsed: ParsedMail, context: _Context, body: _Body, mailbox: Mailbox | None) -> dict:
    email = {
        "message_id": parsed.message_id,
        "from": parsed.from_address,
        "to": parsed.to[:20],
        "subject": parsed.subject[:500],
        "source": context.source,
    }
    if parsed.from_name:
        email["from_name"] = parsed.from_name
    if parsed.cc:
        email["cc"] = parsed.cc[:20]
    if parsed.reply_to:
        email["reply_to"] = parsed.reply_to
    if parsed.date is not None:
        email["date"] = parsed.date.isoformat()
    if parsed.in_reply_to:
        email["in_reply_to"] = parsed.in_reply_to[:5]
    if parsed.references:
        email["references"] = parsed.references[-_MAX_REFERENCES_KEPT:]
    if parsed.auto_submitted:
        email["auto_submitted"] = parsed.auto_submitted
    if parsed.defects:
        email["defects"] = parsed.defects[:10]
    if body.trimmed:
        email["trimmed"] = True
    if mailbox is not None:
        email["mailbox"] = mailbox.name
    metadata: dict = {"email": email}
    if body.refused:
        metadata["refused_attachments"] = body.refused
    return metadata


def _subject(subject: str) -> str:
    return subject.strip()[: tickets.MAX_SUBJECT] or _("(no subject)")


def _add_customer_message(
    ticket: Ticket, parsed: ParsedMail, body: _Body, metadata: dict, sender: Customer | None
) -> Message | None:
    try:
        message = tickets.add_message(
            CHANNEL_ACTOR,
            ticket.pk,
            body_text=body.text,
            body_html=body.html,
            channel=Channel.EMAIL,
            external_id=parsed.message_id,
            attachments=body.attachments,
            metadata=metadata,
            as_customer=True,
        )
    except Conflict:
        if Message.objects.filter(external_id=parsed.message_id).exists():
            return None
        raise
    customer_email = (ticket.customer.email or "").lower()
    if parsed.from_address != customer_email:
        # Someone else on the thread (a colleague in Cc) wrote: the message is theirs.
        author = sender or account_services.resolve_customer(
            CHANNEL_ACTOR, customer=None, email=parsed.from_address, name=parsed.from_name
        )
        Message.objects.filter(pk=message.pk).update(author_customer=author)
    return message


def _note_auto_reply(
    ticket: Ticket, parsed: ParsedMail, body: _Body, metadata: dict
) -> IngestResult:
    """An out-of-office or other machine answer on a ticket: an internal note, so it neither
    reopens the ticket nor counts as the customer writing."""
    text = (
        _("Automatic reply from %(sender)s (%(why)s):")
        % {"sender": parsed.from_address, "why": parsed.auto_submitted}
        + "\n\n"
        + body.text
    )
    try:
        message = tickets.add_message(
            CHANNEL_ACTOR,
            ticket.pk,
            body_text=text,
            kind=Message.Kind.INTERNAL,
            channel=Channel.EMAIL,
            external_id=parsed.message_id,
            is_automatic=True,
            attachments=body.attachments,
            metadata=metadata,
        )
    except Conflict:
        if Message.objects.filter(external_id=parsed.message_id).exists():
            return _duplicate(parsed)
        # A closed ticket takes no more messages; the audit trail keeps the fact.
        tickets.record_event(
            ticket,
            CHANNEL_ACTOR,
            "email_auto_reply",
            after={"message_id": parsed.message_id, "from": parsed.from_address},
            note=parsed.subject[:500],
        )
        return IngestResult(Outcome.NOTED, ticket=ticket.pk, reason=parsed.auto_submitted or "")
    return IngestResult(Outcome.ADDED, ticket=ticket.pk, message=message.pk)


def _attach_bounce(parsed: ParsedMail, raw: bytes) -> IngestResult:
    """A delivery status notification goes on the ticket of the mail that bounced."""
    info = parsed.bounce
    original = info.original_message_id if info else None
    sent = (
        OutboundMail.objects.select_for_update().filter(message_id=original).first()
        if original
        else None
    )
    if sent is None:
        raise _Refused(_("a delivery report about a mail we did not send"))
    details = {
        "recipient": info.recipient or sent.to,
        "status": info.status or info.action or "?",
        "diagnostic": info.diagnostic or "",
    }
    if info.permanent:
        text = _("The mail to %(recipient)s could not be delivered (%(status)s). %(diagnostic)s")
        sent.status = OutboundMail.Status.BOUNCED
    else:
        text = _("Delivery of the mail to %(recipient)s is delayed (%(status)s). %(diagnostic)s")
    sent.last_error = f"{details['status']} {details['diagnostic']}".strip()[:2000]
    sent.save(update_fields=["status", "last_error"])
    attachments = []
    if len(raw) <= settings.ATTACHMENT_MAX_BYTES and "message/rfc822" in set(
        settings.ATTACHMENT_ALLOWED_TYPES
    ):
        attachments.append(tickets.NewAttachment("delivery-report.eml", raw, "message/rfc822"))
    metadata = {
        "email": {"message_id": parsed.message_id, "from": parsed.from_address},
        "bounce": {**details, "original_message_id": original, "permanent": info.permanent},
    }
    try:
        message = tickets.add_message(
            CHANNEL_ACTOR,
            sent.ticket_id,
            body_text=(text % details).strip(),
            kind=Message.Kind.SYSTEM,
            channel=Channel.EMAIL,
            external_id=parsed.message_id,
            is_automatic=True,
            attachments=attachments,
            metadata=metadata,
        )
    except Conflict:
        if Message.objects.filter(external_id=parsed.message_id).exists():
            return _duplicate(parsed)
        tickets.record_event(
            Ticket.objects.get(pk=sent.ticket_id),
            CHANNEL_ACTOR,
            "email_bounced",
            after={"to": details["recipient"], "status": details["status"]},
            note=details["diagnostic"],
        )
        return IngestResult(Outcome.BOUNCE, ticket=sent.ticket_id)
    return IngestResult(Outcome.BOUNCE, ticket=sent.ticket_id, message=message.pk)


# --- loop and abuse protection ---------------------------------------------------------------


def _check_sender_rate(sender: Customer) -> None:
    since = clock.now() - timedelta(seconds=settings.MAIL_RATE_WINDOW_SECONDS)
    recent = Message.objects.filter(
        author_customer=sender, channel=Channel.EMAIL, created_at__gte=since
    ).count()
    if recent >= settings.MAIL_SENDER_LIMIT:
        raise _Refused(
            _("rate limit: %(count)d mails from %(sender)s within %(seconds)d seconds")
            % {
                "count": recent + 1,
                "sender": sender.email,
                "seconds": settings.MAIL_RATE_WINDOW_SECONDS,
            }
        )


def _acknowledge(
    ticket: Ticket, parsed: ParsedMail, mailbox: Mailbox | None, own: frozenset[str]
) -> bool:
    """Queue the acknowledgement of a new ticket, unless that could feed a loop."""
    if not settings.MAIL_ACKNOWLEDGE or parsed.auto_submitted:
        return False
    if mailbox is not None and not mailbox.send_acknowledgement:
        return False
    to = (parsed.reply_to or parsed.from_address).lower()
    if to in own or parsed.from_address in own:
        return False
    if to.partition("@")[0] in selectors.ROBOT_LOCAL_PARTS:
        return False
    since = clock.now() - timedelta(seconds=settings.MAIL_RATE_WINDOW_SECONDS)
    recent = OutboundMail.objects.filter(
        to=to, kind=OutboundMail.Kind.ACKNOWLEDGEMENT, created_at__gte=since
    ).count()
    if recent >= settings.MAIL_ACK_LIMIT:
        return False
    return outbound.queue_acknowledgement(
        ticket, to=to, in_reply_to=parsed.message_id, mailbox=mailbox
    )


# --- the quarantine ----------------------------------------------------------------------------


def _quarantine(
    raw: bytes, reason: str, context: _Context, parsed: ParsedMail | None
) -> InboundMail:
    digest = hashlib.sha256(raw).hexdigest()
    existing = InboundMail.objects.filter(
        sha256=digest, status=InboundMail.Status.QUARANTINED
    ).first()
    if existing is not None:  # the same bytes again (a redelivery): one copy is enough
        return existing
    if parsed is not None:
        sender, subject, message_id = parsed.from_address, parsed.subject, parsed.message_id
    else:
        sender, subject, message_id = _peek_headers(raw)
    logger.warning("mail quarantined (%s): %s", context.source, reason)
    row = InboundMail.objects.create(
        raw=raw,
        size=len(raw),
        sha256=digest,
        reason=reason,
        source=context.source,
        mailbox=context.mailbox,
        recipients=list(context.recipients)[:50],
        sender=_storable(sender)[:254],
        subject=_storable(subject)[:500],
        message_id=_storable(message_id)[:512],
        received_at=clock.now(),
    )
    _record(row, CHANNEL_ACTOR, QuarantineEvent.Kind.QUARANTINED, note=reason)
    return row


def _record(
    row: InboundMail, actor: Actor, kind: str, *, note: str = "", details: dict | None = None
) -> QuarantineEvent:
    return QuarantineEvent.objects.create(
        mail=row,
        kind=kind,
        actor_user=actor.user,
        actor_label=actor.label[:150],
        note=note[:2000],
        details=details or {},
        created_at=clock.now(),
    )


def _storable(text: str) -> str:
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _peek_headers(raw: bytes) -> tuple[str, str, str]:
    """From, Subject and Message-ID of a mail the parser refused, as far as they read."""
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:65536])
        sender = parseaddr(str(headers.get("From", "")))[1].lower()
        subject = str(make_header(decode_header(str(headers.get("Subject", "")))))
        message_id = str(headers.get("Message-ID", "")).strip()
    except Exception:  # a best effort for the list; the raw bytes are what counts
        return "", "", ""
    return sender, " ".join(subject.split()), message_id


def _held(inbound_id: int) -> InboundMail:
    row = InboundMail.objects.select_for_update().filter(pk=inbound_id).first()
    if row is None:
        raise NotFound(_("Quarantined mail %(id)s not found") % {"id": inbound_id})
    return row


@transaction.atomic
def reprocess(actor: Actor, inbound_id: int, *, ignore_limits: bool = False) -> IngestResult:
    """An admin sends a quarantined (or discarded) mail through ingest again.

    The sender rate limit and the own-address refusal do not apply (the admin decided);
    ``ignore_limits`` lifts the size limits too. If it still cannot go on a ticket, it
    stays quarantined with the new reason. Either way the mail's audit trail says who did
    it, and a ticket it went to says so on its own.
    """
    actor.require_admin()
    row = _held(inbound_id)
    if row.status == InboundMail.Status.REPROCESSED:
        raise Conflict(_("This mail was re-processed already."))
    context = _Context(
        source=row.source,
        mailbox=row.mailbox,
        recipients=tuple(row.recipients or ()),
        trusted=True,
    )
    result, _parsed = _process(
        bytes(row.raw), context, _UNLIMITED if ignore_limits else mail_limits()
    )
    options = {"ignore_limits": ignore_limits}
    if result.outcome == Outcome.QUARANTINED:
        previous = row.reason
        row.reason = result.reason
        row.status = InboundMail.Status.QUARANTINED
        row.save(update_fields=["reason", "status"])
        _record(
            row,
            actor,
            QuarantineEvent.Kind.STILL_QUARANTINED,
            note=result.reason,
            details={**options, "previous_reason": previous},
        )
        return IngestResult(Outcome.QUARANTINED, quarantine=row.pk, reason=result.reason)
    row.status = InboundMail.Status.REPROCESSED
    row.resolved_at = clock.now()
    row.resolved_by = actor.user
    row.result = result.as_dict()
    row.save(update_fields=["status", "resolved_at", "resolved_by", "result"])
    _record(row, actor, QuarantineEvent.Kind.REPROCESSED, details={**options, **row.result})
    ticket = Ticket.objects.filter(pk=result.ticket).first() if result.ticket else None
    if ticket is not None:
        tickets.record_event(
            ticket,
            actor,
            "email_released",
            after={"quarantine": row.pk, "outcome": result.outcome, "message": result.message},
            note=row.reason[:500],
        )
    return IngestResult(**{**result.as_dict(), "quarantine": row.pk})


@transaction.atomic
def discard(actor: Actor, inbound_id: int, *, note: str = "") -> InboundMail:
    """An admin decides a quarantined mail is junk. The row (and the raw copy) stays, marked."""
    actor.require_admin()
    row = _held(inbound_id)
    if row.status != InboundMail.Status.QUARANTINED:
        raise Conflict(_("Only a quarantined mail can be discarded."))
    row.status = InboundMail.Status.DISCARDED
    row.resolved_at = clock.now()
    row.resolved_by = actor.user
    row.save(update_fields=["status", "resolved_at", "resolved_by"])
    _record(row, actor, QuarantineEvent.Kind.DISCARDED, note=note)
    return row


@transaction.atomic
def download_raw(actor: Actor, inbound_id: int) -> InboundMail:
    """An admin takes the raw mail (personal data): allowed, and written on its trail."""
    actor.require_admin()
    row = _held(inbound_id)
    _record(row, actor, QuarantineEvent.Kind.DOWNLOADED, details={"size": row.size})
    return row
