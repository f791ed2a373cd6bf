"""Customers, organisations, teams, agents, the current user and API tokens."""

from datetime import datetime
from typing import Literal

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from escalade.accounts import selectors, services
from escalade.accounts.models import Organisation, Team
from escalade.core.actors import actor_for
from escalade.core.errors import NotFound, ValidationFailed

router = Router(tags=["accounts"])

TierName = Literal["standard", "premium", "vip"]


class OrganisationOut(Schema):
    id: int
    name: str
    domains: list[str]
    tier: str
    country: str
    timezone: str
    calendar: str


class OrganisationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    domains: list[str] = Field(default_factory=list)
    tier: TierName = "standard"
    country: str = Field("", max_length=2)
    timezone: str = "UTC"
    calendar: str = Field("", max_length=64)


class OrganisationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    domains: list[str] | None = None
    tier: TierName | None = None
    country: str | None = Field(None, max_length=2)
    timezone: str | None = None
    calendar: str | None = Field(None, max_length=64)


class CustomerOut(Schema):
    id: int
    name: str
    email: str | None
    phone: str
    language: str
    organisation_id: int | None
    social_handles: dict
    created_at: datetime


class CustomerIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str = Field("", max_length=40)
    language: str = Field("", max_length=10)
    organisation_id: int | None = None


class CustomerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    language: str | None = Field(None, max_length=10)
    organisation_id: int | None = None


class TeamOut(Schema):
    id: int
    slug: str
    name: str
    function: str
    tier_level: int
    manager_id: int | None
    timezone: str
    calendar: str
    assignment_strategy: str


class TeamIn(Schema):
    slug: str = Field(..., min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(..., min_length=1, max_length=200)
    function: Literal["general", "billing", "technical", "engineering", "sales"] = "general"
    tier_level: int = Field(1, ge=1, le=10)
    manager_id: int | None = None
    timezone: str = "UTC"
    calendar: str = ""
    assignment_strategy: Literal["round_robin", "least_loaded", "skill_match", "manual"] = (
        "least_loaded"
    )


class AgentOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    teams: list[str]
    skills: list[str]
    languages: list[str]
    capacity: int
    open_tickets: int
    availability: str
    time_zone: str
    reports_to_id: int | None

    @staticmethod
    def resolve_id(profile) -> int:
        return profile.user_id

    @staticmethod
    def resolve_username(profile) -> str:
        return profile.user.username

    @staticmethod
    def resolve_name(profile) -> str:
        return profile.user.get_full_name() or profile.user.username

    @staticmethod
    def resolve_email(profile) -> str:
        return profile.user.email

    @staticmethod
    def resolve_teams(profile) -> list[str]:
        return [team.slug for team in profile.teams.all()]


class AgentIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    email: str = Field(..., max_length=254)
    name: str = Field("", max_length=200)
    password: str | None = Field(None, min_length=10, max_length=200)
    role: Literal["agent", "supervisor", "manager", "admin"] = "agent"
    teams: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    capacity: int = Field(20, ge=0, le=10_000)
    reports_to_id: int | None = None


class AgentPatch(Schema):
    role: Literal["agent", "supervisor", "manager", "admin"] | None = None
    availability: Literal["online", "away", "offline"] | None = None
    ui_language: str | None = Field(None, max_length=10)
    time_zone: str | None = Field(None, max_length=64)
    languages: list[str] | None = None
    skills: list[str] | None = None
    capacity: int | None = Field(None, ge=0, le=10_000)
    teams: list[int] | None = None
    reports_to: int | None = None


class MeOut(Schema):
    id: int
    username: str
    role: str | None
    customer_id: int | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(..., description="Shown once; store it now.")


class SearchParams(Schema):
    q: str = Field("", max_length=200)
    limit: int = Field(50, ge=1, le=200)


@router.get("/me", response=MeOut, tags=["accounts"])
def me(request: HttpRequest):
    actor = actor_for(request.auth)
    return {
        "id": request.auth.pk,
        "username": request.auth.username,
        "role": actor.role,
        "customer_id": actor.customer.pk if actor.customer else None,
    }


@router.get("/customers", response=list[CustomerOut])
def list_customers(request: HttpRequest, params: Query[SearchParams]):
    customers = selectors.visible_customers(actor_for(request.auth))
    if params.q:
        customers = customers.filter(Q(name__icontains=params.q) | Q(email__icontains=params.q))
    return list(customers.order_by("name")[: params.limit])


@router.post("/customers", response={201: CustomerOut})
def create_customer(request: HttpRequest, payload: CustomerIn):
    customer = services.create_customer(
        actor_for(request.auth),
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        language=payload.language,
        organisation=payload.organisation_id,
    )
    return Status(201, customer)


@router.get("/customers/{int:customer_id}", response=CustomerOut)
def get_customer(request: HttpRequest, customer_id: int):
    customer = selectors.visible_customers(actor_for(request.auth)).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


@router.patch("/customers/{int:customer_id}", response=CustomerOut)
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch):
    changes = payload.dict(exclude_unset=True)
    if "organisation_id" in changes:
        changes["organisation"] = changes.pop("organisation_id")
    return services.update_customer(actor_for(request.auth), customer_id, **changes)


@router.get("/organisations", response=list[OrganisationOut])
def list_organisations(request: HttpRequest):
    actor_for(request.auth).require_agent()
    return list(selectors.organisations())


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn):
    return Status(201, services.save_organisation(actor_for(request.auth), **payload.dict()))


@router.patch("/organisations/{int:organisation_id}", response=OrganisationOut)
def update_organisation(request: HttpRequest, organisation_id: int, payload: OrganisationPatch):
    actor = actor_for(request.auth)
    actor.require_admin()
    if not Organisation.objects.filter(pk=organisation_id).exists():
        raise NotFound()
    return services.save_organisation(actor, organisation_id, **payload.dict(exclude_unset=True))


@router.get("/teams", response=list[TeamOut])
def list_teams(request: HttpRequest):
    actor_for(request.auth).require_agent()
    return list(selectors.teams())


@router.post("/teams", response={201: TeamOut})
def create_team(request: HttpRequest, payload: TeamIn):
    fields = payload.dict()
    fields["manager"] = fields.pop("manager_id")
    return Status(201, services.save_team(actor_for(request.auth), **fields))


@router.get("/agents", response=list[AgentOut])
def list_agents(request: HttpRequest):
    actor_for(request.auth).require_agent()
    return list(selectors.agents_with_load().prefetch_related("teams").order_by("user__username"))


def _agent_out(user_id: int):
    return selectors.agents_with_load().prefetch_related("teams").get(user_id=user_id)


@router.post("/agents", response={201: AgentOut})
def create_agent(request: HttpRequest, payload: AgentIn):
    teams = list(Team.objects.filter(slug__in=payload.teams))
    missing = set(payload.teams) - {team.slug for team in teams}
    if missing:
        raise ValidationFailed(
            _("teams: no team %(slug)r") % {"slug": sorted(missing)[0]}, field="teams"
        )
    reports_to = None
    if payload.reports_to_id is not None:
        reports_to = get_user_model().objects.filter(pk=payload.reports_to_id).first()
        if reports_to is None:
            raise ValidationFailed(_("reports_to_id: no such user"), field="reports_to_id")
    profile = services.create_agent(
        actor_for(request.auth),
        username=payload.username,
        email=payload.email,
        password=payload.password,
        name=payload.name,
        role=payload.role,
        teams=teams,
        languages=payload.languages,
        skills=payload.skills,
        capacity=payload.capacity,
        reports_to=reports_to,
    )
    return Status(201, _agent_out(profile.user_id))


@router.patch("/agents/{int:user_id}", response=AgentOut)
def update_agent(request: HttpRequest, user_id: int, payload: AgentPatch):
    services.update_agent(actor_for(request.auth), user_id, **payload.dict(exclude_unset=True))
    return _agent_out(user_id)


@router.get("/tokens", response=list[TokenOut], tags=["tokens"])
def list_tokens(request: HttpRequest):
    return list(request.auth.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at"))


@router.post("/tokens", response={201: TokenCreated}, tags=["tokens"])
def create_token(request: HttpRequest, payload: TokenIn):
    token, secret = services.create_api_token(actor_for(request.auth), payload.name)
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": secret})


@router.delete("/tokens/{int:token_id}", response={204: None}, tags=["tokens"])
def revoke_token(request: HttpRequest, token_id: int):
    services.revoke_api_token(actor_for(request.auth), token_id)
    return Status(204, None)
