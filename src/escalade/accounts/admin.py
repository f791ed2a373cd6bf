from django.contrib import admin

from escalade.accounts.models import AgentProfile, ApiToken, Customer, Organisation, Team


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "country", "timezone")
    list_filter = ("tier", "country")
    search_fields = ("name",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "organisation", "language")
    list_filter = ("language",)
    search_fields = ("name", "email", "phone")
    raw_id_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "function", "tier_level", "manager", "assignment_strategy")
    list_filter = ("function", "tier_level")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "availability", "capacity", "reports_to")
    list_filter = ("role", "availability", "teams")
    filter_horizontal = ("teams",)
    search_fields = ("user__username", "user__email")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "token_hash", "created_at", "last_used_at")

    def has_add_permission(self, request):
        # Tokens are created through the API so the secret is shown once to its owner.
        return False
