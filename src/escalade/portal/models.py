from django.db import models
from django.utils.translation import gettext_lazy as _

from escalade.accounts.models import Customer


class MagicLink(models.Model):
    """A one-time sign-in link sent by email. Only the SHA-256 of its token is stored."""

    email = models.EmailField(_("email"), db_index=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="magic_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    next_url = models.CharField(_("next page"), max_length=500, blank=True)
    requested_from = models.CharField(_("requested from"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")
        indexes = [models.Index(fields=["email", "used_at"], name="magiclink_email_open")]

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"
