from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalade.escalation"
    label = "escalation"
    verbose_name = "Escalation"

    def ready(self) -> None:
        from escalade.escalation import receivers  # noqa: F401  (connects to ticket and SLA signals)
