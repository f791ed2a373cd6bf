from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from escalade.core.actors import actor_for
from escalade.feedback import services
from escalade.feedback.models import Suggestion, Survey


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Read-only: answers come from customers through the services."""

    list_display = ("ticket", "customer", "team", "score", "flagged", "sent_at", "answered_at")
    list_filter = ("score", "flagged", "team")
    search_fields = ("ticket__id", "customer__email", "comment")
    exclude = ("token_hash",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "customer", "language", "status")
    list_filter = ("kind", "status", "language")
    search_fields = ("text", "email")
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark as reviewed"))
    def mark_reviewed(self, request, queryset):
        actor = actor_for(request.user)
        for suggestion in queryset:
            services.mark_suggestion_reviewed(actor, suggestion.pk)
