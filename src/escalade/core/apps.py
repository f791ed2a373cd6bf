from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "escalade.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.utils.translation import gettext, ngettext

        from escalade.core import messages

        messages.use_translation(gettext, ngettext)
