"""The email channel's data: mailboxes, the quarantine, and the mails we sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from escalade.accounts.models import Team


class Mailbox(models.Model):
    """An address customers write to, and (optionally) the IMAP folder it is read from.

    Without an IMAP host the mailbox is still an address of ours: mail delivered to it by
    SMTP/LMTP goes to its team, and replies to its tickets are sent from it.
    """

    name = models.SlugField(_("name"), max_length=64, unique=True)
    address = models.EmailField(_("address"), unique=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
        verbose_name=_("team"),
    )
    active = models.BooleanField(_("active"), default=True)
    send_acknowledgement = models.BooleanField(_("acknowledge new tickets"), default=True)
    # The language of tickets from this mailbox when the mail's own is unclear (a short
    # text, a language we do not speak) and the customer's is unknown. Blank: the site's.
    language = models.CharField(
        _("default language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_tls = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_starttls = models.BooleanField(_("STARTTLS"), default=False)
    imap_user = models.CharField(_("IMAP user"), max_length=255, blank=True)
    # The password is never stored: this names the environment variable that holds it.
    imap_password_env = models.CharField(
        _("password environment variable"), max_length=100, blank=True
    )
    imap_folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    # Empty: processed mail is flagged \Seen and stays; else it is moved to this folder.
    processed_folder = models.CharField(_("processed folder"), max_length=255, blank=True)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # A lease, so two workers do not read the same folder at the same time.
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    locked_by = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def reads_imap(self) -> bool:
        return bool(self.imap_host)


class InboundMail(models.Model):
    """The quarantine: a mail that could not become a ticket message, kept raw.

    Nothing is dropped: an unparseable or over-limit mail, an unknown bounce, a flood from
    one sender, a mail from our own address all land here for an admin to view, download,
    re-process or discard.
    """

    class Status(models.TextChoices):
        QUARANTINED = "quarantined", _("quarantined")
        REPROCESSED = "reprocessed", _("re-processed")
        DISCARDED = "discarded", _("discarded")

    raw = models.BinaryField(_("raw message"))
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, db_index=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.QUARANTINED, db_index=True
    )
    source = models.CharField(_("source"), max_length=100)
    mailbox = models.ForeignKey(
        Mailbox,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quarantine",
        verbose_name=_("mailbox"),
    )
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    # Read from the headers as far as they could be read, for the list.
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=512, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("quarantined mail")
        verbose_name_plural = _("quarantined mails")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject or self.reason}"[:200]


class OutboundMail(models.Model):
    """A mail we sent about a ticket: its Message-ID threads the customer's answer back."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("reply")
        ACKNOWLEDGEMENT = "ack", _("acknowledgement")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        RETRYING = "retrying", _("retrying")
        FAILED = "failed", _("failed")
        BOUNCED = "bounced", _("bounced")

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="outbound_mails"
    )
    ticket_message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_mails",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    to = models.CharField(_("to"), max_length=254)
    # The other people on the customer's mail (its From, To and Cc but us and the customer):
    # a reply goes to them too, as a mail client's "reply all" would.
    cc = models.JSONField(_("cc"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mails")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["to", "kind", "created_at"], name="outbound_to_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.ticket_id} to {self.to} ({self.status})"


class QuarantineEvent(models.Model):
    """The audit trail of a quarantined mail: held, downloaded, re-processed, discarded.

    Written by the mail services only, in the transaction of the action; never changed.
    """

    class Kind(models.TextChoices):
        QUARANTINED = "quarantined", _("quarantined")
        DOWNLOADED = "downloaded", _("downloaded")
        REPROCESSED = "reprocessed", _("re-processed")
        STILL_QUARANTINED = "still_quarantined", _("re-processed, still quarantined")
        DISCARDED = "discarded", _("discarded")

    mail = models.ForeignKey(
        InboundMail, on_delete=models.CASCADE, related_name="events", verbose_name=_("mail")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("quarantine event")
        verbose_name_plural = _("quarantine events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.mail_id} by {self.actor_label}"


class RawMessage(models.Model):
    """The mail exactly as it arrived, for a message made from it.

    The ticket shows the reply without quoted history and signature; this keeps all of it
    (the agents' "show original"). Written in the ingest transaction, never changed.
    """

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="raw_mail", primary_key=True
    )
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveBigIntegerField(_("size"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("original mail")
        verbose_name_plural = _("original mails")

    def __str__(self) -> str:
        return f"original of message {self.message_id} ({self.size} B)"
