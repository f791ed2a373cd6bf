"""The agent workspace pages: who may open them and what they show."""

import pytest
from django.test import Client

from escalade.tickets.models import Ticket
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make):
    return make.agent("ada", teams=[make.team("support-pl")])


@pytest.fixture
def browser(agent):
    client = Client(enforce_csrf_checks=True)
    response = client.get("/login/")
    token = response.cookies["csrftoken"].value
    signed_in = client.post(
        "/login/", {"username": "ada", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert signed_in.status_code == 302
    return client


def csrf(client: Client) -> str:
    return client.cookies["csrftoken"].value


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get("/queue/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_customer_session_cannot_open_the_agent_workspace(make):
    customer = make.customer(with_login=True)
    ticket = make.ticket(customer)
    client = Client()
    client.force_login(customer.user)
    assert client.get("/queue/")["Location"] == "/portal/"
    assert client.get(f"/tickets/{ticket.pk}/")["Location"] == "/portal/"
    assert client.post(f"/tickets/{ticket.pk}/reply/", {"body": "x"}).status_code == 403
    assert client.get("/admin/").status_code == 302  # Django admin: staff only, back to its login


def test_an_agent_cannot_open_admin_pages(agent):
    client = Client()
    client.force_login(agent.user)
    response = client.get("/admin/accounts/team/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_queue_lists_tickets_in_their_languages_with_filters(browser, make):
    make.ticket(subject="Płatność pobrana dwukrotnie", priority="urgent", team="support-pl")
    make.ticket(subject="发票无法下载")
    all_view = browser.get("/queue/?view=all").content.decode()
    assert "Płatność pobrana dwukrotnie" in all_view
    assert "发票无法下载" in all_view
    teams_view = browser.get("/queue/?view=teams").content.decode()
    assert "Płatność" in teams_view
    assert "发票" not in teams_view
    searched = browser.get("/queue/?view=all&q=发票").content.decode()
    assert "发票无法下载" in searched
    assert "Płatność" not in searched


def test_a_reply_from_the_ticket_page_lands_in_the_thread_and_the_audit_trail(browser, make):
    ticket = make.ticket(subject="Login problem")
    page = browser.get(f"/tickets/{ticket.pk}/")
    assert page.status_code == 200
    assert "Login problem" in page.content.decode()
    response = browser.post(
        f"/tickets/{ticket.pk}/reply/",
        {
            "body": "Dzień dobry, sprawdzamy.",
            "kind": "public",
            "version": "1",
            "csrfmiddlewaretoken": csrf(browser),
        },
    )
    assert response.status_code == 302
    page = browser.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Dzień dobry, sprawdzamy." in page
    assert "message_public" in page
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_a_form_post_without_csrf_token_is_refused(browser, make):
    ticket = make.ticket()
    response = browser.post(f"/tickets/{ticket.pk}/reply/", {"body": "x", "version": "1"})
    assert response.status_code == 403
    assert ticket.messages.count() == 1


def test_a_stale_form_shows_the_conflict_instead_of_overwriting(browser, make, agent):
    ticket = make.ticket()
    browser.post(
        f"/tickets/{ticket.pk}/update/",
        {"priority": "high", "version": "1", "csrfmiddlewaretoken": csrf(browser)},
    )
    browser.post(
        f"/tickets/{ticket.pk}/update/",
        {"priority": "low", "version": "1", "csrfmiddlewaretoken": csrf(browser)},
    )
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"
    page = browser.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "reload and try again" in page


def test_sign_in_is_rate_limited(agent, settings):
    settings.LOGIN_RATE_LIMIT = 3
    client = Client()
    for _ in range(3):
        assert client.post("/login/", {"username": "ada", "password": "wrong"}).status_code == 400
    blocked = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_language_switch_translates_the_workspace(browser, agent):
    browser.post(
        "/preferences/",
        {"ui_language": "pl", "next": "/queue/", "csrfmiddlewaretoken": csrf(browser)},
    )
    agent.refresh_from_db()
    assert agent.ui_language == "pl"
    page = browser.get("/queue/")
    assert page.status_code == 200
    assert 'lang="pl"' in page.content.decode()


def test_an_agent_sees_times_in_their_own_time_zone(browser, agent, make):
    from zoneinfo import ZoneInfo

    ticket = make.ticket()
    opened = ticket.messages.get().created_at
    page = browser.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'datetime="{opened.astimezone(ZoneInfo("UTC")).isoformat()}"' in page

    browser.post(
        "/preferences/",
        {"time_zone": "Asia/Shanghai", "next": "/queue/", "csrfmiddlewaretoken": csrf(browser)},
    )
    agent.refresh_from_db()
    assert agent.time_zone == "Asia/Shanghai"
    page = browser.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'datetime="{opened.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()}"' in page
    assert 'value="Asia/Shanghai"' in page

    refused = browser.post(
        "/preferences/",
        {"time_zone": "Mars/Olympus", "next": "/queue/", "csrfmiddlewaretoken": csrf(browser)},
        follow=True,
    )
    assert "Mars/Olympus" in refused.content.decode()
    agent.refresh_from_db()
    assert agent.time_zone == "Asia/Shanghai"

    browser.post(
        "/preferences/",
        {"time_zone": "", "next": "/queue/", "csrfmiddlewaretoken": csrf(browser)},
    )
    agent.refresh_from_db()
    assert agent.time_zone == ""


def test_the_time_zone_field_suggests_the_companys_zones_first(browser, make):
    make.team("support-tr", timezone="Europe/Istanbul")
    page = browser.get("/queue/").content.decode()
    assert 'hx-get="/preferences/time-zones/"' in page

    options = browser.get("/preferences/time-zones/").content.decode()
    listed = options.split('<option value="')[1:]
    zones = [item.split('"')[0] for item in listed]
    assert zones.index("Europe/Istanbul") < zones.index("Africa/Abidjan")
    assert "Pacific/Auckland" in zones
    assert len(zones) == len(set(zones))

    customer = Client()
    customer.force_login(make.customer(with_login=True).user)
    assert customer.get("/preferences/time-zones/").status_code == 302
