from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "escalade.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from escalade.feedback import receivers  # noqa: F401  (sends the survey on solve)
