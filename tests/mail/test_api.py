"""The quarantine over the REST API (/api/v1/mail/quarantine): admins only."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from escalade.mail import services
from escalade.mail.models import InboundMail
from escalade.tickets.models import Ticket, TicketEvent
from tests.mail.conftest import fixture_bytes

pytestmark = pytest.mark.django_db

BASE = "/api/v1/mail/quarantine"


@pytest.fixture
def root(make):
    return make.agent("root", role="admin")


@pytest.fixture
def admin(root):
    client = Client()
    client.force_login(root.user)
    return client


def post(client: Client, url: str, data: dict | None = None):
    """A POST as API clients send it: JSON, or no body at all."""
    if data is None:
        return client.post(url, content_type="application/json")
    return client.post(url, data, content_type="application/json")


def hold(raw: bytes, **kwargs) -> int:
    return services.ingest(raw, source=kwargs.pop("source", "smtp"), **kwargs).quarantine


def test_the_list_shows_held_mail_newest_first_with_filters(clock, settings, admin):
    first = hold(fixture_bytes("no_from"))
    held_at = clock.now()
    clock.advance(minutes=1)
    second = hold(fixture_bytes("not_a_mail"), source="pipe")
    response = admin.get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (2, 1, 1)
    assert [item["id"] for item in body["items"]] == [second, first]
    item = body["items"][1]
    assert {k: item[k] for k in ("status", "reason", "source", "sender", "subject", "raw_url")} == {
        "status": "quarantined",
        "reason": "no From header",
        "source": "smtp",
        "sender": "",
        "subject": "Who sent this?",
        "raw_url": f"{BASE}/{first}/raw",
    }
    assert datetime.fromisoformat(item["received_at"]) == held_at
    assert admin.get(BASE, {"page_size": 1, "page": 2}).json()["items"][0]["id"] == first
    assert admin.get(BASE, {"status": "discarded"}).json()["count"] == 0
    bad = admin.get(BASE, {"status": "lost"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("status:")


def test_show_download_reprocess_and_discard(clock, settings, admin, root):
    settings.MAIL_MAX_MESSAGE_BYTES = 200
    held = hold(fixture_bytes("lang_pl"))
    junk = hold(fixture_bytes("not_a_mail"))

    raw = admin.get(f"{BASE}/{held}/raw")
    assert raw.status_code == 200
    assert raw.content == fixture_bytes("lang_pl")
    assert raw["Content-Type"] == "message/rfc822"
    assert raw["Content-Disposition"] == f'attachment; filename="quarantine-{held}.eml"'
    assert raw["X-Content-Type-Options"] == "nosniff"

    still = post(admin, f"{BASE}/{held}/reprocess", {})
    assert still.status_code == 200
    assert still.json()["outcome"] == "quarantined"
    assert still.json()["reason"].startswith("message is ")
    done = post(admin, f"{BASE}/{held}/reprocess", {"ignore_limits": True})
    assert done.status_code == 200, done.content
    ticket = Ticket.objects.get()
    body = done.json()
    assert (body["outcome"], body["ticket"], body["mail"]["status"]) == (
        "created",
        ticket.pk,
        "reprocessed",
    )
    assert body["mail"]["resolved_by"] == "root"
    assert TicketEvent.objects.filter(ticket=ticket, kind="email_released").count() == 1
    again = post(admin, f"{BASE}/{held}/reprocess")
    assert again.status_code == 409
    assert again.json() == {"detail": "This mail was re-processed already."}

    discarded = post(admin, f"{BASE}/{junk}/discard", {"note": "junk"})
    assert discarded.status_code == 200
    assert discarded.json()["status"] == "discarded"
    assert post(admin, f"{BASE}/{junk}/discard").status_code == 409

    shown = admin.get(f"{BASE}/{held}").json()
    assert [(e["kind"], e["actor"]) for e in shown["events"]] == [
        ("quarantined", "channel:email"),
        ("downloaded", "root"),
        ("still_quarantined", "root"),
        ("reprocessed", "root"),
    ]
    assert [(e["kind"], e["note"]) for e in admin.get(f"{BASE}/{junk}").json()["events"]] == [
        ("quarantined", "not an email message: no headers"),
        ("discarded", "junk"),
    ]
    assert admin.get(f"{BASE}", {"status": "all"}).json()["count"] == 2


@pytest.mark.parametrize("role", ["agent", "supervisor", "manager"])
def test_only_admins_may_use_it(clock, make, role):
    held = hold(fixture_bytes("no_from"))
    client = Client()
    client.force_login(make.agent(f"someone-{role}", role=role).user)
    for response in (
        client.get(BASE),
        client.get(f"{BASE}/{held}"),
        client.get(f"{BASE}/{held}/raw"),
        post(client, f"{BASE}/{held}/reprocess"),
        post(client, f"{BASE}/{held}/discard"),
    ):
        assert response.status_code == 403
    row = InboundMail.objects.get()
    assert row.status == "quarantined"
    assert [e.kind for e in row.events.all()] == ["quarantined"]


def test_customers_and_strangers_get_nothing(clock, make):
    held = hold(fixture_bytes("no_from"))
    customer = Client()
    customer.force_login(make.customer("anna@kunde.example", with_login=True).user)
    assert customer.get(BASE).status_code == 403
    assert post(customer, f"{BASE}/{held}/discard").status_code == 403
    assert Client().get(BASE).status_code == 401
    assert Client().get(f"{BASE}/{held}/raw").status_code == 401


def test_a_bearer_token_works_and_unknown_ids_are_404(clock, admin):
    created = post(admin, "/api/v1/tokens", {"name": "ops"})
    assert created.status_code in (200, 201), created.content
    token = created.json()["token"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(BASE).status_code == 200
    assert client.get(f"{BASE}/999999").status_code == 404
    assert post(client, f"{BASE}/999999/reprocess").status_code == 404
    assert post(client, f"{BASE}/999999/discard").status_code == 404


def test_agents_download_the_original_of_a_message(clock, make):
    raw = fixture_bytes("lang_nb")
    result = services.ingest(raw, source="smtp")
    url = f"/api/v1/mail/messages/{result.message}/original"
    agent = Client()
    agent.force_login(make.agent("ingrid").user)
    response = agent.get(url)
    assert response.status_code == 200
    assert response.content == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{result.message}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert agent.get("/api/v1/mail/messages/999999/original").status_code == 404
    customer = Client()
    customer.force_login(make.customer("kari@kunde.example", with_login=True).user)
    assert customer.get(url).status_code == 403
    assert Client().get(url).status_code == 401
