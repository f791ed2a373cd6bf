"""Admin: mailboxes, the quarantine (view, download, re-process, discard), sent mail."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
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
        (
            None,
            {"fields": ("name", "address", "team", "active", "send_acknowledgement", "language")},
        ),
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
    """The quarantine. Rows are written by the mail services only; admins act on them:
    view (headers, an escaped preview, the audit trail), download the raw .eml,
    re-process (optionally ignoring the size limits) and discard — each through a service
    that writes the mail's audit trail."""

    list_display = ("received_at", "status", "sender", "subject", "reason_short", "size", "source")
    list_filter = ("status", "source", "mailbox")
    search_fields = ("sender", "subject", "message_id", "reason")
    date_hierarchy = "received_at"
    actions = ("reprocess", "reprocess_ignoring_limits", "discard")
    change_form_template = "admin/mail/inboundmail/change_form.html"
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
        "audit_trail",
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

    @admin.display(description=gettext_lazy("audit trail"))
    def audit_trail(self, obj: InboundMail):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    event.created_at.isoformat(timespec="seconds"),
                    event.get_kind_display(),
                    event.actor_label,
                    event.note,
                )
                for event in obj.events.all()
            ),
        )
        return format_html('<table class="quarantine-audit">{}</table>', rows)

    def get_urls(self):
        return [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="mail_inboundmail_raw",
            ),
            path(
                "<int:pk>/act/",
                self.admin_site.admin_view(self.act_view),
                name="mail_inboundmail_act",
            ),
            *super().get_urls(),
        ]

    def raw_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        try:
            row = services.download_raw(actor_for(request.user), pk)
        except ServiceError as error:
            return HttpResponse(error.message, status=error.status_code, content_type="text/plain")
        return raw_response(row)

    def act_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The buttons on a quarantined mail's page: one action on this one mail (POST)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        action = request.POST.get("action", "")
        chosen = {
            "reprocess": services.reprocess,
            "reprocess_ignoring_limits": _reprocess_ignoring_limits,
            "discard": services.discard,
        }.get(action)
        if chosen is None:
            return HttpResponseBadRequest(_("Unknown action."))
        queryset = InboundMail.objects.filter(pk=pk)
        done = self._each(request, queryset, chosen)
        if action == "discard":
            self._discarded(request, done)
        else:
            self._reprocessed(request, done)
        return HttpResponseRedirect(reverse("admin:mail_inboundmail_change", args=[pk]))

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

    def _discarded(self, request, done: int) -> None:
        if done:
            self.message_user(
                request,
                _("Mails discarded: %(count)d.") % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=gettext_lazy("Re-process the selected mails"))
    def reprocess(self, request, queryset):
        self._reprocessed(request, self._each(request, queryset, services.reprocess))

    @admin.action(
        description=gettext_lazy("Re-process the selected mails, ignoring the size limits")
    )
    def reprocess_ignoring_limits(self, request, queryset):
        self._reprocessed(request, self._each(request, queryset, _reprocess_ignoring_limits))

    @admin.action(description=gettext_lazy("Discard the selected mails"))
    def discard(self, request, queryset):
        self._discarded(request, self._each(request, queryset, services.discard))


def _reprocess_ignoring_limits(actor, pk: int):
    return services.reprocess(actor, pk, ignore_limits=True)


def raw_response(row: InboundMail) -> HttpResponse:
    """The quarantined mail as a download that no browser renders or sniffs."""
    return eml_response(bytes(row.raw), f"quarantine-{row.pk}.eml")


def eml_response(raw: bytes, filename: str) -> HttpResponse:
    """Raw mail bytes as an attachment, never rendered nor sniffed by a browser."""
    response = HttpResponse(raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


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
