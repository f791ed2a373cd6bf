"""Reading feedback: a ticket's survey, CSAT figures for the reports, suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Avg, Count, Q, QuerySet

from escalade.feedback.models import Suggestion, Survey
from escalade.feedback.services import hash_token
from escalade.tickets.models import Ticket


def survey_for(ticket: Ticket) -> Survey | None:
    return Survey.objects.filter(ticket=ticket).first()


def survey_by_token(token: str) -> Survey | None:
    return (
        Survey.objects.select_related("ticket", "customer")
        .filter(token_hash=hash_token(token))
        .first()
    )


@dataclass(frozen=True)
class CsatSummary:
    sent: int
    answered: int
    average: float | None
    satisfied_percent: float | None  # share of answers scoring 4 or 5 (the usual CSAT)
    flagged: int
    distribution: dict[int, int] = field(default_factory=dict)

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.sent, 1) if self.sent else None


def surveys(
    *, since: datetime | None = None, until: datetime | None = None, team: str | None = None
) -> QuerySet[Survey]:
    found = Survey.objects.all()
    if since is not None:
        found = found.filter(sent_at__gte=since)
    if until is not None:
        found = found.filter(sent_at__lt=until)
    if team:
        found = found.filter(team_id=int(team)) if team.isdigit() else found.filter(team__slug=team)
    return found


def csat_summary(
    *, since: datetime | None = None, until: datetime | None = None, team: str | None = None
) -> CsatSummary:
    found = surveys(since=since, until=until, team=team)
    figures = found.aggregate(
        sent=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        average=Avg("score", filter=Q(answered_at__isnull=False)),
        satisfied=Count("id", filter=Q(score__gte=4)),
        flagged=Count("id", filter=Q(flagged=True)),
    )
    distribution = dict.fromkeys(range(1, 6), 0)
    for row in found.filter(score__isnull=False).values("score").annotate(n=Count("id")):
        distribution[row["score"]] = row["n"]
    answered = figures["answered"]
    return CsatSummary(
        sent=figures["sent"],
        answered=answered,
        average=round(figures["average"], 2) if figures["average"] is not None else None,
        satisfied_percent=round(100 * figures["satisfied"] / answered, 1) if answered else None,
        flagged=figures["flagged"],
        distribution=distribution,
    )


def suggestions(status: str | None = None) -> QuerySet[Suggestion]:
    found = Suggestion.objects.select_related("customer")
    return found.filter(status=status) if status else found
