"""The agent and supervisor workspace: queues, the ticket page, escalations, the board,
notifications and macros. Every change goes through a service; these views parse the form,
call it, and show what happened."""

from __future__ import annotations

import functools
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from escalade.accounts.models import AgentProfile, Team, Tier
from escalade.core import clock
from escalade.core.decorators import agent_required
from escalade.core.errors import ServiceError
from escalade.escalation import selectors as escalation_selectors
from escalade.escalation import services as escalation
from escalade.sla.models import Metric
from escalade.sla.selectors import clock_readings
from escalade.tickets import services as ticket_services
from escalade.tickets.models import Channel, Message, Priority, Status
from escalade.tickets.selectors import visible_tickets
from escalade.workspace import selectors, services
from escalade.workspace.models import Macro

# --- helpers ----------------------------------------------------------------------------------


def supervisor_required(view):
    """The board: supervisors, managers and admins; other agents and customers get 403."""

    @agent_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.actor.is_supervisor:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = default
    return redirect(target)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- the queue --------------------------------------------------------------------------------


def _queue_params(request: HttpRequest):
    actor = request.actor
    saved = None
    filter_id = request.GET.get("filter", "")
    if filter_id.isdigit():
        saved = selectors.saved_filters(actor).filter(pk=int(filter_id)).first()
    base = selectors.QueueParams.parse(saved.params) if saved else None
    return selectors.QueueParams.parse(request.GET, base), saved


@require_GET
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    params, saved = _queue_params(request)
    result = selectors.queue_page(request.actor, params, request.GET.get("page"))
    query = params.as_query()
    if saved:
        query["filter"] = str(saved.pk)
    labels = selectors.view_labels()
    context = {
        "page": result.page,
        "tickets": result.tickets,
        "total": result.total,
        "capped": result.capped,
        "params": params,
        "saved": saved,
        "query_string": urlencode(query),
        "views": [(view, labels[view]) for view in selectors.QUEUE_VIEWS],
        "view_label": saved.name if saved else labels[params.view],
        "saved_filters": selectors.saved_filters(request.actor),
        "teams": Team.objects.order_by("tier_level", "name"),
        "agents": AgentProfile.objects.select_related("user").order_by("user__first_name"),
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "channels": Channel.choices,
        "tiers": Tier.choices,
        "languages": selectors.queue_languages(),
        "sorts": selectors.sort_choices(),
        "now": clock.now(),
        "bulk_max": services.MAX_BULK,
    }
    if _is_htmx(request):
        return render(request, "workspace/_queue_table.html", context)
    return render(request, "workspace/queue.html", context)


@require_POST
@agent_required
def queue_bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("tickets") if i.isdigit()]
    action = request.POST.get("action", "")
    value = request.POST.get(f"value_{action}", "") if action else ""
    try:
        result = services.bulk_update(
            request.actor, ids, action=action, value=value, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if result.done:
            messages.success(
                request,
                ngettext(
                    "%(count)d ticket updated.", "%(count)d tickets updated.", len(result.done)
                )
                % {"count": len(result.done)},
            )
        for ticket_id, why in result.failed:
            messages.error(
                request, _("#%(id)d was not changed: %(why)s") % {"id": ticket_id, "why": why}
            )
    return _back(request, reverse("queue"))


@require_POST
@agent_required
def filter_save(request: HttpRequest) -> HttpResponse:
    params = selectors.QueueParams.parse(request.POST)
    try:
        saved = services.save_filter(
            request.actor,
            name=request.POST.get("name", ""),
            params=params,
            shared=request.POST.get("shared") == "on",
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('queue')}?{urlencode(params.as_query())}")
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return redirect(f"{reverse('queue')}?filter={saved.pk}")


@require_POST
@agent_required
def filter_delete(request: HttpRequest, filter_id: int) -> HttpResponse:
    try:
        services.delete_filter(request.actor, filter_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Filter deleted."))
    return redirect("queue")


# --- the ticket page --------------------------------------------------------------------------


def sla_clock_rows(ticket) -> list[dict]:
    labels = dict(Metric.choices)
    states = {
        "running": _("running"),
        "paused": _("paused"),
        "warned": _("at risk"),
        "breached": _("breached"),
        "fulfilled": _("met"),
        "stopped": _("stopped"),
    }
    rows = []
    for reading in clock_readings(ticket, clock.now()):
        target = reading["target_seconds"] or 1
        used = max(0, min(reading["used_seconds"], target))
        rows.append(
            {
                **reading,
                "label": labels.get(reading["metric"], reading["metric"]),
                "state_label": states.get(reading["state"], reading["state"]),
                "used_percent": round(100 * used / target),
            }
        )
    return rows


@require_GET
@agent_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    actor = request.actor
    ticket = get_object_or_404(
        visible_tickets(actor).select_related("customer", "organisation", "team", "assignee"),
        pk=ticket_id,
    )
    names = selectors.Names()
    pending = selectors.pending_acknowledgement(ticket)
    agent_name = actor.user.get_full_name() or actor.user.username
    macros = [
        {"macro": macro, "text": services.render_macro(macro, ticket=ticket, agent_name=agent_name)}
        for macro in selectors.macros_for(actor, ticket)
    ]
    context = {
        "ticket": ticket,
        "thread": selectors.ticket_thread(actor, ticket, names),
        "trail": selectors.audit_trail(ticket, names),
        "teams": Team.objects.order_by("tier_level", "name"),
        "agents": AgentProfile.objects.select_related("user").order_by("user__first_name"),
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "reply_statuses": [
            (value, label)
            for value, label in Status.choices
            if value in ("pending", "on_hold", "solved")
        ],
        "clocks": sla_clock_rows(ticket),
        "customer": selectors.customer_panel(actor, ticket),
        "escalations": list(escalation_selectors.ticket_escalations(ticket)),
        "pending_ack": pending,
        "ack_to": _ack_to(pending),
        "may_acknowledge": selectors.may_acknowledge(actor, pending),
        "can_deescalate": selectors.can_deescalate(ticket),
        "options": selectors.escalation_options(ticket),
        "macros": macros,
        "idempotency_key": uuid.uuid4().hex,
        "now": clock.now(),
    }
    return render(request, "workspace/ticket.html", context)


def _ack_to(record) -> str:
    if record is None:
        return ""
    if record.to_agent is not None:
        return record.to_agent.get_full_name() or record.to_agent.username
    return record.to_team.name if record.to_team is not None else "—"


@require_GET
@agent_required
def ticket_explain(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_object_or_404(
        visible_tickets(request.actor).select_related(
            "team", "assignee", "organisation", "customer"
        ),
        pk=ticket_id,
    )
    report = escalation_selectors.explain(ticket, clock.now())
    return render(request, "workspace/_explain.html", {"report": report, "ticket": ticket})


@require_POST
@agent_required
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    kind = Message.Kind.INTERNAL if request.POST.get("kind") == "internal" else Message.Kind.PUBLIC
    attachments = [
        ticket_services.NewAttachment(upload.name, upload.read(), upload.content_type or "")
        for upload in request.FILES.getlist("attachments")
    ]
    try:
        ticket_services.add_message(
            request.actor,
            ticket_id,
            body_text=request.POST.get("body", ""),
            kind=kind,
            set_status=request.POST.get("set_status") or None,
            expected_version=_version(request),
            attachments=attachments,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Internal note added.") if kind == Message.Kind.INTERNAL else _("Reply sent."),
        )
    return redirect("ticket", ticket_id=ticket_id)


@require_POST
@agent_required
def ticket_update(request: HttpRequest, ticket_id: int) -> HttpResponse:
    changes = {}
    for field in ("status", "priority"):
        if request.POST.get(field):
            changes[field] = request.POST[field]
    if "team" in request.POST:
        changes["team"] = request.POST["team"] or None
    if "assignee" in request.POST:
        changes["assignee"] = request.POST["assignee"] or None
    try:
        ticket_services.update_ticket(
            request.actor, ticket_id, expected_version=_version(request), **changes
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Ticket saved."))
    return redirect("ticket", ticket_id=ticket_id)


@require_POST
@agent_required
def ticket_escalate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The escalate dialog: functional (to a department), hierarchical (up), or back down."""
    mode = request.POST.get("mode", "")
    reason = request.POST.get("reason", "")
    try:
        if mode == "functional":
            record = escalation.escalate(
                request.actor,
                ticket_id,
                to="team",
                team=request.POST.get("team", ""),
                reason=reason,
                expected_version=_version(request),
                idempotency_key=request.POST.get("idempotency_key") or None,
            )
        elif mode == "hierarchical":
            record = escalation.escalate(
                request.actor,
                ticket_id,
                to=request.POST.get("to", ""),
                reason=reason,
                expected_version=_version(request),
                idempotency_key=request.POST.get("idempotency_key") or None,
            )
        elif mode == "deescalate":
            record = escalation.deescalate(request.actor, ticket_id, reason=reason)
        else:
            messages.error(request, _("Choose how to escalate."))
            return redirect("ticket", ticket_id=ticket_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("ticket", ticket_id=ticket_id)
    if mode == "deescalate":
        messages.success(request, _("The last escalation was undone."))
    else:
        who = record.to_agent.get_full_name() if record.to_agent else ""
        where = record.to_team.name if record.to_team else ""
        messages.success(
            request,
            _("Escalated to level %(level)d: %(where)s %(who)s")
            % {"level": record.to_level, "where": where, "who": who},
        )
    return redirect("ticket", ticket_id=ticket_id)


@require_POST
@agent_required
def ticket_acknowledge(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        escalation.acknowledge(request.actor, ticket_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Escalation acknowledged."))
    return redirect("ticket", ticket_id=ticket_id)


# --- the supervisor board ---------------------------------------------------------------------


def _board_context(request: HttpRequest) -> dict:
    actor = request.actor
    breaches_count, breaches = selectors.board_breaches_today(actor)
    agents, teams = selectors.board_load()
    return {
        "counts": selectors.board_counts(actor),
        "awaiting": selectors.board_awaiting(actor),
        "at_risk": selectors.board_at_risk(actor),
        "breaches": breaches,
        "breaches_count": breaches_count,
        "recent": selectors.board_recent_escalations(actor),
        "agent_load": agents,
        "team_load": teams,
        "now": clock.now(),
        "today": selectors.start_of_today(),
    }


@require_GET
@supervisor_required
def board(request: HttpRequest) -> HttpResponse:
    template = "workspace/_board_body.html" if _is_htmx(request) else "workspace/board.html"
    return render(request, template, _board_context(request))


# --- notifications ----------------------------------------------------------------------------


@require_GET
@agent_required
def notification_list(request: HttpRequest) -> HttpResponse:
    items = selectors.notifications(request.user)
    context = {
        "items": items,
        "unread": sum(1 for item in items if item.read_at is None),
        "kinds": selectors.notification_kind_labels(),
    }
    if _is_htmx(request):
        return render(request, "workspace/_notification_items.html", context)
    return render(request, "workspace/notifications.html", context)


@require_GET
@agent_required
def notification_badge(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workspace/_notification_badge.html",
        {"unread": selectors.unread_count(request.user)},
    )


@require_POST
@agent_required
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()] or None
    services.mark_notifications_read(request.actor, ids)
    return _back(request, reverse("notifications"))


# --- macros -----------------------------------------------------------------------------------


@agent_required
def macro_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    editing = None
    edit_id = request.GET.get("edit", "")
    if edit_id.isdigit():
        editing = next((m for m in selectors.macros_for(actor) if m.pk == int(edit_id)), None)
    if request.method == "POST":
        macro_id = request.POST.get("macro_id", "")
        try:
            macro = services.save_macro(
                actor,
                int(macro_id) if macro_id.isdigit() else None,
                name=request.POST.get("name", ""),
                body=request.POST.get("body", ""),
                language=request.POST.get("language", ""),
                kind=request.POST.get("kind", Macro.Kind.PUBLIC),
                set_status=request.POST.get("set_status", ""),
                shared=request.POST.get("shared") == "on",
                team=request.POST.get("team") or None,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Macro “%(name)s” saved.") % {"name": macro.name})
            return redirect("macros")
    elif request.method != "GET":
        return HttpResponse(status=405)
    macros = selectors.macros_for(actor)
    context = {
        "shared": [m for m in macros if m.is_shared],
        "own": [m for m in macros if not m.is_shared],
        "editing": editing,
        "form": request.POST if request.method == "POST" else None,
        "teams": Team.objects.order_by("tier_level", "name"),
        "reply_statuses": [
            (value, label) for value, label in Status.choices if value in services.MACRO_STATUSES
        ],
        "kinds": Macro.Kind.choices,
    }
    return render(request, "workspace/macros.html", context)


@require_POST
@agent_required
def macro_delete(request: HttpRequest, macro_id: int) -> HttpResponse:
    try:
        services.delete_macro(request.actor, macro_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Macro deleted."))
    return redirect("macros")
