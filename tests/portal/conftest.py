"""Shared helpers of the portal tests: signed-in clients and mail read from the outbox."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from escalade.core.models import OutboxMessage
from tests.escalation.conftest import company  # noqa: F401  (the demo-shaped company)

LINK = re.compile(r"/portal/signin/([A-Za-z0-9_-]+)/")


def client_for(customer_or_user, **kwargs) -> Client:
    user = getattr(customer_or_user, "user", customer_or_user)
    client = Client(**kwargs)
    client.force_login(user)
    return client


def mails_to(address: str) -> list[OutboxMessage]:
    return [
        message
        for message in OutboxMessage.objects.filter(channel="email").order_by("pk")
        if address in message.payload.get("to", [])
    ]


def link_token(address: str) -> str:
    """The token of the latest sign-in link mailed to ``address``."""
    mails = [m for m in mails_to(address) if m.dedupe_key.startswith("portal:magic-link:")]
    assert mails, f"no sign-in link was mailed to {address}"
    return LINK.search(mails[-1].payload["text"]).group(1)


@pytest.fixture
def kari(make):
    """An organisation admin of a VIP company, Norwegian, with a portal login."""
    fjordhandel = make.organisation(
        "Fjordhandel AS", tier="vip", domains=["fjordhandel.no"], timezone="Europe/Oslo"
    )
    return make.customer(
        "kari@fjordhandel.no",
        name="Kari Nordmann",
        organisation=fjordhandel,
        language="nb",
        is_org_admin=True,
        with_login=True,
    )


@pytest.fixture
def ole(make, kari):
    """Kari's colleague: same organisation, not an admin."""
    return make.customer(
        "ole@fjordhandel.no",
        name="Ole Johansen",
        organisation=kari.organisation,
        language="nb",
        with_login=True,
    )


@pytest.fixture
def giulia(make):
    """Another company's customer, Italian."""
    enoteca = make.organisation("Enoteca Fiorentina", domains=["enoteca.it"])
    return make.customer(
        "giulia@enoteca.it",
        name="Giulia Rossi",
        organisation=enoteca,
        language="it",
        with_login=True,
    )
