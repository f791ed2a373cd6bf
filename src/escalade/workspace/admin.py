from django.contrib import admin

from escalade.workspace.models import Macro, SavedFilter


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "kind", "set_status", "team", "owner", "active")
    list_filter = ("language", "kind", "active", "team")
    search_fields = ("name", "body")


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "shared", "created_at")
    list_filter = ("shared",)
    search_fields = ("name", "owner__username")
