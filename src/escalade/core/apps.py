from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "escalade.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.utils.translation import gettext

        from escalade.core import conditions

        conditions.use_translation(gettext)
