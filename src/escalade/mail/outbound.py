"""Outbound mail about tickets: agent replies and acknowledgements.

Both are rendered in the customer's language and written to the outbox in the transaction of
the change that caused them (the agent's reply, the new ticket), then sent by the worker
through Django's email backend (SMTP) with retries. Each carries a Message-ID of ours, kept
in ``OutboundMail``, so the customer's answer threads back by In-Reply-To/References; every
failed attempt is written on the ticket's audit trail, and a dead letter leaves an internal
note on the ticket.
"""

from __future__ import annotations

import logging
import re
import secrets
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from escalade.core import clock, outbox
from escalade.core.actors import system
from escalade.core.errors import ServiceError
from escalade.core.models import OutboxMessage
from escalade.mail import selectors
from escalade.mail.models import Mailbox, OutboundMail
from escalade.tickets import services as tickets
from escalade.tickets.models import Attachment, Channel, Message, Ticket
from escalade.tickets.signals import ticket_changed

logger = logging.getLogger("escalade.mail")

CHANNEL_ACTOR = system("channel:email")
OUTBOX_CHANNEL = "ticket_mail"
# Agent replies on tickets from these channels are mailed to the customer; chat, phone and
# social media answer on their own channel.
MAILED_CHANNELS = {Channel.EMAIL, Channel.PORTAL, Channel.API}
_REFERENCES_KEPT = 20
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|odp|ynt|r|回复|答复)\s*:\s*)+", re.IGNORECASE)


def ticket_token(ticket: Ticket) -> str:
    return settings.MAIL_TICKET_TOKEN_FORMAT.format(number=ticket.pk)


def mail_language(ticket: Ticket) -> str:
    """The language of mail to the customer: the ticket's, else the customer's, else ours."""
    supported = {code for code, _name in settings.LANGUAGES}
    for candidate in (ticket.language, ticket.customer.language):
        code = (candidate or "").strip().lower().replace("_", "-")
        if not code:
            continue
        if code in supported:
            return code
        base = code.split("-")[0]
        if base == "zh" and "zh-hans" in supported:
            return "zh-hans"
        if base in {"no", "nn"} and "nb" in supported:
            return "nb"
        if base in supported:
            return base
    return settings.LANGUAGE_CODE


def _brand() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or "Escalade"


def _new_message_id(ticket: Ticket, kind: str, from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "escalade.localhost"
    return f"<escalade.{ticket.pk}.{kind}.{secrets.token_hex(8)}@{domain}>"


def _references(thread: list[str]) -> list[str]:
    """The first Message-ID of the thread and the latest ones (RFC 5322 allows trimming)."""
    if len(thread) <= _REFERENCES_KEPT:
        return thread
    return [thread[0], *thread[-(_REFERENCES_KEPT - 1) :]]


def reply_subject(ticket: Ticket) -> str:
    subject = _REPLY_PREFIX.sub("", ticket.subject).strip()
    token = ticket_token(ticket)
    if token not in subject:
        subject = f"{subject} {token}"
    return f"Re: {subject}"


def _enqueue(
    ticket: Ticket,
    *,
    kind: str,
    message: Message | None,
    to: str,
    from_address: str,
    from_name: str,
    subject: str,
    text: str,
    html: str,
    headers: dict[str, str],
    attachments: list[int],
    dedupe_key: str,
    cc: list[str] | None = None,
) -> OutboundMail | None:
    message_id = _new_message_id(ticket, kind, from_address)
    sent = OutboundMail.objects.create(
        message_id=message_id,
        ticket=ticket,
        ticket_message=message,
        kind=kind,
        to=to,
        cc=cc or [],
        created_at=clock.now(),
    )
    payload = {
        "outbound": sent.pk,
        "to": [to],
        "cc": cc or [],
        "from": formataddr((from_name, from_address)),
        "reply_to": from_address,
        "subject": subject,
        "text": text,
        "html": html,
        "headers": {"Message-ID": message_id, "X-Escalade-Ticket": str(ticket.pk), **headers},
        "attachments": attachments,
    }
    if outbox.enqueue(OUTBOX_CHANNEL, dedupe_key, payload, ticket=ticket) is None:
        sent.delete()
        return None
    return sent


def queue_reply(ticket: Ticket, message: Message) -> OutboundMail | None:
    """Mail an agent's public reply to the customer (in the reply's transaction)."""
    to = (ticket.customer.email or "").lower()
    own = selectors.own_addresses()
    if not to or to in own:
        return None
    if OutboundMail.objects.filter(ticket_message=message, kind=OutboundMail.Kind.REPLY).exists():
        return None
    from_address = selectors.sending_address(ticket)
    thread = selectors.thread_message_ids(ticket)
    in_reply_to = selectors.last_customer_message_id(ticket) or (thread[-1] if thread else None)
    author = message.author_user
    author_name = (author.get_full_name() or author.get_username()) if author else ""
    team_name = ticket.team.name if ticket.team_id else _brand()
    with translation.override(mail_language(ticket)):
        context = {
            "ticket": ticket,
            "number": ticket.pk,
            "token": ticket_token(ticket),
            "customer_name": ticket.customer.name,
            "body_text": message.body_text,
            "body_html": message.body_html,
            "author_name": author_name,
            "team_name": team_name,
        }
        text = render_to_string("mail/reply.txt", context).strip() + "\n"
        html = render_to_string("mail/reply.html", context)
    headers = {}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if thread:
        headers["References"] = " ".join(_references(thread))
    return _enqueue(
        ticket,
        kind=OutboundMail.Kind.REPLY,
        message=message,
        to=to,
        from_address=from_address,
        from_name=f"{author_name} ({team_name})" if author_name else team_name,
        subject=reply_subject(ticket),
        text=text,
        html=html,
        headers=headers,
        attachments=list(message.attachments.values_list("pk", flat=True)),
        dedupe_key=f"mail:reply:{message.pk}",
        cc=selectors.reply_cc(ticket, to, own),
    )


def queue_acknowledgement(
    ticket: Ticket, *, to: str, in_reply_to: str, mailbox: Mailbox | None = None
) -> bool:
    """Tell the customer their mail became ticket #n (the caller checked loop protection)."""
    from_address = selectors.sending_address(ticket, mailbox)
    team_name = ticket.team.name if ticket.team_id else _brand()
    with translation.override(mail_language(ticket)):
        context = {
            "ticket": ticket,
            "number": ticket.pk,
            "token": ticket_token(ticket),
            "subject": ticket.subject,
            "customer_name": ticket.customer.name,
            "team_name": team_name,
        }
        subject = _("We received your request: %(subject)s %(token)s") % {
            "subject": _REPLY_PREFIX.sub("", ticket.subject).strip(),
            "token": ticket_token(ticket),
        }
        text = render_to_string("mail/acknowledgement.txt", context).strip() + "\n"
        html = render_to_string("mail/acknowledgement.html", context)
    sent = _enqueue(
        ticket,
        kind=OutboundMail.Kind.ACKNOWLEDGEMENT,
        message=None,
        to=to,
        from_address=from_address,
        from_name=team_name,
        subject=subject,
        text=text,
        html=html,
        headers={
            "In-Reply-To": in_reply_to,
            "References": in_reply_to,
            # RFC 3834: an automatic answer; Outlook's header keeps its own auto-replies away.
            "Auto-Submitted": "auto-replied",
            "X-Auto-Response-Suppress": "All",
        },
        attachments=[],
        dedupe_key=f"mail:ack:{ticket.pk}",
    )
    return sent is not None


@receiver(ticket_changed, dispatch_uid="mail-outbound-reply")
def on_ticket_changed(sender, ticket, actor, changes, message, created, **kwargs):
    """A public, non-automatic message not written by the customer is mailed to them."""
    if message is None or created:
        return
    if message.kind != Message.Kind.PUBLIC or message.is_automatic:
        return
    if message.author_customer_id is not None or message.channel not in MAILED_CHANNELS:
        return
    queue_reply(ticket, message)


# --- delivery ------------------------------------------------------------------------------


@outbox.deliverer(OUTBOX_CHANNEL)
def deliver_ticket_mail(item: OutboxMessage) -> None:
    """Send one ticket mail; a failure is recorded on the ticket, then retried by the outbox."""
    payload = item.payload
    sent = OutboundMail.objects.select_related("ticket").filter(pk=payload.get("outbound")).first()
    try:
        email = EmailMultiAlternatives(
            subject=payload["subject"],
            body=payload["text"],
            from_email=payload.get("from") or None,
            to=payload["to"],
            cc=payload.get("cc") or None,
            reply_to=[payload["reply_to"]] if payload.get("reply_to") else None,
            headers=payload.get("headers") or {},
        )
        if payload.get("html"):
            email.attach_alternative(payload["html"], "text/html")
        for attachment in Attachment.objects.filter(pk__in=payload.get("attachments") or []):
            with attachment.file.open("rb") as handle:
                email.attach(attachment.filename, handle.read(), attachment.content_type)
        email.send(fail_silently=False)
    except Exception as error:
        if sent is not None:
            _record_failure(sent, item, f"{type(error).__name__}: {error}"[:2000])
        raise
    if sent is not None:
        sent.attempts = item.attempts
        sent.sent_at = clock.now()
        sent.last_error = ""
        if sent.status != OutboundMail.Status.BOUNCED:
            sent.status = OutboundMail.Status.SENT
        sent.save(update_fields=["attempts", "sent_at", "last_error", "status"])


def _record_failure(sent: OutboundMail, item: OutboxMessage, error: str) -> None:
    final = item.attempts >= outbox.MAX_ATTEMPTS
    sent.attempts = item.attempts
    sent.last_error = error
    sent.status = OutboundMail.Status.FAILED if final else OutboundMail.Status.RETRYING
    sent.save(update_fields=["attempts", "last_error", "status"])
    tickets.record_event(
        sent.ticket,
        CHANNEL_ACTOR,
        "email_failed" if final else "email_retrying",
        after={"to": sent.to, "kind": sent.kind, "attempt": item.attempts},
        note=error,
    )
    if not final:
        return
    note = _(
        "The mail to %(to)s could not be sent after %(attempts)d attempts; it was not delivered. "
        "Last error: %(error)s"
    ) % {"to": sent.to, "attempts": item.attempts, "error": error}
    try:
        tickets.add_message(
            CHANNEL_ACTOR,
            sent.ticket_id,
            body_text=note,
            kind=Message.Kind.INTERNAL,
            channel=Channel.EMAIL,
            is_automatic=True,
            metadata={"email": {"failed": sent.message_id}},
        )
    except ServiceError:  # a closed ticket takes no note; the event above tells it
        logger.warning("mail %s to %s is a dead letter: %s", sent.message_id, sent.to, error)
