"""The chain of command: who is a ticket's supervisor and manager (through `reports_to`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from escalade.accounts.models import AgentProfile
from escalade.tickets.models import Ticket


def _reports_to(user):
    profile = AgentProfile.objects.filter(user=user).select_related("reports_to").first()
    return profile.reports_to if profile is not None else None


def _first_with_role(role: str, team=None):
    people = get_user_model().objects.filter(agent_profile__role=role, is_active=True)
    if team is not None:
        in_team = people.filter(agent_profile__teams=team).order_by("pk").first()
        if in_team is not None:
            return in_team
    return people.order_by("pk").first()


def supervisor_of(ticket: Ticket):
    """The assignee's `reports_to`; with nobody assigned, the team's manager; else a supervisor."""
    if ticket.assignee_id:
        boss = _reports_to(ticket.assignee)
        if boss is not None:
            return boss
    if ticket.team_id and ticket.team.manager_id:
        return ticket.team.manager
    return _first_with_role("supervisor", ticket.team if ticket.team_id else None)


def manager_of(ticket: Ticket):
    """One step above the supervisor; the first manager when the chain stops there."""
    supervisor = supervisor_of(ticket)
    if supervisor is not None:
        boss = _reports_to(supervisor)
        if boss is not None and boss != supervisor:
            return boss
        if AgentProfile.objects.filter(user=supervisor, role="manager").exists():
            return supervisor
    return _first_with_role("manager")
