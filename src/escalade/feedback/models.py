from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from escalade.accounts.models import Customer, Team
from escalade.tickets.models import Ticket


class Survey(models.Model):
    """The satisfaction survey of a solved ticket: sent once, answered once (1–5 and a comment).

    Only the SHA-256 of the mailed token is stored. The team and the assignee are kept as they
    were when the ticket was solved, for the reports.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, db_index=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # A low score (1 or 2): the team's supervisor was told.
    flagged = models.BooleanField(_("flagged"), default=False)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.score or '–'}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class Suggestion(models.Model):
    """Free feedback from the portal: an idea, praise or a complaint about the service."""

    class Kind(models.TextChoices):
        IDEA = "idea", _("an idea or suggestion")
        PRAISE = "praise", _("praise")
        COMPLAINT = "complaint", _("a complaint")
        OTHER = "other", _("something else")

    class Status(models.TextChoices):
        NEW = "new", _("new")
        REVIEWED = "reviewed", _("reviewed")

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    email = models.EmailField(_("email"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.IDEA)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.NEW)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:60]
