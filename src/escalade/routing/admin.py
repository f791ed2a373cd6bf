from django.contrib import admin

from escalade.routing.models import RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "team")
    list_editable = ("position",)
    ordering = ("position", "id")
