from django.db import models
from django.utils.translation import gettext_lazy as _


class RoutingRule(models.Model):
    """Ordered: the first rule whose conditions match a new ticket chooses its team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    team = models.SlugField(_("team"), max_length=64)
    # Optional changes applied with the routing: {"category": ..., "priority": ..., "tags": [...]}
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name
