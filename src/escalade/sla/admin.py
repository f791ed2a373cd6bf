from django.contrib import admin, messages

from escalade.core.actors import actor_for
from escalade.core.errors import ServiceError
from escalade.sla import services
from escalade.sla.models import Calendar, SlaClock, SlaFiring, SlaPolicy


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "updated_at")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        # The same validation as `escalade policy apply`: the calendar must parse.
        try:
            services.save_calendar(actor_for(request.user), obj.name, obj.spec)
        except ServiceError as exc:
            messages.error(request, exc.message)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "active", "calendar")
    list_editable = ("position", "active")
    ordering = ("position", "id")

    def save_model(self, request, obj, form, change):
        try:
            services.save_policy(
                actor_for(request.user),
                obj.name,
                targets=obj.targets,
                position=obj.position,
                conditions=obj.conditions,
                calendar=obj.calendar,
                pause_on=obj.pause_on,
                warn_at=obj.warn_at,
                active=obj.active,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)


class ReadOnly(admin.ModelAdmin):
    """Clocks and firings are the engine's record: readable, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnly):
    list_display = ("ticket", "metric", "cycle", "policy", "state", "due_at", "breached_at")
    list_filter = ("metric", "policy")


@admin.register(SlaFiring)
class SlaFiringAdmin(ReadOnly):
    list_display = ("ticket", "metric", "cycle", "threshold", "due_at", "fired_at")
    list_filter = ("metric", "threshold")
