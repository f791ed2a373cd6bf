"""Admin: mailboxes, the quarantine (view, download, re-process, discard), sent mail."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from escalade.core.actors import actor_for
from escalade.core.errors import ServiceError
from escalade.mail import services
from escalade.mail.models import InboundMail, Mailbox, OutboundMail

PREVIEW_BYTES = 64 * 1024


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "address",
        "team",
        "active",
        "imap_host",
        "last_polled_at",
        "last_error",
    )
    list_filter = ("active", "team")
    search_fields = ("name", "address", "imap_host", "imap_user")
    readonly_fields = ("last_polled_at", "last_error")
    fieldsets = (
        (None, {"fields": ("name", "address", "team", "active", "send_acknowledgement")}),
        (
            gettext_lazy("IMAP"),
            {
                "fields": (
                    "imap_host",
                    "imap_port",
                    "imap_tls",
                    "imap_starttls",
                    "imap_user",
                    "imap_password_env",
                    "imap_folder",
                    "processed_folder",
                )
            },
        ),
        (gettext_lazy("Status"), {"fields": ("last_polled_at", "last_error")}),
    )

    def save_model(self, request, obj, form, change):
        obj.address = obj.address.strip().lower()
        super().save_model(request, obj, form, change)


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    """The quarantine. Rows are written by the mail services only; admins act on them."""

    list_display = ("received_at", "status", "sender", "subject", "reason_short", "size", "source")
    list_filter = ("status", "source", "mailbox")
    search_fields = ("sender", "subject", "message_id", "reason")
    date_hierarchy = "received_at"
    actions = ("reprocess", "reprocess_ignoring_limits", "discard")
    readonly_fields = (
        "status",
        "reason",
        "received_at",
        "source",
        "mailbox",
        "recipients",
        "sender",
        "subject",
        "message_id",
        "size",
        "sha256",
        "resolved_at",
        "resolved_by",
        "result",
        "download",
        "preview",
    )
    exclude = ("raw",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # nothing is ever dropped: discard marks it

    @admin.display(description=gettext_lazy("reason"))
    def reason_short(self, obj: InboundMail) -> str:
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    @admin.display(description=gettext_lazy("raw message"))
    def download(self, obj: InboundMail):
        url = reverse("admin:mail_inboundmail_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a> ({} B)', url, _("download .eml"), obj.size)

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj: InboundMail):
        raw = bytes(InboundMail.objects.values_list("raw", flat=True).get(pk=obj.pk))
        text = raw[:PREVIEW_BYTES].decode("utf-8", "replace")
        more = "\n…" if len(raw) > PREVIEW_BYTES else ""
        return format_html(
            '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto;">{}{}</pre>',
            text,
            more,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="mail_inboundmail_raw",
            ),
            *super().get_urls(),
        ]

    def raw_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        row = get_object_or_404(InboundMail, pk=pk)
        response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="quarantine-{row.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def _each(self, request, queryset, action) -> int:
        actor = actor_for(request.user)
        done = 0
        for row in queryset.only("pk"):
            try:
                outcome = action(actor, row.pk)
            except ServiceError as error:
                self.message_user(request, f"#{row.pk}: {error.message}", messages.ERROR)
                continue
            if getattr(outcome, "outcome", None) == services.Outcome.QUARANTINED:
                self.message_user(
                    request,
                    _("#%(id)s is still quarantined: %(reason)s")
                    % {"id": row.pk, "reason": outcome.reason},
                    messages.WARNING,
                )
                continue
            done += 1
        return done

    def _reprocessed(self, request, done: int) -> None:
        if done:
            self.message_user(
                request,
                _("Mails re-processed: %(count)d.") % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=gettext_lazy("Re-process the selected mails"))
    def reprocess(self, request, queryset):
        self._reprocessed(request, self._each(request, queryset, services.reprocess))

    @admin.action(
        description=gettext_lazy("Re-process the selected mails, ignoring the size limits")
    )
    def reprocess_ignoring_limits(self, request, queryset):
        done = self._each(
            request,
            queryset,
            lambda actor, pk: services.reprocess(actor, pk, ignore_limits=True),
        )
        self._reprocessed(request, done)

    @admin.action(description=gettext_lazy("Discard the selected mails"))
    def discard(self, request, queryset):
        done = self._each(request, queryset, services.discard)
        if done:
            self.message_user(
                request,
                _("Mails discarded: %(count)d.") % {"count": done},
                messages.SUCCESS,
            )


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "ticket", "to", "status", "attempts", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("to", "message_id")
    readonly_fields = [field.name for field in OutboundMail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
