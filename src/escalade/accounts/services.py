"""Account actions: customers, organisations, teams, agents, API tokens and sign-in limits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from escalade.accounts.models import AgentProfile, ApiToken, Customer, Organisation, Team, Tier
from escalade.core import clock, validation
from escalade.core.actors import Actor
from escalade.core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from escalade.core.models import LoginAttempt

TOKEN_PREFIX = "esc_"


def organisation_for_email(email: str) -> Organisation | None:
    domain = email.rpartition("@")[2].lower()
    if not domain:
        return None
    for organisation in Organisation.objects.exclude(domains=[]).only("id", "domains"):
        if domain in (d.lower() for d in organisation.domains):
            return Organisation.objects.get(pk=organisation.pk)
    return None


# --- customers ---------------------------------------------------------------------------


@transaction.atomic
def create_customer(
    actor: Actor,
    *,
    name: str,
    email: str | None = None,
    phone: str = "",
    language: str = "",
    organisation: Organisation | int | None = None,
    social_handles: dict | None = None,
    is_org_admin: bool = False,
) -> Customer:
    actor.require_agent()
    email = validation.email_address(email) if email else None
    if email is None and not phone and not social_handles:
        raise ValidationFailed(
            _("email: a customer needs an email, a phone number or a social handle"), field="email"
        )
    if isinstance(organisation, int):
        organisation = Organisation.objects.filter(pk=organisation).first()
        if organisation is None:
            raise ValidationFailed(_("organisation: no such organisation"), field="organisation")
    if organisation is None and email:
        organisation = organisation_for_email(email)
    return validation.save_unique(
        Customer(
            name=validation.text(name or (email or phone), "name", max_length=200, required=True),
            email=email,
            phone=phone.strip()[:40],
            language=language[:10],
            organisation=organisation,
            social_handles=social_handles or {},
            is_org_admin=is_org_admin,
        ),
        _("a customer with the email %(email)s already exists") % {"email": email},
    )


def resolve_customer(
    actor: Actor, *, customer: Customer | int | None, email: str | None, name: str = ""
) -> Customer:
    """The requester of a new ticket: an existing customer, or one found or made by email."""
    if isinstance(customer, Customer):
        return customer
    if customer is not None:
        found = Customer.objects.filter(pk=customer).select_related("organisation").first()
        if found is None:
            raise ValidationFailed(
                _("customer: no customer %(id)s") % {"id": customer}, field="customer"
            )
        return found
    if not email:
        raise ValidationFailed(_("customer: give a customer id or an email"), field="customer")
    email = validation.email_address(email, "customer_email")
    existing = Customer.objects.filter(email=email).select_related("organisation").first()
    return existing or create_customer(actor, name=name or email.partition("@")[0], email=email)


@transaction.atomic
def update_customer(actor: Actor, customer_id: int, **changes: Any) -> Customer:
    actor.require_agent()
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    if "name" in changes:
        customer.name = validation.text(changes["name"], "name", max_length=200, required=True)
    if "email" in changes:
        customer.email = validation.email_address(changes["email"]) if changes["email"] else None
    for field in ("phone", "language"):
        if field in changes:
            setattr(customer, field, (changes[field] or "").strip())
    if "is_org_admin" in changes:
        customer.is_org_admin = bool(changes["is_org_admin"])
    if "organisation" in changes:
        customer.organisation = (
            Organisation.objects.filter(pk=changes["organisation"]).first()
            if changes["organisation"]
            else None
        )
    return validation.save_unique(
        customer,
        _("a customer with the email %(email)s already exists") % {"email": customer.email},
    )


# --- configuration (admins only) -----------------------------------------------------------


@transaction.atomic
def save_organisation(
    actor: Actor, organisation_id: int | None = None, **fields: Any
) -> Organisation:
    actor.require_admin()
    organisation = (
        Organisation()
        if organisation_id is None
        else Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    )
    if organisation is None:
        raise NotFound()
    if "name" in fields or organisation_id is None:
        organisation.name = validation.text(
            fields.get("name", ""), "name", max_length=200, required=True
        )
    if "tier" in fields:
        organisation.tier = validation.choice(fields["tier"], Tier, "tier")
    if "domains" in fields:
        organisation.domains = sorted(
            {d.strip().lower().lstrip("@") for d in fields["domains"] if d.strip()}
        )
    if "timezone" in fields:
        organisation.timezone = validation.time_zone(fields["timezone"])
    for field in ("country", "calendar"):
        if field in fields:
            setattr(organisation, field, (fields[field] or "").strip())
    organisation.country = organisation.country.upper()[:2]
    return validation.save_unique(
        organisation,
        _("an organisation named %(name)s already exists") % {"name": organisation.name},
    )


@transaction.atomic
def save_team(actor: Actor, team_id: int | None = None, **fields: Any) -> Team:
    actor.require_admin()
    team = (
        Team() if team_id is None else Team.objects.select_for_update().filter(pk=team_id).first()
    )
    if team is None:
        raise NotFound()
    if "slug" in fields or team_id is None:
        team.slug = validation.text(fields.get("slug", ""), "slug", max_length=64, required=True)
    if "name" in fields or team_id is None:
        team.name = validation.text(fields.get("name", ""), "name", max_length=200, required=True)
    if "function" in fields:
        team.function = validation.choice(fields["function"], Team.Function, "function")
    if "assignment_strategy" in fields:
        team.assignment_strategy = validation.choice(
            fields["assignment_strategy"], Team.Strategy, "assignment_strategy"
        )
    if "tier_level" in fields:
        if not 1 <= int(fields["tier_level"]) <= 10:
            raise ValidationFailed(_("tier_level: must be from 1 to 10"), field="tier_level")
        team.tier_level = int(fields["tier_level"])
    if "timezone" in fields:
        team.timezone = validation.time_zone(fields["timezone"])
    if "manager" in fields:
        team.manager = (
            get_user_model().objects.filter(pk=fields["manager"]).first()
            if fields["manager"]
            else None
        )
    for field in ("calendar", "email"):
        if field in fields:
            setattr(team, field, (fields[field] or "").strip())
    return validation.save_unique(
        team,
        _("a team with the slug %(slug)s already exists") % {"slug": team.slug},
    )


@transaction.atomic
def create_agent(
    actor: Actor,
    *,
    username: str,
    email: str,
    password: str | None,
    name: str = "",
    role: str = AgentProfile.Role.AGENT,
    teams: list[Team] | None = None,
    languages: list[str] | None = None,
    skills: list[str] | None = None,
    capacity: int = 20,
    reports_to: Any = None,
    availability: str = AgentProfile.Availability.OFFLINE,
) -> AgentProfile:
    actor.require_admin()
    validation.choice(role, AgentProfile.Role, "role")
    User = get_user_model()
    username = validation.text(username, "username", max_length=150, required=True)
    if User.objects.filter(username=username).exists():
        raise Conflict(_("the username %(name)s is taken") % {"name": username})
    first, _sep, last = name.partition(" ")
    user = User.objects.create_user(
        username=username,
        email=validation.email_address(email),
        password=password,
        first_name=first,
        last_name=last,
        is_staff=role == "admin",
        is_superuser=role == "admin",
    )
    profile = AgentProfile.objects.create(
        user=user,
        role=role,
        languages=languages or [],
        skills=skills or [],
        capacity=capacity,
        reports_to=reports_to,
        availability=availability,
    )
    if teams:
        profile.teams.set(teams)
    return profile


@transaction.atomic
def update_agent(actor: Actor, user_id: int, **fields: Any) -> AgentProfile:
    """Admins change anything; an agent only their own availability, language and time zone."""
    profile = (
        AgentProfile.objects.select_for_update()
        .filter(user_id=user_id)
        .select_related("user")
        .first()
    )
    if profile is None:
        raise NotFound()
    own_fields = {"availability", "ui_language", "time_zone"}
    if not (
        actor.is_admin
        or (actor.user is not None and actor.user.pk == user_id and set(fields) <= own_fields)
    ):
        actor.require_admin()
    if "availability" in fields:
        profile.availability = validation.choice(
            fields["availability"], AgentProfile.Availability, "availability"
        )
    if "ui_language" in fields:
        if fields["ui_language"] and fields["ui_language"] not in dict(settings.LANGUAGES):
            raise ValidationFailed(_("ui_language: not a supported language"), field="ui_language")
        profile.ui_language = fields["ui_language"]
    if "time_zone" in fields:
        chosen = (fields["time_zone"] or "").strip()
        profile.time_zone = validation.time_zone(chosen, "time_zone") if chosen else ""
    if "role" in fields:
        profile.role = validation.choice(fields["role"], AgentProfile.Role, "role")
    for field in ("languages", "skills"):
        if field in fields:
            setattr(profile, field, [str(v).strip() for v in fields[field] if str(v).strip()])
    if "capacity" in fields:
        profile.capacity = max(0, int(fields["capacity"]))
    if "reports_to" in fields:
        profile.reports_to = (
            get_user_model().objects.filter(pk=fields["reports_to"]).first()
            if fields["reports_to"]
            else None
        )
    profile.save()
    if "teams" in fields:
        profile.teams.set(Team.objects.filter(pk__in=fields["teams"]))
    return profile


# --- API tokens ----------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_api_token(actor: Actor, name: str) -> tuple[ApiToken, str]:
    """Create a personal token; the plain token is returned once and never stored."""
    if actor.user is None:
        raise ValidationFailed(_("only a signed-in user can create a token"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor.user,
        name=validation.text(name, "name", max_length=100, required=True),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=_hash_token(secret),
        created_at=clock.now(),
    )
    return token, secret


@transaction.atomic
def revoke_api_token(actor: Actor, token_id: int) -> None:
    token = ApiToken.objects.filter(pk=token_id, user=actor.user, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound()
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])


def user_for_token(secret: str):
    """The active user a token belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=_hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    # Touch at most once a minute: a busy script should not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- sign-in rate limit ------------------------------------------------------------------------


def check_login_allowed(username: str, address: str) -> None:
    since = clock.now() - timedelta(seconds=settings.LOGIN_RATE_WINDOW_SECONDS)
    recent = LoginAttempt.objects.filter(created_at__gte=since)
    limit = settings.LOGIN_RATE_LIMIT
    if (
        recent.filter(username=username.lower()).count() >= limit
        or recent.filter(address=address).count() >= limit * 3
    ):
        raise RateLimited(_("Too many failed sign-in attempts; try again in a few minutes."))


def record_failed_login(username: str, address: str) -> None:
    LoginAttempt.objects.create(
        username=username.lower()[:254], address=address[:64], created_at=clock.now()
    )


def clear_failed_logins(username: str) -> None:
    LoginAttempt.objects.filter(username=username.lower()).delete()
