"""Test data built through the real services, so tests exercise the same paths as users."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from escalade.accounts import services as accounts
from escalade.accounts.models import AgentProfile, Customer, Organisation, Team
from escalade.core.actors import SYSTEM, Actor, actor_for
from escalade.core.models import OutboxMessage
from escalade.tickets import services as tickets
from escalade.tickets.models import Ticket

_sequence = itertools.count(1)
PASSWORD = "correct horse battery staple"


def organisation(
    name: str | None = None, *, tier: str = "standard", domains: list[str] | None = None, **fields
) -> Organisation:
    n = next(_sequence)
    return accounts.save_organisation(
        SYSTEM, name=name or f"Organisation {n}", tier=tier, domains=domains or [], **fields
    )


def team(slug: str | None = None, **fields) -> Team:
    n = next(_sequence)
    slug = slug or f"team-{n}"
    return accounts.save_team(
        SYSTEM, slug=slug, name=fields.pop("name", slug.replace("-", " ").title()), **fields
    )


def agent(
    username: str | None = None, *, role: str = "agent", teams: list[Team] | None = None, **fields
) -> AgentProfile:
    n = next(_sequence)
    username = username or f"agent{n}"
    return accounts.create_agent(
        SYSTEM,
        username=username,
        email=f"{username}@escalade.test",
        password=PASSWORD,
        role=role,
        teams=teams,
        **fields,
    )


def customer(
    email: str | None = None,
    *,
    name: str = "",
    organisation: Organisation | None = None,
    with_login: bool = False,
    **fields,
) -> Customer:
    n = next(_sequence)
    email = email or f"customer{n}@example.test"
    created = accounts.create_customer(
        SYSTEM, name=name or f"Customer {n}", email=email, organisation=organisation, **fields
    )
    if with_login:
        user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
        created.user = user
        created.save(update_fields=["user"])
    return created


def ticket(
    requester: Customer | None = None,
    *,
    actor: Actor = SYSTEM,
    subject: str = "Something is wrong",
    body: str = "Please help.",
    **fields,
) -> Ticket:
    requester = requester or customer()
    return tickets.create_ticket(
        actor, subject=subject, body_text=body, customer=requester, **fields
    )


def actor(profile_or_customer: AgentProfile | Customer) -> Actor:
    return actor_for(profile_or_customer.user)


def outbox_message(key: str, clock) -> OutboxMessage:
    """An unsaved outbox message with the exactly-once key ``key``."""
    return OutboxMessage(
        channel="email",
        dedupe_key=key,
        payload={"to": ["ünïcødé@example.com"]},
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )
