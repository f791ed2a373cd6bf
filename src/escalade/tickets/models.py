from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from escalade.accounts.models import Customer, Organisation, Team


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    CHAT = "chat", _("chat")
    PHONE = "phone", _("phone")
    SOCIAL = "social", _("social media")
    PORTAL = "portal", _("portal")
    API = "api", _("API")


class Status(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    PENDING = "pending", _("pending")
    ON_HOLD = "on_hold", _("on hold")
    SOLVED = "solved", _("solved")
    CLOSED = "closed", _("closed")


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Ticket(models.Model):
    """A customer request from any channel. Its ``id`` is the number people quote (#1234)."""

    subject = models.CharField(_("subject"), max_length=500)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel, default=Channel.PORTAL)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.NEW)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority, default=Priority.NORMAL
    )
    # Denormalised rank so queues sort by priority in the database.
    priority_rank = models.PositiveSmallIntegerField(default=1, editable=False)
    category = models.CharField(_("category"), max_length=64, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer")
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("organisation"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
    )
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Denormalised from the SLA clocks for queues: "", running, paused, at_risk, breached.
    sla_state = models.CharField(
        _("SLA state"), max_length=10, blank=True, db_index=True, editable=False
    )
    sla_due_at = models.DateTimeField(
        _("SLA due at"), null=True, blank=True, db_index=True, editable=False
    )
    # Proactive escalation: the latest risk score (0-100), for the supervisors' at-risk board.
    risk_score = models.PositiveSmallIntegerField(
        _("risk"), default=0, db_index=True, editable=False
    )
    # Earliest moment a timer (SLA warning, breach, escalation step) can fire for this ticket.
    next_timer_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-priority_rank", "created_at"], name="ticket_queue"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["customer", "created_at"], name="ticket_customer_created"),
            models.Index(fields=["team", "solved_at"], name="ticket_team_solved"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> int:
        return self.pk

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.SOLVED, Status.CLOSED)


class Message(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("public reply")
        INTERNAL = "internal", _("internal note")
        SYSTEM = "system", _("system message")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.PUBLIC)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel, default=Channel.PORTAL)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    # Auto-replies and bot answers never count as an agent response for the SLA.
    is_automatic = models.BooleanField(default=False)
    # An email Message-ID or a chat/social message id: unique so a redelivery is a no-op.
    external_id = models.CharField(max_length=512, null=True, blank=True, unique=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"

    @property
    def from_customer(self) -> bool:
        return self.author_customer_id is not None and self.author_user_id is None


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content_id = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class TicketEvent(models.Model):
    """The append-only audit trail of a ticket: every service writes one."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=48)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"
