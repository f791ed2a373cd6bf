from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "escalade.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from escalade.sla import receivers  # noqa: F401  (connects to ticket_changed)
