from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "escalade.routing"
    label = "routing"
    verbose_name = "Routing"
