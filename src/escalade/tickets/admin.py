from django.contrib import admin

from escalade.tickets.models import Ticket, TicketEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Tickets change through services (audit, SLA, escalation), never by raw admin edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "subject",
        "status",
        "priority",
        "team",
        "assignee",
        "level",
        "created_at",
    )
    list_filter = ("status", "priority", "channel", "team")
    search_fields = ("subject", "customer__email")


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "actor_label", "created_at")
    list_filter = ("kind",)
