from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "escalade.mail"
    label = "mail"
    verbose_name = _("Email")

    def ready(self) -> None:
        # Connects the outbound reply receiver to ticket_changed and registers the
        # "ticket_mail" outbox deliverer.
        from escalade.mail import outbound  # noqa: F401
