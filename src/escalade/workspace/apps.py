from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "escalade.workspace"
    label = "workspace"
    verbose_name = _("Agent workspace")

    def ready(self) -> None:
        from escalade.workspace import receivers  # noqa: F401  (publishes live events after commit)
