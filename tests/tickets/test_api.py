"""The tickets API: CRUD, filters, pagination, role rules and bad input."""

import base64
import json

import pytest
from django.test import Client

from escalade.accounts import services as accounts
from escalade.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, path: str, body: dict, **headers):
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers=headers
    )


def patch(client: Client, path: str, body: dict):
    return client.patch(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def agent(make):
    return make.agent("ada", teams=[make.team("support-en")])


@pytest.fixture
def agent_client(agent):
    return client_for(agent.user)


def test_anonymous_requests_are_refused(make):
    make.ticket()
    response = Client().get("/api/v1/tickets")
    assert response.status_code == 401


def test_an_agent_opens_a_ticket_for_a_customer_by_email(agent_client, make):
    make.team("billing-l1")
    response = post(
        agent_client,
        "/api/v1/tickets",
        {
            "subject": "Dobbel belastning",
            "body": "Jeg ble belastet to ganger.",
            "customer_email": "Kari@Fjord.no",
            "channel": "phone",
            "priority": "high",
            "team": "billing-l1",
            "tags": ["VIP"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == "Dobbel belastning"
    assert body["customer"]["email"] == "kari@fjord.no"
    assert body["team"]["slug"] == "billing-l1"
    assert body["tags"] == ["vip"]
    assert body["priority"] == "high"
    assert body["channel"] == "phone"
    assert body["version"] == 1
    assert Ticket.objects.filter(pk=body["id"]).exists()


def test_list_filters_search_sort_and_paginate(agent_client, make, clock):
    billing = make.team("billing-l1")
    customer = make.customer("zofia@firma.pl", name="Zofia Wiśniewska")
    expected = []
    for index in range(7):
        clock.advance(minutes=1)
        expected.append(
            make.ticket(
                customer,
                subject=f"Faktura {index}",
                team=billing,
                priority="high" if index % 2 else "low",
            ).pk
        )
    make.ticket(subject="Unrelated")

    response = agent_client.get(
        "/api/v1/tickets",
        {"team": "billing-l1", "priority": "high", "sort": "created", "page_size": 2},
    )
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 3
    assert body["pages"] == 2
    assert [t["id"] for t in body["items"]] == [expected[1], expected[3]]
    page2 = agent_client.get(
        "/api/v1/tickets",
        {"team": "billing-l1", "priority": "high", "sort": "created", "page_size": 2, "page": 2},
    ).json()
    assert [t["id"] for t in page2["items"]] == [expected[5]]

    by_customer = agent_client.get("/api/v1/tickets", {"q": "wiśniewska"}).json()
    assert by_customer["count"] == 7
    by_number = agent_client.get("/api/v1/tickets", {"q": f"#{expected[0]}"}).json()
    assert [t["id"] for t in by_number["items"]] == [expected[0]]
    newest_first = agent_client.get(
        "/api/v1/tickets", {"customer": customer.pk, "sort": "-created"}
    ).json()
    assert newest_first["items"][0]["id"] == expected[-1]


def test_filters_by_status_assignee_channel_and_tag(agent_client, agent, make):
    mine = make.ticket(channel="chat", tags=["outage"], assignee="ada")
    make.ticket(channel="email")
    assert [
        t["id"] for t in agent_client.get("/api/v1/tickets", {"assignee": "me"}).json()["items"]
    ] == [mine.pk]
    assert [
        t["id"] for t in agent_client.get("/api/v1/tickets", {"channel": "chat"}).json()["items"]
    ] == [mine.pk]
    assert [
        t["id"] for t in agent_client.get("/api/v1/tickets", {"tag": "outage"}).json()["items"]
    ] == [mine.pk]
    assert [
        t["id"] for t in agent_client.get("/api/v1/tickets", {"status": "open"}).json()["items"]
    ] != []
    assert agent_client.get("/api/v1/tickets", {"status": "solved"}).json()["count"] == 0
    assert agent_client.get("/api/v1/tickets", {"assignee": "none"}).json()["count"] == 1


def test_patch_with_a_stale_version_is_409_and_changes_nothing(agent_client, make):
    ticket = make.ticket()
    first = patch(
        agent_client, f"/api/v1/tickets/{ticket.pk}", {"version": 1, "priority": "urgent"}
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = patch(agent_client, f"/api/v1/tickets/{ticket.pk}", {"version": 1, "priority": "low"})
    assert stale.status_code == 409
    assert "version" in stale.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"


def test_messages_thread_and_audit_trail(agent_client, make):
    ticket = make.ticket()
    reply = post(
        agent_client,
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"body": "Vi ser på det", "set_status": "pending"},
    )
    assert reply.status_code == 201
    assert reply.json()["author"]["type"] == "agent"
    note = post(
        agent_client,
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"body": "internal", "kind": "internal"},
    )
    assert note.status_code == 201
    thread = agent_client.get(f"/api/v1/tickets/{ticket.pk}/messages").json()
    assert [m["kind"] for m in thread] == ["public", "public", "internal"]
    events = agent_client.get(f"/api/v1/tickets/{ticket.pk}/events").json()
    assert [e["kind"] for e in events] == [
        "created",
        "message_public",
        "message_internal",
    ]
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"


def test_customer_a_cannot_see_customer_bs_ticket(make):
    alice = make.customer(with_login=True)
    bob = make.customer(with_login=True)
    alices = make.ticket(alice, subject="Alice's invoice")
    bob_client = client_for(bob.user)

    assert bob_client.get(f"/api/v1/tickets/{alices.pk}").status_code == 404
    assert bob_client.get(f"/api/v1/tickets/{alices.pk}/messages").status_code == 404
    assert (
        post(bob_client, f"/api/v1/tickets/{alices.pk}/messages", {"body": "mine now"}).status_code
        == 404
    )
    assert bob_client.get("/api/v1/tickets").json()["count"] == 0
    # guessing ids does not help either
    for guess in range(alices.pk - 2, alices.pk + 3):
        assert bob_client.get(f"/api/v1/tickets/{guess}").status_code == 404
    assert alices.messages.count() == 1


def test_a_customer_sees_and_replies_to_their_own_ticket_but_not_internal_notes(make, agent_client):
    alice = make.customer(with_login=True)
    ticket = make.ticket(alice)
    post(
        agent_client,
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"body": "secret note", "kind": "internal"},
    )
    alice_client = client_for(alice.user)

    thread = alice_client.get(f"/api/v1/tickets/{ticket.pk}/messages").json()
    assert all(m["kind"] == "public" for m in thread)
    assert alice_client.get(f"/api/v1/tickets/{ticket.pk}/events").status_code == 403
    assert (
        post(
            alice_client, f"/api/v1/tickets/{ticket.pk}/messages", {"body": "more info"}
        ).status_code
        == 201
    )
    assert (
        post(
            alice_client, f"/api/v1/tickets/{ticket.pk}/messages", {"body": "x", "kind": "internal"}
        ).status_code
        == 403
    )
    assert (
        patch(
            alice_client, f"/api/v1/tickets/{ticket.pk}", {"version": 1, "priority": "urgent"}
        ).status_code
        == 403
    )


def test_a_customer_opens_a_ticket_only_for_themselves(make):
    alice = make.customer(with_login=True)
    bob = make.customer()
    client = client_for(alice.user)
    own = post(client, "/api/v1/tickets", {"subject": "Help", "body": "please"})
    assert own.status_code == 201
    assert own.json()["customer"]["id"] == alice.pk
    other = post(
        client, "/api/v1/tickets", {"subject": "Help", "body": "please", "customer_id": bob.pk}
    )
    assert other.status_code == 403
    assert (
        post(
            client, "/api/v1/tickets", {"subject": "Help", "body": "x", "team": "billing"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "no subject", "customer_email": "a@b.no"}, "subject"),
        ({"subject": "", "customer_email": "a@b.no"}, "subject"),
        ({"subject": "x" * 501, "customer_email": "a@b.no"}, "subject"),
        ({"subject": "ok", "customer_email": "a@b.no", "priority": "critical"}, "priority"),
        ({"subject": "ok", "customer_email": "a@b.no", "channel": "fax"}, "channel"),
        ({"subject": "ok", "customer_email": "not-an-email"}, "customer_email"),
        ({"subject": "ok"}, "customer"),
        ({"subject": "ok", "customer_email": "a@b.no", "team": "no-such-team"}, "team"),
        ({"subject": "ok", "customer_email": "a@b.no", "assignee": "ghost"}, "assignee"),
        ({"subject": "ok", "customer_email": "a@b.no", "tags": ["has space"]}, "tags"),
        (
            {
                "subject": "ok",
                "customer_email": "a@b.no",
                "attachments": [{"filename": "a.txt", "content_base64": "%%%"}],
            },
            "attachments.0.content_base64",
        ),
    ],
)
def test_bad_payloads_get_4xx_naming_the_field(agent_client, payload, field):
    response = post(agent_client, "/api/v1/tickets", payload)
    assert 400 <= response.status_code < 500
    body = response.json()
    named = body.get("field") or ",".join(e["field"] for e in body.get("errors", []))
    assert field in named, body
    assert field in body["detail"] or field.split(".")[0] in body["detail"]
    assert Ticket.objects.count() == 0


def test_malformed_json_is_a_4xx_not_a_500(agent_client):
    response = agent_client.post(
        "/api/v1/tickets", data="{not json", content_type="application/json"
    )
    assert 400 <= response.status_code < 500


def test_unicode_round_trips_through_the_api(agent_client):
    payload = {
        "subject": "发票无法下载 — Zażółć gęślą jaźń",
        "body": "Iğdır'da ödeme; blåbær",
        "customer_email": "wang.fang@例子.cn".replace("例子", "lizi"),
        "customer_name": "王芳",
        "category": "fatura",
        "tags": ["发票", "ødeme"],
    }
    created = post(agent_client, "/api/v1/tickets", payload).json()
    fetched = agent_client.get(f"/api/v1/tickets/{created['id']}").json()
    assert fetched["subject"] == payload["subject"]
    assert fetched["customer"]["name"] == "王芳"
    assert fetched["tags"] == ["发票", "ødeme"]
    assert (
        agent_client.get(f"/api/v1/tickets/{created['id']}/messages").json()[0]["body_text"]
        == payload["body"]
    )


def test_idempotency_key_replays_return_the_first_ticket(agent_client):
    body = {"subject": "Once only", "customer_email": "once@example.test"}
    first = post(agent_client, "/api/v1/tickets", body, **{"Idempotency-Key": "abc-123"})
    second = post(agent_client, "/api/v1/tickets", body, **{"Idempotency-Key": "abc-123"})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Ticket.objects.count() == 1
    different = post(
        agent_client,
        "/api/v1/tickets",
        {**body, "subject": "Other"},
        **{"Idempotency-Key": "abc-123"},
    )
    assert different.status_code == 409


def test_attachments_upload_and_download_with_safe_headers(agent_client, make):
    ticket = make.ticket()
    content = "Zażółć".encode()
    created = post(
        agent_client,
        f"/api/v1/tickets/{ticket.pk}/messages",
        {
            "body": "file",
            "attachments": [
                {
                    "filename": "notatka.txt",
                    "content_type": "text/plain",
                    "content_base64": base64.b64encode(content).decode(),
                }
            ],
        },
    )
    assert created.status_code == 201
    url = created.json()["attachments"][0]["url"]
    download = agent_client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(agent, agent_client):
    created = post(agent_client, "/api/v1/tokens", {"name": "script"})
    assert created.status_code == 201
    secret = created.json()["token"]
    assert not agent.user.api_tokens.filter(token_hash=secret).exists()
    assert secret not in json.dumps(agent_client.get("/api/v1/tokens").json())

    bearer = Client(headers={"Authorization": f"Bearer {secret}"})
    assert bearer.get("/api/v1/me").json()["username"] == "ada"
    assert (
        Client(headers={"Authorization": "Bearer esc_wrong"}).get("/api/v1/me").status_code == 401
    )

    assert agent_client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204
    assert bearer.get("/api/v1/me").status_code == 401


def test_agents_cannot_change_configuration_but_admins_can(agent_client, make):
    admin = make.agent("root", role="admin")
    denied = post(agent_client, "/api/v1/teams", {"slug": "finance", "name": "Finance"})
    assert denied.status_code == 403
    assert post(agent_client, "/api/v1/organisations", {"name": "ACME"}).status_code == 403
    assert (
        post(agent_client, "/api/v1/agents", {"username": "x", "email": "x@y.z"}).status_code == 403
    )
    allowed = post(
        client_for(admin.user),
        "/api/v1/teams",
        {"slug": "finance", "name": "Finance", "function": "billing", "tier_level": 2},
    )
    assert allowed.status_code == 201
    assert allowed.json()["tier_level"] == 2


def test_an_agent_can_set_only_their_own_availability(agent, agent_client, make):
    other = make.agent("bob")
    assert (
        patch(agent_client, f"/api/v1/agents/{agent.user_id}", {"availability": "online"}).json()[
            "availability"
        ]
        == "online"
    )
    assert (
        patch(agent_client, f"/api/v1/agents/{agent.user_id}", {"capacity": 500}).status_code == 403
    )
    assert (
        patch(
            agent_client, f"/api/v1/agents/{other.user_id}", {"availability": "online"}
        ).status_code
        == 403
    )


def test_an_agent_sets_their_own_time_zone_and_a_wrong_one_is_named(agent, agent_client, make):
    other = make.agent("bob")
    mine = f"/api/v1/agents/{agent.user_id}"
    assert patch(agent_client, mine, {"time_zone": "Europe/Istanbul"}).json()["time_zone"] == (
        "Europe/Istanbul"
    )
    wrong = patch(agent_client, mine, {"time_zone": "Europe/Atlantis"})
    assert wrong.status_code == 422
    assert "Europe/Atlantis" in wrong.json()["detail"]
    assert patch(agent_client, mine, {"time_zone": ""}).json()["time_zone"] == ""
    theirs = f"/api/v1/agents/{other.user_id}"
    assert patch(agent_client, theirs, {"time_zone": "UTC"}).status_code == 403


def test_customers_organisations_teams_and_agents_listings(agent_client, make):
    org = make.organisation("Fjordkraft", tier="vip", domains=["fjord.no"])
    accounts.create_customer(make.actor(make.agent()), name="Kari", email="kari@fjord.no")
    customers = agent_client.get("/api/v1/customers", {"q": "kari"}).json()
    assert customers[0]["organisation_id"] == org.pk
    assert any(o["tier"] == "vip" for o in agent_client.get("/api/v1/organisations").json())
    assert [t["slug"] for t in agent_client.get("/api/v1/teams").json()] == ["support-en"]
    agents = {a["username"]: a for a in agent_client.get("/api/v1/agents").json()}
    assert agents["ada"]["teams"] == ["support-en"]
    assert agents["ada"]["open_tickets"] == 0


def test_the_openapi_document_is_served(agent_client):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/tickets" in paths
    assert "/api/v1/tickets/{ticket_id}/messages" in paths
