"""Read queries of the email channel."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.db.models import QuerySet

from escalade.accounts.models import Team
from escalade.mail.models import InboundMail, Mailbox, OutboundMail
from escalade.tickets.models import Channel, Message, Ticket


def _address(value: str) -> str:
    return parseaddr(value or "")[1].strip().lower()


@dataclass(frozen=True)
class MailConfig:
    """Our mailboxes and team addresses, read once per mail."""

    mailboxes: dict[str, Mailbox]  # active ones, by lower-cased address
    teams: dict[str, Team]  # by lower-cased inbound address
    own: frozenset[str]  # every address of ours

    def route(self, addresses: list[str]) -> tuple[Mailbox | None, Team | None]:
        """The mailbox and team of the first of ``addresses`` that is ours."""
        for address in addresses:
            address = address.lower()
            if address in self.mailboxes:
                mailbox = self.mailboxes[address]
                return mailbox, mailbox.team
            if address in self.teams:
                return None, self.teams[address]
        return None, None


def mail_config() -> MailConfig:
    mailboxes = list(Mailbox.objects.select_related("team"))
    teams = {t.email.lower(): t for t in Team.objects.exclude(email="")}
    own = {_address(settings.DEFAULT_FROM_EMAIL), _address(settings.SERVER_EMAIL)}
    own.update(a.lower() for a in settings.MAIL_OWN_ADDRESSES)
    own.update(m.address.lower() for m in mailboxes)  # inactive ones are still ours
    own.update(teams)
    own.discard("")
    return MailConfig(
        mailboxes={m.address.lower(): m for m in mailboxes if m.active},
        teams=teams,
        own=frozenset(own),
    )


def own_addresses() -> frozenset[str]:
    """Every address of ours: mail from them is never acknowledged nor made a customer."""
    return mail_config().own


def sending_address(ticket: Ticket, mailbox: Mailbox | None = None) -> str:
    """The address a mail about ``ticket`` is sent from (and replied to).

    The mailbox the ticket came in through (``mailbox`` when the caller knows it), else the
    team's mailbox or address, else DEFAULT_FROM_EMAIL.
    """
    if mailbox is not None and mailbox.active:
        return mailbox.address.lower()
    metadata = (
        Message.objects.filter(ticket=ticket, channel=Channel.EMAIL)
        .order_by("created_at", "id")
        .values_list("metadata", flat=True)
        .first()
    )
    name = ((metadata or {}).get("email") or {}).get("mailbox")
    if name:
        mailbox = Mailbox.objects.filter(name=name, active=True).first()
        if mailbox is not None:
            return mailbox.address.lower()
    if ticket.team_id is not None:
        mailbox = Mailbox.objects.filter(team_id=ticket.team_id, active=True).first()
        if mailbox is not None:
            return mailbox.address.lower()
        if ticket.team.email:
            return ticket.team.email.lower()
    return _address(settings.DEFAULT_FROM_EMAIL) or settings.DEFAULT_FROM_EMAIL


def thread_message_ids(ticket: Ticket) -> list[str]:
    """The Message-IDs of a ticket's mails, received and sent, oldest first."""
    received = Message.objects.filter(ticket=ticket, channel=Channel.EMAIL).exclude(
        external_id=None
    )
    # At the same instant a received mail comes before what we sent about it.
    items = [
        (m.created_at, 0, m.pk, m.external_id) for m in received.only("created_at", "external_id")
    ]
    items += [
        (o.created_at, 1, o.pk, o.message_id)
        for o in OutboundMail.objects.filter(ticket=ticket).only("created_at", "message_id")
    ]
    return [item[3] for item in sorted(items) if item[3].startswith("<")]


def _last_customer_mail(ticket: Ticket) -> QuerySet[Message]:
    return (
        Message.objects.filter(
            ticket=ticket,
            channel=Channel.EMAIL,
            kind=Message.Kind.PUBLIC,
            author_customer__isnull=False,
            author_user=None,
        )
        .exclude(external_id=None)
        .order_by("-created_at", "-id")
    )


def last_customer_message_id(ticket: Ticket) -> str | None:
    """The Message-ID of the customer's latest mail on the ticket: what a reply answers."""
    return _last_customer_mail(ticket).values_list("external_id", flat=True).first()


# Robots: they never get an acknowledgement or a copy of a reply.
ROBOT_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "bounce",
        "bounces",
    }
)
MAX_CC = 20


def reply_cc(ticket: Ticket, to: str, own: frozenset[str]) -> list[str]:
    """Who else gets an agent's reply: the people on the customer's latest mail.

    Like a mail client's "reply all": that mail's From, To and Cc, without ``to`` (the
    customer), without every address of ours and without robots, in order, at most 20.
    """
    metadata = _last_customer_mail(ticket).values_list("metadata", flat=True).first() or {}
    email = metadata.get("email") or {}
    everyone = [email.get("from") or "", *(email.get("to") or []), *(email.get("cc") or [])]
    cc: list[str] = []
    for address in everyone:
        address = _address(address) if "<" in address else address.strip().lower()
        if not address or "@" not in address or address == to or address in own:
            continue
        if address.partition("@")[0] in ROBOT_LOCAL_PARTS or address in cc:
            continue
        cc.append(address)
    return cc[:MAX_CC]


def quarantined(status: str | None = InboundMail.Status.QUARANTINED) -> QuerySet[InboundMail]:
    mails = InboundMail.objects.defer("raw").select_related("mailbox")
    return mails.filter(status=status) if status else mails
