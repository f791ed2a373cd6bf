from django.contrib import admin

from escalade.core.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("channel", "dedupe_key", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("channel", "status")
    search_fields = ("dedupe_key",)
    readonly_fields = (
        "channel",
        "dedupe_key",
        "payload",
        "attempts",
        "created_at",
        "sent_at",
        "last_error",
        "ticket",
    )
