from django.contrib import admin

from escalade.escalation.models import (
    EscalationPath,
    EscalationRecord,
    EscalationRule,
    EscalationRun,
    Notification,
    Webhook,
)
from escalade.sla.admin import ReadOnly


@admin.register(EscalationPath)
class EscalationPathAdmin(admin.ModelAdmin):
    list_display = ("name", "position")
    list_editable = ("position",)
    ordering = ("position", "id")


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "on", "metric", "min_risk")
    list_filter = ("on",)
    ordering = ("position", "id")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "format", "secret_env")


@admin.register(EscalationRun)
class EscalationRunAdmin(ReadOnly):
    list_display = (
        "ticket",
        "path_name",
        "level_index",
        "step",
        "level_deadline_at",
        "ack_deadline_at",
        "active",
    )
    list_filter = ("path_name", "active")


@admin.register(EscalationRecord)
class EscalationRecordAdmin(ReadOnly):
    list_display = (
        "ticket",
        "kind",
        "trigger",
        "direction",
        "from_level",
        "to_level",
        "to_team",
        "to_agent",
        "created_at",
        "acknowledged_at",
    )
    list_filter = ("kind", "trigger", "direction")
    search_fields = ("reason", "rule")


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ("recipient", "ticket", "kind", "title", "created_at", "read_at")
    list_filter = ("kind",)
