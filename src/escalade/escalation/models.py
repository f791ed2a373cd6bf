from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from escalade.accounts.models import Team
from escalade.tickets.models import Ticket


class EscalationPath(models.Model):
    """A path of the escalation document: ordered levels; the first matching path is used."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    # [{"team": slug | "current" | None, "role": ..., "agent": ..., "time_limit": s, "notify": [...], "acknowledge": s}]
    levels = models.JSONField(_("levels"), default=list)

    class Meta:
        verbose_name = _("escalation path")
        verbose_name_plural = _("escalation paths")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class EscalationRule(models.Model):
    """Automatic escalation: every matching rule runs, in order, when its trigger happens."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    on = models.CharField(_("trigger"), max_length=32)
    metric = models.CharField(_("metric"), max_length=32, blank=True)
    threshold = models.JSONField(_("threshold"), null=True, blank=True)
    min_risk = models.FloatField(_("minimum risk"), null=True, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Webhook(models.Model):
    name = models.SlugField(_("name"), max_length=64, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    # The HMAC-SHA256 signing secret is read from this environment variable, never stored.
    secret_env = models.CharField(_("secret environment variable"), max_length=100, blank=True)
    format = models.CharField(_("format"), max_length=8, default="json")

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name


class EscalationRun(models.Model):
    """A ticket's walk along one path, from a frozen snapshot of that path.

    Editing the path later never changes a run in flight. ``step`` counts level changes: it
    is part of every timer's key, so a level entered again gets fresh timers.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalation_runs")
    path_name = models.CharField(_("path"), max_length=100)
    path_reasons = models.JSONField(default=list, blank=True)
    snapshot = models.JSONField(_("levels (snapshot)"))
    level_index = models.PositiveSmallIntegerField(default=0)
    step = models.PositiveIntegerField(default=0)
    calendar = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    level_entered_at = models.DateTimeField()
    level_deadline_at = models.DateTimeField(null=True, blank=True)
    ack_deadline_at = models.DateTimeField(null=True, blank=True)
    # A path level's acknowledgement that runs out moves the ticket on; one asked by a rule
    # action only fires the `ack_timeout` rules.
    ack_moves_on = models.BooleanField(default=False)
    awaiting_ack_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(default=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("escalation run")
        verbose_name_plural = _("escalation runs")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(active=True), name="one_active_run_per_ticket"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} on {self.path_name} level {self.level_index + 1}"

    @property
    def level(self) -> dict:
        return self.snapshot[self.level_index]


class EscalationRecord(models.Model):
    """One escalation step. Written exactly once (``dedupe_key``) and never deleted."""

    class Kind(models.TextChoices):
        FUNCTIONAL = "functional", _("functional")
        HIERARCHICAL = "hierarchical", _("hierarchical")
        AUTOMATIC = "automatic", _("automatic")

    class Trigger(models.TextChoices):
        AGENT = "agent", _("agent")
        CUSTOMER_REQUEST = "customer_request", _("customer request")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACH = "sla_breach", _("SLA breach")
        LEVEL_TIMEOUT = "level_timeout", _("time limit at level")
        RISK = "risk", _("risk")
        BOT_HANDOFF = "bot_handoff", _("bot handoff")
        RULE = "rule", _("rule")

    class Direction(models.TextChoices):
        UP = "up", _("up")
        ACROSS = "across", _("across")
        DOWN = "down", _("down (de-escalation)")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="escalations")
    run = models.ForeignKey(
        EscalationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction, default=Direction.UP
    )
    dedupe_key = models.CharField(max_length=255, unique=True)
    rule = models.CharField(_("rule"), max_length=100, blank=True)
    from_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_level = models.PositiveSmallIntegerField()
    to_level = models.PositiveSmallIntegerField()
    from_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"))
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    ack_required = models.BooleanField(default=False)
    ack_deadline_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deescalated_at = models.DateTimeField(_("de-escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation record")
        verbose_name_plural = _("escalation records")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="escalation_ticket_created")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind}/{self.trigger} L{self.from_level}->L{self.to_level}"


class Notification(models.Model):
    """An in-app notification for an agent; unique per recipient and event."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title
