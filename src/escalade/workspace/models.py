"""What the workspace keeps of its own: saved queue filters and canned replies (macros)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from escalade.accounts.models import Team


class SavedFilter(models.Model):
    """A named set of queue parameters; shared ones (made by supervisors) show for everyone."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_filters",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=80)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    shared = models.BooleanField(_("shared with every agent"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_owner_name")
        ]

    def __str__(self) -> str:
        return self.name


class Macro(models.Model):
    """A canned reply in one language (or any); personal when it has an owner."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("public reply")
        INTERNAL = "internal", _("internal note")

    name = models.CharField(_("name"), max_length=80)
    language = models.CharField(_("language"), max_length=10, blank=True)
    body = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.PUBLIC)
    set_status = models.CharField(_("set status"), max_length=8, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        verbose_name=_("team"),
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "language", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "language"],
                condition=Q(owner__isnull=True),
                name="macro_shared_name_language",
            ),
            models.UniqueConstraint(
                fields=["owner", "name", "language"],
                condition=Q(owner__isnull=False),
                name="macro_owner_name_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language or '*'})"

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None
