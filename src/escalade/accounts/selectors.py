import zoneinfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from escalade.accounts.models import AgentProfile, Customer, Organisation, Team
from escalade.core.actors import Actor


def visible_customers(actor: Actor) -> QuerySet[Customer]:
    if actor.is_agent:
        return Customer.objects.select_related("organisation")
    if actor.customer is not None:
        return Customer.objects.filter(pk=actor.customer.pk)
    return Customer.objects.none()


def agents_with_load() -> QuerySet[AgentProfile]:
    """Agents with their count of open assigned tickets (their load)."""
    return AgentProfile.objects.select_related("user", "reports_to").annotate(
        open_tickets=Count(
            "user__assigned_tickets",
            filter=Q(user__assigned_tickets__status__in=("new", "open", "pending", "on_hold")),
        )
    )


def teams() -> QuerySet[Team]:
    return Team.objects.select_related("manager").order_by("tier_level", "name")


def organisations() -> QuerySet[Organisation]:
    return Organisation.objects.order_by("name")


def time_zone_choices() -> list[str]:
    """Every IANA zone, those of the company's teams and organisations and the site's first."""
    in_use = {settings.TIME_ZONE, "UTC"}
    in_use.update(Team.objects.values_list("timezone", flat=True).distinct())
    in_use.update(Organisation.objects.values_list("timezone", flat=True).distinct())
    rest = zoneinfo.available_timezones() - in_use
    return sorted(in_use) + sorted(rest)
