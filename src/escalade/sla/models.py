from django.db import models
from django.utils.translation import gettext_lazy as _

from escalade.tickets.models import Ticket


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("first response")
    NEXT_RESPONSE = "next_response", _("next response")
    PERIODIC_UPDATE = "periodic_update", _("periodic update")
    RESOLUTION = "resolution", _("resolution")


class Calendar(models.Model):
    """A named business calendar; ``spec`` is what escalade.sla.calendar reads."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    spec = models.JSONField(_("specification"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Ordered: the first active policy whose conditions match a ticket applies."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    # A calendar name, "team" or "organisation" (that one's calendar), or "" for 24/7.
    calendar = models.CharField(_("calendar"), max_length=64, blank=True)
    pause_on = models.JSONField(_("statuses that pause the clock"), default=list)
    # {"urgent": {"first_response": 1800, "resolution": 28800, ...}, "high": {...}, ...}
    targets = models.JSONField(_("targets (business seconds)"), default=dict)
    # [{"percent": 75}, {"seconds_before": 900}]
    warn_at = models.JSONField(_("warnings"), default=list, blank=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SlaClock(models.Model):
    """One clock per ticket and metric. ``used_seconds`` is the business time settled up
    to ``running_since``; while running, the time since then is added on the fly."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(_("metric"), max_length=16, choices=Metric)
    cycle = models.PositiveIntegerField(_("cycle"), default=1)
    policy = models.CharField(_("policy"), max_length=100)
    calendar = models.CharField(_("calendar"), max_length=64, blank=True)
    target_seconds = models.PositiveIntegerField(_("target (business seconds)"))
    started_at = models.DateTimeField(_("started at"))
    used_seconds = models.PositiveBigIntegerField(_("business seconds used"), default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    next_fire_at = models.DateTimeField(null=True, blank=True)
    fired = models.JSONField(default=list, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="sla_clock_ticket_metric")
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric}"

    @property
    def is_running(self) -> bool:
        return self.running_since is not None

    @property
    def state(self) -> str:
        if self.fulfilled_at is not None:
            return "fulfilled"
        if self.breached_at is not None:
            return "breached"
        if self.stopped_at is not None:
            return "stopped"
        if self.paused_at is not None:
            return "paused"
        if self.warned_at is not None:
            return "warned"
        return "running"


class SlaFiring(models.Model):
    """A warning or breach that fired. Unique per ticket, metric, cycle and threshold:
    however many workers run or restart, each fires once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_firings")
    metric = models.CharField(max_length=16, choices=Metric)
    cycle = models.PositiveIntegerField()
    threshold = models.CharField(max_length=32)  # "75%", "15m-before", "breach"
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField()

    class Meta:
        verbose_name = _("SLA warning or breach")
        verbose_name_plural = _("SLA warnings and breaches")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "cycle", "threshold"], name="sla_firing_once"
            )
        ]
        indexes = [models.Index(fields=["fired_at"], name="sla_firing_fired")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric} {self.threshold}"


class WorkerLease(models.Model):
    """On SQLite only one worker may sweep; it holds this lease and renews it."""

    name = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=128)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"
