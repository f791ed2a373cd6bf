"""The satisfaction survey: sent once when a ticket is solved (mail link and portal), answered
once, a low score flagged to the team's supervisor in the app; figures for the reports; and the
suggestion form."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from escalade.core.errors import Conflict
from escalade.escalation.models import Notification
from escalade.feedback import selectors, services
from escalade.feedback.models import Suggestion, Survey
from escalade.tickets import services as tickets
from escalade.tickets.models import TicketEvent
from tests.escalation.conftest import oslo
from tests.portal.conftest import client_for, mails_to

pytestmark = pytest.mark.django_db

SURVEY_LINK = re.compile(r"/portal/survey/([A-Za-z0-9_-]+)/")


@pytest.fixture
def solved(company, clock, kari, make):
    """Kari's request, answered and solved by Ingrid (who reports to Sofia)."""
    clock.set(oslo(2026, 11, 23, 10, 0))
    ticket = make.ticket(
        kari,
        actor=make.actor(kari),
        subject="Dobbel belastning",
        body="To trekk.",
        channel="portal",
    )
    ingrid = make.actor(company.people["ingrid"])
    tickets.update_ticket(ingrid, ticket.pk, expected_version=None, assignee="ingrid")
    clock.advance(minutes=20)
    tickets.add_message(ingrid, ticket.pk, body_text="Refundert.", set_status="solved")
    ticket.refresh_from_db()
    return ticket


def survey_token(address: str) -> str:
    mails = [m for m in mails_to(address) if m.dedupe_key.startswith("feedback:survey:")]
    assert len(mails) == 1, mails
    return SURVEY_LINK.search(mails[0].payload["text"]).group(1)


def test_solving_a_ticket_sends_the_survey_once(solved, kari, company, make):
    survey = Survey.objects.get(ticket=solved)
    assert survey.customer == kari
    assert survey.team == solved.team
    assert survey.assignee == solved.assignee
    assert survey.language == "nb"
    (mail,) = [m for m in mails_to(kari.email) if m.dedupe_key.startswith("feedback:survey:")]
    assert f"#{solved.pk}" in mail.payload["subject"]
    assert "?score=5" in mail.payload["text"]
    assert TicketEvent.objects.filter(ticket=solved, kind="survey_sent").count() == 1
    # Reopened and solved again: still one survey, one mail.
    tickets.add_message(make.actor(kari), solved.pk, body_text="Det kom et trekk til.")
    ingrid = make.actor(company.people["ingrid"])
    tickets.add_message(ingrid, solved.pk, body_text="Refundert igjen.", set_status="solved")
    assert Survey.objects.filter(ticket=solved).count() == 1
    survey_token(kari.email)


def test_only_the_token_hash_is_stored(solved, kari):
    token = survey_token(kari.email)
    assert Survey.objects.get().token_hash == services.hash_token(token)
    assert token not in Survey.objects.get().token_hash


def test_the_mailed_link_shows_the_form_and_a_score_in_it_only_preselects(solved, kari):
    token = survey_token(kari.email)
    page = Client().get(f"/portal/survey/{token}/?score=4")
    assert page.status_code == 200
    assert re.search(r'id="score-4"[^>]* checked', page.content.decode())
    assert not re.search(r'id="score-5"[^>]* checked', page.content.decode())
    assert Survey.objects.get().answered_at is None


def test_the_survey_is_answered_once_by_the_link(solved, kari):
    token = survey_token(kari.email)
    client = Client()
    response = client.post(f"/portal/survey/{token}/", {"score": "5", "comment": "Rask hjelp!"})
    assert response.status_code == 302
    survey = Survey.objects.get()
    assert (survey.score, survey.comment, survey.flagged) == (5, "Rask hjelp!", False)
    again = client.post(f"/portal/survey/{token}/", {"score": "1", "comment": "Ombestemt meg"})
    assert again.status_code == 400
    survey.refresh_from_db()
    assert survey.score == 5
    event = TicketEvent.objects.get(ticket=solved, kind="survey_answered")
    assert event.after == {"score": 5, "flagged": False}
    assert event.actor_user == kari.user


def test_the_survey_is_answered_once_in_the_portal(solved, kari):
    client = client_for(kari)
    page = client.get(f"/portal/tickets/{solved.pk}/").content.decode()
    assert 'id="survey"' in page
    client.post(f"/portal/tickets/{solved.pk}/survey/", {"score": "4", "comment": "Bra"})
    client.post(f"/portal/tickets/{solved.pk}/survey/", {"score": "2", "comment": "Nei"})
    survey = Survey.objects.get()
    assert (survey.score, survey.comment) == (4, "Bra")
    page = client.get(f"/portal/tickets/{solved.pk}/").content.decode()
    assert 'id="survey"' not in page
    assert 'id="survey-done"' in page
    # ...and the mailed link knows it too.
    token = survey_token(kari.email)
    assert "survey-done" in Client().get(f"/portal/survey/{token}/").content.decode()


def test_the_api_answers_once_and_then_says_conflict(solved, kari):
    client = client_for(kari)
    path = f"/api/v1/tickets/{solved.pk}/survey"
    first = client.post(path, json.dumps({"score": 3}), content_type="application/json")
    assert first.status_code == 201
    assert first.json()["score"] == 3
    second = client.post(path, json.dumps({"score": 5}), content_type="application/json")
    assert second.status_code == 409
    assert client.get(path).json()["score"] == 3


def test_two_answers_racing_one_wins(solved, kari):
    token = survey_token(kari.email)
    survey = Survey.objects.get()
    services.answer_by_token(token, score=5)
    with pytest.raises(Conflict):
        # A stale copy (read before the first answer) still loses: compare-and-set.
        services._answer(survey, services.FEEDBACK, 1, "")
    assert Survey.objects.get().score == 5


def test_a_score_must_be_one_to_five(solved, kari):
    token = survey_token(kari.email)
    for bad in ("0", "6", "", "five"):
        assert Client().post(f"/portal/survey/{token}/", {"score": bad}).status_code == 400
    assert Survey.objects.get().answered_at is None
    response = client_for(kari).post(
        f"/api/v1/tickets/{solved.pk}/survey",
        json.dumps({"score": 9}),
        content_type="application/json",
    )
    assert response.status_code == 422


def test_the_survey_closes_after_its_time(solved, kari, clock, settings):
    token = survey_token(kari.email)
    clock.advance(days=settings.SURVEY_TTL_DAYS, seconds=1)
    assert Client().post(f"/portal/survey/{token}/", {"score": "5"}).status_code == 400
    assert 'id="survey-closed"' in Client().get(f"/portal/survey/{token}/").content.decode()
    assert Survey.objects.get().answered_at is None


def test_a_wrong_link_is_not_found():
    assert Client().get("/portal/survey/nope/").status_code == 404
    assert Client().post("/portal/survey/nope/", {"score": "5"}).status_code == 404


def test_a_low_score_is_flagged_to_the_teams_supervisor(solved, kari, company):
    client_for(kari).post(
        f"/portal/tickets/{solved.pk}/survey/", {"score": "1", "comment": "Tok alt for lang tid"}
    )
    survey = Survey.objects.get()
    assert survey.flagged
    sofia = company.people["sofia"].user  # Ingrid's supervisor
    (notification,) = Notification.objects.filter(kind="csat_low")
    assert notification.recipient == sofia
    assert notification.ticket == solved
    assert "1/5" in notification.title
    assert notification.body == "Tok alt for lang tid"


def test_a_good_score_bothers_nobody(solved, kari):
    client_for(kari).post(f"/portal/tickets/{solved.pk}/survey/", {"score": "4"})
    assert not Notification.objects.filter(kind="csat_low").exists()


def test_only_the_customer_who_asked_answers(solved, kari, ole, giulia):
    path = f"/portal/tickets/{solved.pk}/survey/"
    assert client_for(giulia).post(path, {"score": "1"}).status_code == 404  # another company
    client_for(kari).get("/")  # Kari is Ole's organisation admin, but Ole...
    assert client_for(ole).post(path, {"score": "1"}).status_code == 404  # ...sees only his own
    assert Survey.objects.get().answered_at is None


def test_an_organisation_admin_does_not_answer_a_colleagues_survey(
    company,
    clock,
    kari,
    ole,
    make,
):
    ticket = make.ticket(ole, actor=make.actor(ole), subject="Oles sak", channel="portal")
    tickets.add_message(
        make.actor(company.people["ingrid"]), ticket.pk, body_text="Løst.", set_status="solved"
    )
    response = client_for(kari).post(f"/portal/tickets/{ticket.pk}/survey/", {"score": "1"})
    assert response.status_code == 302  # she may see the page, not answer for Ole
    assert Survey.objects.get(ticket=ticket).answered_at is None


def test_csat_figures_for_the_reports(company, clock, make):
    ingrid = make.actor(company.people["ingrid"])
    for score in (5, 4, 2, None):
        customer = make.customer(with_login=True)
        ticket = make.ticket(customer, actor=make.actor(customer), channel="portal")
        tickets.add_message(ingrid, ticket.pk, body_text="Løst.", set_status="solved")
        if score is not None:
            services.answer_for_ticket(make.actor(customer), ticket.pk, score=score)
    summary = selectors.csat_summary()
    assert (summary.sent, summary.answered, summary.flagged) == (4, 3, 1)
    assert summary.average == round(11 / 3, 2)
    assert summary.satisfied_percent == round(200 / 3, 1)
    assert summary.response_rate == 75.0
    assert summary.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}

    supervisor = client_for(company.people["sofia"].user)
    body = supervisor.get("/api/v1/feedback/csat").json()
    assert body["answered"] == 3
    assert body["distribution"]["2"] == 1
    assert client_for(company.people["ingrid"].user).get("/api/v1/feedback/csat").status_code == 403


# --- suggestions ------------------------------------------------------------------------------


def test_a_customer_sends_a_suggestion(kari, company):
    client = client_for(kari)
    assert client.get("/portal/feedback/").status_code == 200
    response = client.post("/portal/feedback/", {"kind": "idea", "text": "Mørk modus, takk!"})
    assert response.status_code == 302
    suggestion = Suggestion.objects.get()
    assert (suggestion.customer, suggestion.kind, suggestion.language) == (kari, "idea", "nb")
    agent = client_for(company.people["ingrid"].user)
    assert agent.get("/api/v1/feedback/suggestions").json()[0]["text"] == "Mørk modus, takk!"


def test_suggestions_need_a_signed_in_customer_and_are_rate_limited(kari):
    response = Client().post("/portal/feedback/", {"text": "Spam"})
    assert response.status_code == 302
    assert "/portal/signin/" in response["Location"]
    client = client_for(kari)
    for n in range(services.SUGGESTION_LIMIT):
        client.post("/portal/feedback/", {"kind": "idea", "text": f"Idé {n}"})
    assert client.post("/portal/feedback/", {"text": "En til"}).status_code == 429
    assert Suggestion.objects.count() == services.SUGGESTION_LIMIT
