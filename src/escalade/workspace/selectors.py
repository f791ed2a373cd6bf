"""Reads of the workspace: queues, the ticket page, the supervisor board."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from escalade.accounts.models import AgentProfile, Team, Tier
from escalade.core import clock
from escalade.core.actors import Actor
from escalade.escalation import selectors as escalation_selectors
from escalade.escalation.models import EscalationRecord, EscalationRun, Notification
from escalade.escalation.people import manager_of, supervisor_of
from escalade.sla.models import Metric, SlaFiring
from escalade.tickets.models import Channel, Message, Priority, Status, Ticket, TicketEvent
from escalade.tickets.selectors import OPEN_STATUSES, visible_tickets
from escalade.workspace.models import Macro, SavedFilter

RISK_THRESHOLD = 50  # a risk score from here on puts an open ticket on the at-risk lists
PAGE_SIZE = 50

QUEUE_VIEWS = ("mine", "teams", "unassigned", "at_risk", "breached", "all")
SORTS = {
    "priority": ("-priority_rank", "created_at", "id"),
    "due": ("sla_due_at", "-priority_rank", "id"),
    "risk": ("-risk_score", "-priority_rank", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "-updated": ("-updated_at", "-id"),
}


def sort_choices() -> list[tuple[str, str]]:
    return [
        ("priority", _("Priority, then oldest")),
        ("due", _("SLA due first")),
        ("risk", _("Highest risk")),
        ("created", _("Oldest first")),
        ("-created", _("Newest first")),
        ("-updated", _("Recently updated")),
    ]


def view_labels() -> dict[str, str]:
    return {
        "mine": _("Mine"),
        "teams": _("My teams"),
        "unassigned": _("Unassigned"),
        "at_risk": _("At risk"),
        "breached": _("Breached"),
        "all": _("All open"),
    }


@dataclass(frozen=True)
class QueueParams:
    """What a queue shows: a view and filters. Invalid values fall back to the default."""

    view: str = "mine"
    status: str = ""  # "" = every unsolved status
    priority: str = ""
    team: str = ""  # a team slug
    channel: str = ""
    language: str = ""
    tier: str = ""
    q: str = ""
    sort: str = "priority"

    @classmethod
    def parse(cls, data: Any, base: QueueParams | None = None) -> QueueParams:
        base = base or cls()
        values = {f.name: str(data.get(f.name, getattr(base, f.name)) or "") for f in fields(cls)}
        checks = {
            "view": QUEUE_VIEWS,
            "status": Status.values,
            "priority": Priority.values,
            "channel": Channel.values,
            "tier": Tier.values,
            "sort": tuple(SORTS),
        }
        for name, allowed in checks.items():
            if values[name] and values[name] not in allowed:
                values[name] = getattr(cls(), name)
        values["view"] = values["view"] or "mine"
        values["sort"] = values["sort"] or "priority"
        values["q"] = values["q"].strip()[:200]
        values["team"] = values["team"][:64]
        values["language"] = values["language"][:10]
        return cls(**values)

    def as_query(self) -> dict[str, str]:
        """The parameters that differ from the defaults (what a saved filter keeps)."""
        default = QueueParams()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)}

    def with_view(self, view: str) -> QueueParams:
        return replace(self, view=view)


def queue_tickets(actor: Actor, params: QueueParams) -> QuerySet[Ticket]:
    tickets = visible_tickets(actor)
    if params.view == "mine":
        tickets = tickets.filter(assignee=actor.user)
    elif params.view == "teams":
        team_ids = list(actor.agent.teams.values_list("pk", flat=True)) if actor.agent else []
        tickets = tickets.filter(team_id__in=team_ids)
    elif params.view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif params.view == "at_risk":
        tickets = tickets.filter(
            Q(sla_state="at_risk") | Q(risk_score__gte=RISK_THRESHOLD)
        ).exclude(sla_state="breached")
    elif params.view == "breached":
        tickets = tickets.filter(sla_state="breached")
    if params.status:
        tickets = tickets.filter(status=params.status)
    else:
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    if params.priority:
        tickets = tickets.filter(priority=params.priority)
    if params.team:
        tickets = tickets.filter(team__slug=params.team)
    if params.channel:
        tickets = tickets.filter(channel=params.channel)
    if params.language:
        tickets = tickets.filter(language=params.language)
    if params.tier:
        tickets = tickets.filter(organisation__tier=params.tier)
    if params.q:
        condition = (
            Q(subject__icontains=params.q)
            | Q(customer__email__icontains=params.q)
            | Q(customer__name__icontains=params.q)
        )
        number = params.q.lstrip("#")
        if number.isdigit():
            condition |= Q(pk=int(number))
        tickets = tickets.filter(condition)
    sort = params.sort
    if sort == "priority" and params.view == "at_risk":
        sort = "due"
    return tickets.order_by(*SORTS[sort])


COUNT_CAP = 10_000  # beyond this a queue says "10,000+" instead of counting every row


class QueuePaginator(Paginator):
    """Pages of ticket ids: sorting ids alone keeps the sort narrow (no joined columns), and
    the count stops at COUNT_CAP so a huge view is not counted row by row."""

    def __init__(self, tickets: QuerySet[Ticket], per_page: int) -> None:
        self.capped = False
        super().__init__(tickets.values_list("pk", flat=True), per_page)

    @cached_property
    def count(self) -> int:
        counted = self.object_list.order_by()[: COUNT_CAP + 1].count()
        self.capped = counted > COUNT_CAP
        return min(counted, COUNT_CAP)


@dataclass
class QueuePage:
    page: Page
    tickets: list[Ticket]
    total: int
    capped: bool


def queue_page(actor: Actor, params: QueueParams, number: Any) -> QueuePage:
    """One page of a queue: the page's ids in order, then those tickets with what rows show."""
    paginator = QueuePaginator(queue_tickets(actor, params), PAGE_SIZE)
    page = paginator.get_page(number)
    ids = list(page.object_list)
    rows = Ticket.objects.select_related("customer", "organisation", "team", "assignee").in_bulk(
        ids
    )
    return QueuePage(
        page=page,
        tickets=[rows[pk] for pk in ids if pk in rows],
        total=paginator.count,
        capped=paginator.capped,
    )


def saved_filters(actor: Actor) -> QuerySet[SavedFilter]:
    if actor.user is None:
        return SavedFilter.objects.none()
    return SavedFilter.objects.filter(Q(owner=actor.user) | Q(shared=True)).order_by(
        "-shared", "name", "id"
    )


def queue_languages() -> list[str]:
    """The languages agents answer in (from their profiles), for the language filter."""
    seen: dict[str, None] = {}
    for languages in AgentProfile.objects.values_list("languages", flat=True):
        for code in languages or ():
            seen.setdefault(code, None)
    return sorted(seen)


# --- the ticket page --------------------------------------------------------------------------


@dataclass
class ThreadItem:
    at: datetime
    message: Message | None = None
    event: TicketEvent | None = None
    text: str = ""


# Events shown among the messages; the others (message_*, rule bookkeeping) stay in the trail.
THREAD_EVENTS = {
    "status_changed",
    "priority_changed",
    "team_changed",
    "assignee_changed",
    "escalated",
    "escalation_acknowledged",
    "sla_warning",
    "sla_breach",
    "manager_requested",
    "follow_up_opened",
}


class Names:
    """Display names for the slugs and usernames that audit events keep."""

    def __init__(self) -> None:
        self.teams = dict(Team.objects.values_list("slug", "name"))
        self._people: dict[str, str] = {}

    def team(self, slug: Any) -> str:
        return self.teams.get(slug, slug) if slug else _("no team")

    def person(self, username: Any) -> str:
        if not username:
            return _("nobody")
        if username not in self._people:
            user = get_user_model().objects.filter(username=username).first()
            self._people[username] = (
                (user.get_full_name() or user.get_username()) if user else str(username)
            )
        return self._people[username]


def _choice_label(choices, value: Any) -> str:
    return str(dict(choices).get(value, value if value not in (None, "") else "—"))


def describe_event(event: TicketEvent, names: Names) -> str:
    """An audit event as a sentence in the reader's language."""
    before, after = event.before or {}, event.after or {}
    who = event.actor_label
    kind = event.kind
    if kind == "created":
        return _("%(who)s opened the ticket") % {"who": who}
    if kind in ("message_public", "message_internal", "message_system"):
        labels = {
            "message_public": _("%(who)s wrote a public reply"),
            "message_internal": _("%(who)s wrote an internal note"),
            "message_system": _("%(who)s added a system message"),
        }
        return labels[kind] % {"who": who}
    if kind == "reopened":
        return _("%(who)s wrote and reopened the ticket") % {"who": who}
    if kind == "status_changed":
        return _("%(who)s changed the status from %(before)s to %(after)s") % {
            "who": who,
            "before": _choice_label(Status.choices, before.get("status")),
            "after": _choice_label(Status.choices, after.get("status")),
        }
    if kind == "priority_changed":
        return _("%(who)s changed the priority from %(before)s to %(after)s") % {
            "who": who,
            "before": _choice_label(Priority.choices, before.get("priority")),
            "after": _choice_label(Priority.choices, after.get("priority")),
        }
    if kind == "team_changed":
        return _("%(who)s moved the ticket from %(before)s to %(after)s") % {
            "who": who,
            "before": names.team(before.get("team")),
            "after": names.team(after.get("team")),
        }
    if kind == "assignee_changed":
        if not after.get("assignee"):
            return _("%(who)s unassigned the ticket") % {"who": who}
        return _("%(who)s assigned the ticket to %(person)s") % {
            "who": who,
            "person": names.person(after.get("assignee")),
        }
    if kind == "level_changed":
        return _("%(who)s changed the level from %(before)s to %(after)s") % {
            "who": who,
            "before": before.get("level", "—"),
            "after": after.get("level", "—"),
        }
    if kind == "escalated":
        kinds = dict(EscalationRecord.Kind.choices)
        return _("%(who)s escalated the ticket (%(kind)s) to level %(level)s, %(team)s") % {
            "who": who,
            "kind": kinds.get(after.get("kind"), after.get("kind", "")),
            "level": after.get("to_level", "—"),
            "team": names.team(after.get("to_team")),
        }
    if kind == "escalation_acknowledged":
        return _("%(who)s acknowledged the escalation") % {"who": who}
    if kind == "escalation_skipped":
        return _("An escalation step was skipped: %(why)s") % {"why": after.get("why", "")}
    if kind == "escalation_path":
        return _("Escalation path %(path)s, level %(level)s") % {
            "path": after.get("path", ""),
            "level": after.get("level", "—"),
        }
    if kind == "routed":
        return _("Routed to %(team)s") % {"team": names.team(after.get("team"))}
    if kind in ("sla_warning", "sla_breach"):
        metric = _choice_label(Metric.choices, after.get("metric"))
        if kind == "sla_breach":
            return _("SLA breached: %(metric)s") % {"metric": metric}
        return _("SLA warning: %(metric)s at %(threshold)s") % {
            "metric": metric,
            "threshold": after.get("threshold", ""),
        }
    if kind == "manager_requested":
        return _("The customer asked for a manager")
    if kind == "follow_up_opened":
        return _("Follow-up ticket #%(id)s opened") % {"id": after.get("ticket", "—")}
    if kind == "rule_action":
        return _("A rule ran: %(key)s") % {"key": event.note}
    if kind.endswith("_changed"):
        field = kind.removesuffix("_changed")
        return _("%(who)s changed %(field)s") % {"who": who, "field": field}
    return _("%(who)s: %(what)s") % {"who": who, "what": kind.replace("_", " ")}


def ticket_thread(actor: Actor, ticket: Ticket, names: Names) -> list[ThreadItem]:
    """Messages and the events worth reading between them, oldest first."""
    messages = (
        ticket.messages.select_related("author_user", "author_customer")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    if not actor.is_agent:
        messages = messages.filter(kind="public")
    items = [ThreadItem(at=m.created_at, message=m) for m in messages]
    for event in ticket.events.filter(kind__in=THREAD_EVENTS).order_by("created_at", "id"):
        items.append(
            ThreadItem(at=event.created_at, event=event, text=describe_event(event, names))
        )
    items.sort(key=lambda item: (item.at, 0 if item.message else 1))
    return items


def audit_trail(ticket: Ticket, names: Names) -> list[ThreadItem]:
    return [
        ThreadItem(at=event.created_at, event=event, text=describe_event(event, names))
        for event in ticket.events.order_by("created_at", "id")
    ]


def customer_panel(actor: Actor, ticket: Ticket) -> dict:
    """The customer and their organisation: value, other open tickets, recent contacts."""
    tickets = visible_tickets(actor).only("id", "subject", "status", "created_at", "priority")
    open_tickets = tickets.filter(customer_id=ticket.customer_id, status__in=OPEN_STATUSES).exclude(
        pk=ticket.pk
    )
    since = clock.now() - timedelta(days=30)
    recent = tickets.filter(customer_id=ticket.customer_id, created_at__gte=since)
    panel = {
        "open_tickets": list(open_tickets.order_by("-created_at")[:5]),
        "open_count": open_tickets.count(),
        "recent_contacts": recent.count(),
        "recent": list(recent.exclude(pk=ticket.pk).order_by("-created_at")[:5]),
        "org_open": 0,
        "org_customers": 0,
    }
    if ticket.organisation_id:
        panel["org_open"] = tickets.filter(
            organisation_id=ticket.organisation_id, status__in=OPEN_STATUSES
        ).count()
        panel["org_customers"] = ticket.organisation.customers.count()
    return panel


def pending_acknowledgement(ticket: Ticket) -> EscalationRecord | None:
    return (
        EscalationRecord.objects.filter(
            ticket=ticket,
            ack_required=True,
            acknowledged_at__isnull=True,
            deescalated_at__isnull=True,
        )
        .select_related("to_agent", "to_team")
        .order_by("-created_at", "-id")
        .first()
    )


def may_acknowledge(actor: Actor, record: EscalationRecord | None) -> bool:
    """The same rule as the acknowledge service, to show the button only to those it accepts."""
    if record is None or actor.user is None:
        return False
    if record.to_agent_id is not None and record.to_agent_id == actor.user.pk:
        return True
    if (
        record.to_agent_id is None
        and record.to_team_id
        and actor.agent is not None
        and actor.agent.teams.filter(pk=record.to_team_id).exists()
    ):
        return True
    return actor.is_supervisor


def can_deescalate(ticket: Ticket) -> bool:
    return EscalationRecord.objects.filter(
        ticket=ticket, direction=EscalationRecord.Direction.UP, deescalated_at__isnull=True
    ).exists()


def escalation_options(ticket: Ticket) -> dict:
    """Who each hierarchical choice reaches now, for the escalate dialog's labels."""
    run = EscalationRun.objects.filter(ticket=ticket, active=True).first()
    next_level = None
    if run is not None and run.level_index + 1 < len(run.snapshot):
        level = run.snapshot[run.level_index + 1]
        target = level.get("team") or level.get("role") or level.get("agent") or ""
        if level.get("team"):
            target = Team.objects.filter(slug=level["team"]).values_list("name", flat=True).first()
        next_level = {"number": run.level_index + 2, "target": target or "—"}
    supervisor, manager = supervisor_of(ticket), manager_of(ticket)
    return {
        "path": run.path_name if run else None,
        "next_level": next_level,
        "supervisor": supervisor.get_full_name() or supervisor.username if supervisor else None,
        "manager": manager.get_full_name() or manager.username if manager else None,
    }


def macros_for(actor: Actor, ticket: Ticket | None = None) -> list[Macro]:
    """Shared macros and the agent's own; for a ticket, those in its language (or any) and
    for its team (or every team), the ticket's language first."""
    macros = Macro.objects.filter(active=True).filter(Q(owner__isnull=True) | Q(owner=actor.user))
    if ticket is None:
        return list(macros.select_related("team", "owner"))
    if ticket.language:
        base = ticket.language.split("-")[0]
        macros = macros.filter(
            Q(language="") | Q(language__iexact=ticket.language) | Q(language__iexact=base)
        )
    macros = macros.filter(Q(team__isnull=True) | Q(team_id=ticket.team_id))
    return sorted(macros, key=lambda m: (m.language == "", m.name.lower()))


# --- the supervisor board ---------------------------------------------------------------------


def start_of_today() -> datetime:
    local = timezone.localtime(clock.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def board_awaiting(actor: Actor, limit: int = 25) -> list[EscalationRecord]:
    return list(
        escalation_selectors.awaiting_acknowledgement(actor).select_related(
            "ticket__team", "ticket__assignee", "ticket__organisation"
        )[:limit]
    )


def board_at_risk(actor: Actor, limit: int = 15) -> list[Ticket]:
    return list(escalation_selectors.at_risk_tickets(actor, RISK_THRESHOLD)[:limit])


def board_breaches_today(actor: Actor, limit: int = 20) -> tuple[int, list[SlaFiring]]:
    firings = SlaFiring.objects.filter(
        threshold="breach",
        fired_at__gte=start_of_today(),
        ticket__in=visible_tickets(actor),
    )
    rows = firings.select_related("ticket", "ticket__team", "ticket__assignee").order_by(
        "-fired_at", "-id"
    )[:limit]
    return firings.count(), list(rows)


def board_recent_escalations(actor: Actor, limit: int = 12) -> list[EscalationRecord]:
    return list(
        EscalationRecord.objects.filter(ticket__in=visible_tickets(actor))
        .select_related("ticket", "from_team", "to_team", "to_agent", "acknowledged_by")
        .order_by("-created_at", "-id")[:limit]
    )


@dataclass
class Load:
    name: str
    open: int
    capacity: int
    detail: str = ""
    availability: str = ""
    availability_label: str = ""

    @property
    def percent(self) -> int:
        if self.capacity <= 0:
            return 100 if self.open else 0
        return round(100 * self.open / self.capacity)

    @property
    def state(self) -> str:
        return "over" if self.percent > 100 else "high" if self.percent >= 80 else "ok"

    @property
    def bar(self) -> int:
        return min(self.percent, 100)


def board_load() -> tuple[list[Load], list[Load]]:
    """Open tickets against capacity, per agent and per team (busiest first)."""
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    per_agent = dict(
        open_tickets.filter(assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    per_team = {
        row["team_id"]: row
        for row in open_tickets.values("team_id").annotate(
            n=Count("id"), unassigned=Count("id", filter=Q(assignee__isnull=True))
        )
    }
    availability = dict(AgentProfile.Availability.choices)
    profiles = list(
        AgentProfile.objects.select_related("user")
        .prefetch_related("teams")
        .filter(user__is_active=True)
    )
    agents = [
        Load(
            name=profile.user.get_full_name() or profile.user.username,
            open=per_agent.get(profile.user_id, 0),
            capacity=profile.capacity,
            detail=", ".join(team.name for team in profile.teams.all()),
            availability=profile.availability,
            availability_label=str(availability.get(profile.availability, "")),
        )
        for profile in profiles
        if profile.capacity or per_agent.get(profile.user_id)
    ]
    capacity: dict[int, int] = {}
    online: dict[int, int] = {}
    for profile in profiles:
        for team in profile.teams.all():
            capacity[team.pk] = capacity.get(team.pk, 0) + profile.capacity
            if profile.availability == AgentProfile.Availability.ONLINE:
                online[team.pk] = online.get(team.pk, 0) + 1
    teams = []
    for team in Team.objects.order_by("tier_level", "name"):
        row = per_team.get(team.pk, {"n": 0, "unassigned": 0})
        teams.append(
            Load(
                name=team.name,
                open=row["n"],
                capacity=capacity.get(team.pk, 0),
                detail=_("%(unassigned)d unassigned, %(online)d online")
                % {"unassigned": row["unassigned"], "online": online.get(team.pk, 0)},
            )
        )
    agents.sort(key=lambda load: (-load.percent, load.name))
    teams.sort(key=lambda load: (-load.percent, load.name))
    return agents, teams


def board_counts(actor: Actor) -> dict[str, int]:
    visible = visible_tickets(actor).filter(status__in=OPEN_STATUSES)
    return {
        "awaiting": escalation_selectors.awaiting_acknowledgement(actor).count(),
        "at_risk": visible.filter(risk_score__gte=RISK_THRESHOLD).count(),
        "breaches_today": SlaFiring.objects.filter(
            threshold="breach", fired_at__gte=start_of_today()
        ).count(),
        "unassigned": visible.filter(assignee__isnull=True).count(),
    }


# --- notifications ----------------------------------------------------------------------------


def unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications(user, limit: int = 100) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user)
        .select_related("ticket")
        .order_by("-created_at", "-id")[:limit]
    )


def notification_kind_labels() -> dict[str, str]:
    return {
        "escalated": _("Escalation"),
        "sla_warning": _("SLA warning"),
        "sla_breach": _("SLA breach"),
        "acknowledge_needed": _("Acknowledgement needed"),
        "level_timeout": _("Time limit at level"),
        "risk": _("Risk"),
        "customer_request": _("Customer request"),
        "csat_low": _("Low satisfaction score"),
    }
