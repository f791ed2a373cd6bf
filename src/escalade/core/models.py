from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A notification written in the same transaction as the change that caused it.

    The worker delivers it after commit; ``dedupe_key`` makes a second write of the same
    notification (a retried job, a second worker) a no-op.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        DEAD = "dead", _("dead letter")

    channel = models.CharField(_("channel"), max_length=32)  # email | webhook | slack | in_app
    dedupe_key = models.CharField(_("dedupe key"), max_length=255, unique=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox"
    )
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.dedupe_key} ({self.status})"


class LoginAttempt(models.Model):
    """Failed sign-ins, counted per username and per client address for rate limiting."""

    username = models.CharField(max_length=254, db_index=True)
    address = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")

    def __str__(self) -> str:
        return f"{self.username}@{self.address}"


class IdempotencyRecord(models.Model):
    """The stored response to a POST sent with an ``Idempotency-Key`` header.

    A replay of the same key by the same user returns the first response instead of
    creating the thing twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return self.key
