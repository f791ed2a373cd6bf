"""End to end over HTTP against `escalade serve`, as a newcomer would use it."""

import re

import httpx

DEMO_PASSWORD = "escalade-demo"


def sign_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
    client.get("/login/")
    response = client.post(
        "/login/",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 302, response.text[:500]
    return client


def test_loaddemo_prints_the_logins_and_the_api_lists_the_demo_tickets(server):
    assert "ingrid" in server.loaddemo_output
    assert DEMO_PASSWORD in server.loaddemo_output
    browser = sign_in(server.url, "ingrid")
    created = browser.post(
        "/api/v1/tokens",
        json={"name": "e2e"},
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]

    api = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    listing = api.get("/api/v1/tickets", params={"page_size": 200}).json()
    assert listing["count"] >= 30
    languages = {ticket["language"] for ticket in listing["items"]}
    assert {"nb", "tr", "it", "pl", "zh-hans", "en"} <= languages
    assert {ticket["channel"] for ticket in listing["items"]} >= {
        "email",
        "chat",
        "phone",
        "portal",
    }
    assert api.get("/api/v1/tickets", params={"q": "Dobbel"}).json()["count"] >= 1
    assert httpx.get(f"{server.url}/api/v1/tickets").status_code == 401


def test_a_newcomer_signs_in_sees_the_queue_replies_and_reads_the_audit_trail(server):
    browser = sign_in(server.url, "ingrid")
    queue = browser.get("/queue/", params={"view": "all"})
    assert queue.status_code == 200
    page = queue.text
    assert re.search(r"[æøå]", page), "Norwegian tickets should be in the queue"
    assert re.search(r"[\u4e00-\u9fff]", page), "Chinese tickets should be in the queue"
    ticket_id = re.search(r'href="/tickets/(\d+)/"', page).group(1)

    ticket_page = browser.get(f"/tickets/{ticket_id}/").text
    version = re.search(r'name="version" value="(\d+)"', ticket_page).group(1)
    reply = browser.post(
        f"/tickets/{ticket_id}/reply/",
        data={
            "body": "Hei! Vi ser på saken nå.",
            "kind": "public",
            "version": version,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
    )
    assert reply.status_code == 302
    after = browser.get(f"/tickets/{ticket_id}/").text
    assert "Hei! Vi ser på saken nå." in after
    assert "message_public" in after
    assert "ingrid" in after


def test_static_assets_and_openapi_are_served(server):
    assert httpx.get(f"{server.url}/static/escalade/app.css").status_code == 200
    assert httpx.get(f"{server.url}/static/escalade/vendor/htmx.min.js").status_code == 200
    assert "/api/v1/tickets" in httpx.get(f"{server.url}/api/v1/openapi.json").json()["paths"]
