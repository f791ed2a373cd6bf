"""A customer's requests in the portal: the knowledge base first ("did this answer your
question?"), then the request with its topic and files, the expected answer time from the SLA,
replies, and "ask for a manager" through the escalation engine."""

from __future__ import annotations

import re

import pytest

from escalade.escalation.models import EscalationRecord
from escalade.knowledge.demo import load_articles
from escalade.knowledge.models import Article
from escalade.tickets import services as tickets
from escalade.tickets.models import Ticket, TicketEvent
from tests.escalation.conftest import oslo
from tests.portal.conftest import client_for

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def help_centre():
    load_articles()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def text(response) -> str:
    return response.content.decode()


def words(response) -> str:
    """The page's text without tags (search results mark the matched words)."""
    return re.sub(r"<[^>]+>", "", text(response))


# --- search first, then ask -------------------------------------------------------------------


def test_the_request_form_starts_with_the_question(kari):
    page = text(client_for(kari).get("/portal/tickets/new/"))
    assert 'id="ask-form"' in page
    assert 'id="ticket-form"' not in page


def test_matching_articles_are_offered_before_the_form(kari, help_centre):
    response = client_for(kari).get("/portal/tickets/new/", {"subject": "faktura laste ned"})
    page = text(response)
    assert 'id="suggestions"' in page
    assert "Slik laster du ned fakturaene dine" in words(response)  # in Kari's language
    assert 'id="not-answered"' in page
    assert 'id="ticket-form"' not in page


def test_an_answered_question_counts_as_a_helpful_vote_and_opens_no_request(kari, help_centre):
    client = client_for(kari)
    article = Article.objects.get(slug="download-invoices")
    response = client.post(
        f"/portal/kb/articles/{article.pk}/vote/",
        {"helpful": "yes", "answered": "yes", "language": "nb"},
    )
    assert response["Location"] == "/portal/kb/answered/"
    article.refresh_from_db()
    assert article.helpful_count == 1
    assert not Ticket.objects.exists()


def test_no_matching_article_goes_straight_to_the_form(kari, help_centre):
    page = text(client_for(kari).get("/portal/tickets/new/", {"subject": "xyzzy plugh"}))
    assert 'id="ticket-form"' in page
    assert 'value="xyzzy plugh"' in page


def test_a_customer_submits_a_request_with_a_topic_and_a_file(kari, help_centre):
    client = client_for(kari)
    response = client.post(
        "/portal/tickets/new/?step=details",
        {
            "subject": "Kan ikke laste ned faktura",
            "body": "Nedlastingen starter ikke.",
            "category": "billing",
            "attachments": [upload("skjerm.png", PNG, "image/png")],
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.category, ticket.customer) == ("portal", "billing", kari)
    attachment = ticket.messages.get().attachments.get()
    assert (attachment.filename, attachment.content_type) == ("skjerm.png", "image/png")
    page = text(client.get(response["Location"]))
    assert "Kan ikke laste ned faktura" in page
    assert "skjerm.png" in page


def test_the_form_offers_the_knowledge_base_topics_in_the_customers_language(kari, help_centre):
    page = text(client_for(kari).get("/portal/tickets/new/", {"step": "details", "subject": "x"}))
    assert '<option value="billing">Faktura og betaling</option>' in page


def test_an_unknown_topic_is_refused(kari, help_centre):
    response = client_for(kari).post(
        "/portal/tickets/new/", {"subject": "x", "body": "y", "category": "made-up"}
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_description_is_required(kari):
    response = client_for(kari).post("/portal/tickets/new/", {"subject": "Hjelp", "body": " "})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in text(response)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.exe", b"MZ\x90\x00" + b"\x00" * 20),
        ("faktura.pdf", b"MZ\x90\x00 a program named like a PDF"),
        ("bilde.png", b"<html><script>alert(1)</script></html>"),
        ("side.html", b"<html><body>hei</body></html>"),
        ("tegning.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
        ("tom.txt", b""),
    ],
)
def test_dangerous_or_disguised_files_are_refused(kari, name, content):
    response = client_for(kari).post(
        "/portal/tickets/new/",
        {"subject": "Fil", "body": "Se vedlegg", "attachments": [upload(name, content)]},
    )
    assert response.status_code == 400
    assert name in text(response)
    assert not Ticket.objects.exists()


def test_at_most_five_files_at_a_time(kari):
    files = [upload(f"{n}.txt", b"hello") for n in range(6)]
    response = client_for(kari).post(
        "/portal/tickets/new/", {"subject": "Filer", "body": "Seks filer", "attachments": files}
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_too_many_requests_in_an_hour_are_refused(kari, settings, clock):
    settings.PORTAL_TICKET_LIMIT = 2
    client = client_for(kari)
    for n in range(2):
        client.post("/portal/tickets/new/", {"subject": f"Sak {n}", "body": "Hjelp"})
    response = client.post("/portal/tickets/new/", {"subject": "Sak 3", "body": "Hjelp"})
    assert response.status_code == 429
    assert Ticket.objects.count() == 2
    clock.advance(hours=1, seconds=1)
    client.post("/portal/tickets/new/", {"subject": "Sak 3", "body": "Hjelp"})
    assert Ticket.objects.count() == 3


# --- the request page -------------------------------------------------------------------------


@pytest.fixture
def vip_request(company, clock, kari, make):
    clock.set(oslo(2026, 11, 23, 10, 0))
    return make.ticket(
        kari,
        actor=make.actor(kari),
        subject="Dobbel belastning",
        body="Jeg ble belastet to ganger for fakturaen.",
        channel="portal",
    )


def test_the_customer_sees_when_to_expect_an_answer_from_the_sla(vip_request, kari, company):
    page = text(client_for(kari).get(f"/portal/tickets/{vip_request.pk}/"))
    # VIP: first response within one business hour in Oslo -> 11:00 Oslo time.
    assert 'data-state="reply_by"' in page
    assert "11:00" in page
    api = client_for(kari).get(f"/api/v1/portal/tickets/{vip_request.pk}/expectation").json()
    assert api["state"] == "reply_by"
    assert api["due_at"].startswith("2026-11-23T10:00:00")


def test_a_late_answer_is_admitted(vip_request, kari, clock, company):
    clock.advance(hours=2)
    page = text(client_for(kari).get(f"/portal/tickets/{vip_request.pk}/"))
    assert 'data-state="late"' in page


def test_the_new_request_form_shows_the_promised_answer_time(kari, company):
    page = text(client_for(kari).get("/portal/tickets/new/", {"step": "details", "subject": "x"}))
    assert 'id="expected-response"' in page
    assert "1 t 00 min" in page or "1 h 00 min" in page


def test_the_customer_replies_and_the_request_opens_again(vip_request, kari, company, make):
    agent = make.actor(company.people["ingrid"])
    tickets.add_message(
        agent, vip_request.pk, body_text="Har du kvitteringen?", set_status="pending"
    )
    client = client_for(kari)
    response = client.post(
        f"/portal/tickets/{vip_request.pk}/reply/",
        {"body": "Her er den.", "attachments": [upload("kvittering.pdf", b"%PDF-1.7 ...")]},
    )
    assert response["Location"] == f"/portal/tickets/{vip_request.pk}/"
    vip_request.refresh_from_db()
    assert vip_request.status == "open"
    last = vip_request.messages.last()
    assert (last.body_text, last.channel, last.author_customer) == ("Her er den.", "portal", kari)
    assert last.attachments.get().content_type == "application/pdf"


def test_replying_to_a_closed_request_opens_a_follow_up(vip_request, kari, company, make):
    agent = make.actor(company.people["ingrid"])
    tickets.add_message(agent, vip_request.pk, body_text="Refundert.", set_status="solved")
    tickets.update_ticket(agent, vip_request.pk, expected_version=None, status="closed")
    response = client_for(kari).post(
        f"/portal/tickets/{vip_request.pk}/reply/", {"body": "Det skjedde igjen."}
    )
    follow_up = Ticket.objects.get(follow_up_of=vip_request)
    assert response["Location"] == f"/portal/tickets/{follow_up.pk}/"


def test_too_many_replies_are_refused(vip_request, kari, settings, company):
    settings.PORTAL_MESSAGE_LIMIT = 2  # the request's first message counts too
    client = client_for(kari)
    client.post(f"/portal/tickets/{vip_request.pk}/reply/", {"body": "En"})
    response = client.post(f"/portal/tickets/{vip_request.pk}/reply/", {"body": "To"})
    assert [m.body_text for m in vip_request.messages.all()][-1] == "En"
    assert client.get(response["Location"]).context["messages"]


# --- ask for a manager ------------------------------------------------------------------------


def test_asking_for_a_manager_escalates_to_the_supervisor(vip_request, kari, company):
    client = client_for(kari)
    response = client.post(
        f"/portal/tickets/{vip_request.pk}/manager/",
        {"reason": "Dette er tredje gang, jeg vil snakke med en leder"},
    )
    assert response["Location"] == f"/portal/tickets/{vip_request.pk}/"
    record = EscalationRecord.objects.get(ticket=vip_request)
    assert (record.kind, record.trigger) == ("hierarchical", "customer_request")
    assert "tredje gang" in record.reason
    assert record.ack_required
    event = TicketEvent.objects.get(ticket=vip_request, kind="manager_requested")
    assert event.after == {"source": "portal"}
    assert event.actor_user == kari.user
    page = text(client.get(f"/portal/tickets/{vip_request.pk}/"))
    assert 'id="manager-state" data-state="pending"' in page
    assert 'id="manager-open"' not in page  # no second button while it waits


def test_asking_twice_changes_nothing(vip_request, kari, company):
    client = client_for(kari)
    for _ in range(2):
        client.post(f"/portal/tickets/{vip_request.pk}/manager/", {"reason": "Leder, takk"})
    assert EscalationRecord.objects.filter(ticket=vip_request).count() == 1


def test_a_reason_is_required(vip_request, kari, company):
    client = client_for(kari)
    client.post(f"/portal/tickets/{vip_request.pk}/manager/", {"reason": "  "})
    assert not EscalationRecord.objects.filter(ticket=vip_request).exists()


def test_no_manager_for_a_solved_request(vip_request, kari, company, make):
    agent = make.actor(company.people["ingrid"])
    tickets.add_message(agent, vip_request.pk, body_text="Løst.", set_status="solved")
    client = client_for(kari)
    assert 'id="manager-open"' not in text(client.get(f"/portal/tickets/{vip_request.pk}/"))
    client.post(f"/portal/tickets/{vip_request.pk}/manager/", {"reason": "Leder"})
    assert not EscalationRecord.objects.filter(ticket=vip_request).exists()


def test_the_page_says_when_a_manager_took_over(vip_request, kari, company, make):
    client = client_for(kari)
    client.post(f"/portal/tickets/{vip_request.pk}/manager/", {"reason": "Leder, takk"})
    record = EscalationRecord.objects.get(ticket=vip_request)
    from escalade.escalation import services as escalation

    escalation.acknowledge(make.actor(record.to_agent.agent_profile), vip_request.pk)
    page = text(client.get(f"/portal/tickets/{vip_request.pk}/"))
    assert 'data-state="taken"' in page


# --- the knowledge base pages ------------------------------------------------------------------


def test_the_knowledge_base_is_open_to_visitors(client, help_centre):
    home = text(client.get("/portal/", headers={"accept-language": "it"}))
    assert "Fatturazione e pagamenti" in home
    results = text(client.get("/portal/kb/", {"q": "如何下载发票"}))
    assert "<mark>下载</mark>" in results or "<mark>下载发票</mark>" in results
    article = Article.objects.get(slug="download-invoices")
    page = client.get(f"/portal/kb/articles/{article.pk}/download-invoices/?lang=pl")
    assert "Jak pobrać faktury" in text(page)
    assert re.search(r'hreflang="zh-hans"', text(page))


def test_internal_and_draft_articles_are_not_in_the_portal(client, help_centre, kari):
    internal = Article.objects.get(slug="refund-approval-limits")
    draft = Article.objects.get(slug="service-status")
    for visitor in (client, client_for(kari)):
        assert visitor.get(f"/portal/kb/articles/{internal.pk}/{internal.slug}/").status_code == 404
        assert visitor.get(f"/portal/kb/articles/{draft.pk}/{draft.slug}/").status_code == 404
        assert "Refund approval" not in text(visitor.get("/portal/kb/", {"q": "refund approval"}))


def test_agents_open_internal_articles_from_their_links(help_centre, make):
    internal = Article.objects.get(slug="refund-approval-limits")
    agent = client_for(make.agent("sam").user)
    page = agent.get(f"/portal/kb/articles/{internal.pk}/{internal.slug}/")
    assert page.status_code == 200
    assert "Refund approval limits" in text(page)


def test_a_visitor_votes_once_per_browser(client, help_centre):
    article = Article.objects.get(slug="charged-twice")
    client.get(f"/portal/kb/articles/{article.pk}/charged-twice/")
    for _ in range(3):
        client.post(f"/portal/kb/articles/{article.pk}/vote/", {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (0, 1)
    page = text(client.get(f"/portal/kb/articles/{article.pk}/charged-twice/"))
    assert 'id="vote-yes"' not in page


def test_links_in_plain_replies_are_clickable_and_nothing_else_becomes_html():
    from escalade.core.html import text_to_html
    from escalade.portal.selectors import message_html

    text = (
        "See https://help.example.test/portal/kb/articles/1/x/?lang=it\n\n<script>alert(1)</script>"
    )
    html = message_html(text, text_to_html(text))
    assert (
        '<a href="https://help.example.test/portal/kb/articles/1/x/?lang=it" rel="nofollow">'
        in html
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    stored = "<p><b>bold</b> https://example.test</p>"
    assert message_html("bold https://example.test", stored) == stored  # HTML mail: as stored
