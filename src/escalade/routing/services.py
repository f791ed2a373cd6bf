"""Routing: the right team from the start (rules), then the right agent in it (strategies)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from escalade.accounts.models import AgentProfile, Team
from escalade.core import db, unit_of_work
from escalade.core.actors import Actor
from escalade.core.conditions import first_match
from escalade.routing.assignment import AgentSnapshot, Needs, choose_agent
from escalade.routing.models import RoutingRule
from escalade.tickets import services as tickets
from escalade.tickets.models import Ticket
from escalade.tickets.selectors import OPEN_STATUSES, ticket_facts


@dataclass
class RoutingDecision:
    rule: str | None
    reasons: list[str] = field(default_factory=list)
    skipped: list[tuple[str, list[str]]] = field(default_factory=list)
    team: str | None = None
    assignee: str | None = None
    assignment_reason: str = ""


def candidates(team: Team) -> list[AgentSnapshot]:
    """The team's online agents with their open load, read as tuples.

    Two small queries rather than one join: the load is counted on the (assignee, status)
    index for these agents only. A join of agents with all tickets lets the planner hash the
    whole ticket table, which at a million open tickets costs more than the rest of a step.
    """
    agents = db.memo(
        ("team-agents", team.pk),
        lambda: list(
            AgentProfile.objects.filter(
                teams=team, user__is_active=True, availability=AgentProfile.Availability.ONLINE
            )
            .order_by("user_id")
            .values_list("user_id", "capacity", "languages", "skills")
        ),
    )
    if not agents:
        return []
    load = open_load([row[0] for row in agents])
    return [
        AgentSnapshot(
            agent_id=user_id,
            online=True,
            open_tickets=load.get(user_id, 0),
            capacity=capacity,
            languages=frozenset(languages),
            skills=frozenset(skills),
        )
        for user_id, capacity, languages, skills in agents
    ]


def open_load(agent_ids: list[int]) -> dict[int, int]:
    """Open tickets per agent. In a worker's batch the count is made once per flush, plus
    the assignments and status changes the batch has made since (not yet written)."""
    unit = unit_of_work.current()
    if unit is None:
        return _count_open(agent_ids)
    with unit.as_of_last_flush():
        load = dict(
            unit.memo(("per-flush", "load", tuple(agent_ids)), lambda: _count_open(agent_ids))
        )
    wanted = set(agent_ids)
    for (old_agent, old_status), (new_agent, new_status) in unit.changed(
        Ticket, ("assignee_id", "status")
    ):
        if old_agent in wanted and old_status in OPEN_STATUSES:
            load[old_agent] = load.get(old_agent, 0) - 1
        if new_agent in wanted and new_status in OPEN_STATUSES:
            load[new_agent] = load.get(new_agent, 0) + 1
    return load


def _count_open(agent_ids: list[int]) -> dict[int, int]:
    return dict(
        Ticket.objects.filter(assignee_id__in=agent_ids, status__in=OPEN_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )


def pick_agent(ticket: Ticket, team: Team) -> tuple[int | None, str]:
    """The agent of ``team`` the team's strategy gives this ticket, or None (the team queue)."""
    needs = Needs(
        language=ticket.language or None,
        skills=frozenset([ticket.category]) if ticket.category else frozenset(),
    )
    choice = choose_agent(candidates(team), team.assignment_strategy, needs, team.last_assigned_id)
    if choice.agent_id is not None and team.assignment_strategy == Team.Strategy.ROUND_ROBIN:
        Team.objects.filter(pk=team.pk).update(last_assigned_id=choice.agent_id)
        team.last_assigned_id = choice.agent_id  # the next pick in this batch goes on from here
    return choice.agent_id, choice.reason


def route_new_ticket(actor: Actor, ticket: Ticket) -> RoutingDecision:
    """Choose the team (unless the ticket came with one) and the agent, through update_ticket."""
    decision = RoutingDecision(rule=None)
    changes: dict = {}
    team = ticket.team
    if team is None:
        matched = first_match(
            RoutingRule.objects.order_by("position", "id"),
            ticket_facts(ticket),
            conditions_of=lambda rule: rule.conditions,
        )
        decision.skipped = [(rule.name, result.reasons) for rule, result in matched.skipped]
        if matched.item is not None:
            rule = matched.item
            decision.rule, decision.reasons = rule.name, matched.result.reasons
            team = Team.objects.filter(slug=rule.team).first()
            if team is not None:
                changes["team"] = team
            # A category the ticket already has is kept; the rule's priority always applies.
            if rule.changes.get("category") and not ticket.category:
                changes["category"] = rule.changes["category"]
            if rule.changes.get("priority"):
                changes["priority"] = rule.changes["priority"]
            if rule.changes.get("tags"):
                changes["tags"] = [*ticket.tags, *rule.changes["tags"]]
    decision.team = team.slug if team else None
    if team is not None and ticket.assignee_id is None:
        agent_id, decision.assignment_reason = pick_agent(ticket, team)
        if agent_id is not None:
            changes["assignee"] = agent_id
    if changes:
        note = (
            f"routing rule {decision.rule}: {'; '.join(decision.reasons)}"
            if decision.rule
            else decision.assignment_reason
        )
        tickets.update_ticket(actor, ticket.pk, expected_version=None, reason=note, **changes)
    if decision.rule is None and "assignee" not in changes:
        return decision
    tickets.record_event(
        ticket,
        actor,
        "routed",
        after={
            "rule": decision.rule,
            "reasons": decision.reasons,
            "team": decision.team,
            "assignment": decision.assignment_reason,
        },
    )
    return decision
