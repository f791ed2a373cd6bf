"""Who sees what: a customer only ever sees, answers and escalates their own requests — in the
portal and in the API, by link or by guessing numbers; an organisation admin also sees their
colleagues' requests, read-only; internal notes never reach a customer."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from escalade.core.actors import SYSTEM
from escalade.escalation.models import EscalationRecord
from escalade.feedback.models import Survey
from escalade.tickets import services as tickets
from escalade.tickets.models import Message, Ticket
from escalade.tickets.services import NewAttachment
from tests.portal.conftest import client_for

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def open_request(make, customer, subject="Dobbel belastning", **fields) -> Ticket:
    return make.ticket(
        customer, actor=make.actor(customer), subject=subject, channel="portal", **fields
    )


@pytest.fixture
def two_customers(make, kari, giulia):
    """Kari and Giulia (other companies), each with a request; Giulia's has a file and is solved."""
    karis = open_request(make, kari, subject="Kari's request")
    giulias = tickets.create_ticket(
        make.actor(giulia),
        subject="Fattura doppia",
        body_text="Mi avete addebitato due volte.",
        channel="portal",
        attachments=[NewAttachment("ricevuta.png", PNG, "image/png")],
    )
    agent = make.actor(make.agent("sam"))
    tickets.add_message(agent, giulias.pk, body_text="Ci pensiamo noi.", set_status="solved")
    return karis, giulias


def post(client: Client, path: str, data: dict | None = None):
    return client.post(path, data or {})


def api_post(client: Client, path: str, body: dict):
    return client.post(path, json.dumps(body), content_type="application/json")


PORTAL_PAGES = ["/portal/tickets/{id}/"]
PORTAL_ACTIONS = [
    ("/portal/tickets/{id}/reply/", {"body": "Hei!"}),
    ("/portal/tickets/{id}/manager/", {"reason": "Jeg vil snakke med en leder"}),
    ("/portal/tickets/{id}/survey/", {"score": "1", "comment": "Ikke min sak"}),
]
API_READS = [
    "/api/v1/tickets/{id}",
    "/api/v1/tickets/{id}/messages",
    "/api/v1/tickets/{id}/survey",
    "/api/v1/portal/tickets/{id}/expectation",
]
API_WRITES = [
    ("/api/v1/tickets/{id}/messages", {"body": "Hei!"}),
    ("/api/v1/tickets/{id}/request-manager", {"reason": "Jeg vil snakke med en leder"}),
    ("/api/v1/tickets/{id}/survey", {"score": 1, "comment": "Ikke min sak"}),
]


def test_a_customer_cannot_see_another_customers_request(two_customers, kari):
    _karis, giulias = two_customers
    client = client_for(kari)
    for page in PORTAL_PAGES:
        assert client.get(page.format(id=giulias.pk)).status_code == 404
    for path in API_READS:
        assert client.get(path.format(id=giulias.pk)).status_code == 404, path
    listed = client.get("/portal/tickets/?state=all").content.decode()
    assert "Fattura doppia" not in listed


def test_a_customer_cannot_reply_to_escalate_or_rate_another_customers_request(two_customers, kari):
    _karis, giulias = two_customers
    messages_before = Message.objects.count()
    client = client_for(kari)
    for path, data in PORTAL_ACTIONS:
        assert post(client, path.format(id=giulias.pk), data).status_code == 404, path
    for path, body in API_WRITES:
        assert api_post(client, path.format(id=giulias.pk), body).status_code == 404, path
    assert Message.objects.count() == messages_before
    assert not EscalationRecord.objects.filter(ticket=giulias).exists()
    assert not Survey.objects.filter(ticket=giulias, answered_at__isnull=False).exists()


def test_guessing_numbers_finds_nothing_but_ones_own(two_customers, kari, make):
    karis, _giulias = two_customers
    others = [open_request(make, make.customer(with_login=True)) for _ in range(3)]
    client = client_for(kari)
    highest = max(t.pk for t in others) + 3
    for number in range(1, highest):
        expected = 200 if number == karis.pk else 404
        assert client.get(f"/portal/tickets/{number}/").status_code == expected, number
        assert client.get(f"/api/v1/tickets/{number}").status_code == expected, number
        if number != karis.pk:
            assert (
                post(client, f"/portal/tickets/{number}/reply/", {"body": "x"}).status_code == 404
            )
            assert (
                post(client, f"/portal/tickets/{number}/manager/", {"reason": "x"}).status_code
                == 404
            )


def test_a_customer_cannot_download_another_customers_attachment(two_customers, kari, giulia):
    _karis, giulias = two_customers
    attachment = giulias.messages.first().attachments.get()
    url = f"/api/v1/tickets/attachments/{attachment.pk}"
    assert client_for(kari).get(url).status_code == 404
    response = client_for(giulia).get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("attachment")


def test_an_organisation_admin_sees_the_colleagues_requests_read_only(make, kari, ole, giulia):
    oles = open_request(make, ole, subject="Oles faktura")
    open_request(make, giulia, subject="Fattura doppia")
    client = client_for(kari)
    listed = client.get("/portal/tickets/?scope=organisation&state=all").content.decode()
    assert "Oles faktura" in listed
    assert "Fattura doppia" not in listed
    assert "Oles faktura" not in client.get("/portal/tickets/").content.decode()  # "mine"
    page = client.get(f"/portal/tickets/{oles.pk}/")
    assert page.status_code == 200
    assert 'id="reply-form"' not in page.content.decode()
    assert 'id="manager"' not in page.content.decode()
    before = Message.objects.filter(ticket=oles).count()
    response = post(client, f"/portal/tickets/{oles.pk}/reply/", {"body": "Jeg svarer for Ole"})
    assert response.status_code == 302
    assert Message.objects.filter(ticket=oles).count() == before
    post(client, f"/portal/tickets/{oles.pk}/manager/", {"reason": "Leder, takk"})
    assert not EscalationRecord.objects.filter(ticket=oles).exists()


def test_a_colleague_who_is_not_an_admin_sees_only_their_own(make, kari, ole):
    karis = open_request(make, kari, subject="Karis sak")
    client = client_for(ole)
    assert client.get(f"/portal/tickets/{karis.pk}/").status_code == 404
    listed = client.get("/portal/tickets/?scope=organisation&state=all").content.decode()
    assert "Karis sak" not in listed


def test_internal_notes_never_reach_the_customer(make, kari):
    ticket = open_request(make, kari)
    agent = make.actor(make.agent("sam"))
    tickets.add_message(agent, ticket.pk, body_text="Kunden er VIP, vær rask", kind="internal")
    tickets.add_message(agent, ticket.pk, body_text="Vi ser på det nå.")
    page = client_for(kari).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Vi ser på det nå." in page
    assert "Kunden er VIP" not in page
    api = client_for(kari).get(f"/api/v1/tickets/{ticket.pk}/messages").json()
    assert [m["kind"] for m in api] == ["public", "public"]


def test_visitors_are_sent_to_sign_in(make, kari):
    ticket = open_request(make, kari)
    for path in ("/portal/tickets/", f"/portal/tickets/{ticket.pk}/", "/portal/tickets/new/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/signin/?next=")
    assert Client().post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "x"}).status_code == 302
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_agents_are_sent_to_their_workspace(make):
    agent = make.agent("sam")
    response = client_for(agent.user).get("/portal/tickets/")
    assert response.status_code == 302
    assert response["Location"] == "/queue/"


def test_customers_are_kept_out_of_the_agents_pages(kari):
    client = client_for(kari)
    for page in ("/queue/", "/kb/picker/?q=faktura"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == "/portal/", page
    assert client.get("/api/v1/feedback/csat").status_code == 403
    assert client.get("/api/v1/feedback/suggestions").status_code == 403


def test_customers_cannot_choose_who_handles_their_request(kari):
    client = client_for(kari)
    response = api_post(
        client, "/api/v1/tickets", {"subject": "x", "body": "y", "team": "billing-l2"}
    )
    assert response.status_code in (403, 422)
    assert not Ticket.objects.filter(subject="x").exists()


def test_system_created_requests_of_a_customer_show_in_their_list(make, kari):
    make.ticket(kari, actor=SYSTEM, subject="Fra e-post", channel="email")
    assert "Fra e-post" in client_for(kari).get("/portal/tickets/").content.decode()
