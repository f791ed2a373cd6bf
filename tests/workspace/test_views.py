"""Workspace pages through Django's test client: permissions, queues, saved filters, bulk
actions, the ticket page, escalate / acknowledge / de-escalate, the board, notifications,
macros and the languages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalade.core.actors import actor_for
from escalade.escalation import services as escalation
from escalade.escalation.models import EscalationRecord, Notification
from escalade.tickets.models import Ticket
from escalade.workspace.models import Macro, SavedFilter
from tests.escalation.conftest import company, oslo  # noqa: F401  (the demo-shaped company)

pytestmark = pytest.mark.django_db

AGENT_PAGES = ["/queue/", "/notifications/", "/macros/", "/notifications/badge/"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csrf_client_for(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/queue/")
    return client


def post(client: Client, path: str, data: dict | None = None, **kwargs):
    data = dict(data or {})
    if "csrftoken" in client.cookies:
        data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    return client.post(path, data, **kwargs)


def flash(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def vip_ticket(make, clock, company):  # noqa: F811
    clock.set(oslo(2026, 11, 23, 9, 0))
    kari = make.customer(
        "kari@fjordhandel.no",
        name="Kari Nordmann",
        organisation=make.organisation("Fjordhandel", tier="vip", calendar="oslo"),
        language="nb",
    )
    return make.ticket(
        kari, subject="Dobbel belastning", body="Jeg ble belastet to ganger for fakturaen."
    )


# --- permissions ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in():
    for path in [*AGENT_PAGES, "/board/", "/tickets/1/"]:
        response = Client().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/"), path


def test_a_customer_session_is_sent_to_the_portal_and_cannot_change_anything(make):
    customer = make.customer(with_login=True)
    ticket = make.ticket(customer)
    client = client_for(customer.user)
    for path in [
        *AGENT_PAGES,
        "/board/",
        f"/tickets/{ticket.pk}/",
        f"/tickets/{ticket.pk}/explain/",
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/portal/", path
    for path in ["/queue/bulk/", f"/tickets/{ticket.pk}/escalate/", "/notifications/read/"]:
        assert client.post(path, {"tickets": [ticket.pk], "action": "status"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_the_board_is_for_supervisors_managers_and_admins(company):  # noqa: F811
    assert client_for(company.people["nora"].user).get("/board/").status_code == 403
    for who in ("sofia", "maria"):
        assert client_for(company.people[who].user).get("/board/").status_code == 200
    page = client_for(company.people["nora"].user).get("/queue/").content.decode()
    assert 'href="/board/"' not in page


def test_an_agent_cannot_open_admin_only_pages(company, make):  # noqa: F811
    client = client_for(company.people["nora"].user)
    for path in ("/admin/", "/admin/workspace/macro/", "/admin/accounts/team/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/admin/login/" in response["Location"]
    assert "Administration" not in client.get("/queue/").content.decode()


def test_shared_macros_and_filters_need_a_supervisor(company):  # noqa: F811
    nora = csrf_client_for(company.people["nora"].user)
    response = post(nora, "/macros/", {"name": "Hei", "body": "Hei {customer}", "shared": "on"})
    assert response.status_code == 200
    assert not Macro.objects.exists()
    post(nora, "/queue/filters/", {"name": "VIP", "tier": "vip", "shared": "on"})
    assert not SavedFilter.objects.exists()
    sofia = csrf_client_for(company.people["sofia"].user)
    post(sofia, "/macros/", {"name": "Hei", "body": "Hei {customer}", "shared": "on"})
    assert Macro.objects.get().owner is None


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_views_mine_teams_unassigned_at_risk_breached_and_all(make, company):  # noqa: F811
    nora = company.people["nora"]
    mine = make.ticket(subject="Faktura mangler", team="billing-l1", assignee=nora.user.username)
    team = make.ticket(subject="Refusjon", team="billing-l1")
    other = make.ticket(subject="Kargo takip", team="support-tr")
    Ticket.objects.filter(pk=team.pk).update(assignee=None)
    Ticket.objects.filter(pk=other.pk).update(risk_score=80, assignee=None)
    breached = make.ticket(subject="Overdue thing", team="support-en")
    Ticket.objects.filter(pk=breached.pk).update(sla_state="breached")
    client = client_for(nora.user)

    def subjects(view: str) -> set[str]:
        page = client.get("/queue/", {"view": view}).content.decode()
        return set(re.findall(r'<span lang="[^"]*">([^<]+)</span></a>', page))

    assert subjects("mine") == {"Faktura mangler"}
    assert {"Faktura mangler", "Refusjon"} <= subjects("teams")
    assert "Kargo takip" not in subjects("teams")
    assert {"Refusjon", "Kargo takip"} <= subjects("unassigned")
    assert "Faktura mangler" not in subjects("unassigned")
    assert subjects("at_risk") == {"Kargo takip"}
    assert subjects("breached") == {"Overdue thing"}
    assert {"Faktura mangler", "Refusjon", "Kargo takip", "Overdue thing"} <= subjects("all")
    assert mine.pk


def test_queue_filters_and_a_saved_filter(make, company):  # noqa: F811
    vip = make.organisation("Fjordhandel", tier="vip")
    make.ticket(make.customer(organisation=vip), subject="VIP-sak", language="nb", channel="email")
    make.ticket(subject="Standard", language="en")
    client = csrf_client_for(company.people["sofia"].user)
    page = client.get("/queue/", {"view": "all", "tier": "vip"}).content.decode()
    assert "VIP-sak" in page
    assert "Standard</span>" not in page
    assert (
        "Standard</span>"
        not in client.get("/queue/", {"view": "all", "language": "nb"}).content.decode()
    )
    assert client.get("/queue/", {"view": "nonsense", "sort": "bogus"}).status_code == 200

    response = post(
        client,
        "/queue/filters/",
        {
            "name": "VIP in Norwegian",
            "view": "all",
            "tier": "vip",
            "language": "nb",
            "shared": "on",
        },
    )
    saved = SavedFilter.objects.get()
    assert saved.params == {"view": "all", "tier": "vip", "language": "nb"}
    assert saved.shared
    assert response["Location"] == f"/queue/?filter={saved.pk}"
    # Everyone sees a shared filter; opening it applies its parameters.
    nora = client_for(company.people["nora"].user)
    page = nora.get("/queue/", {"filter": saved.pk}).content.decode()
    assert "VIP in Norwegian" in page
    assert "VIP-sak" in page
    assert "Standard</span>" not in page
    # Only its owner or a supervisor deletes it.
    assert (
        post(
            csrf_client_for(company.people["nora"].user), f"/queue/filters/{saved.pk}/delete/"
        ).status_code
        == 302
    )
    assert SavedFilter.objects.exists()
    post(client, f"/queue/filters/{saved.pk}/delete/")
    assert not SavedFilter.objects.exists()


def test_the_htmx_request_gets_only_the_table(make, company):  # noqa: F811
    make.ticket(subject="Partial")
    client = client_for(company.people["sofia"].user)
    response = client.get("/queue/", {"view": "all"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Partial" in body
    assert "<html" not in body
    assert 'id="queue-table"' in body


def test_the_queue_runs_a_fixed_number_of_queries_however_many_tickets(make, company):  # noqa: F811
    client = client_for(company.people["sofia"].user)
    org = make.organisation("Org", tier="premium")
    for n in range(3):
        make.ticket(make.customer(organisation=org), subject=f"Ticket {n}", team="support-en")
    client.get("/queue/", {"view": "all"})
    with CaptureQueriesContext(connection) as few:
        client.get("/queue/", {"view": "all"})
    for n in range(12):
        make.ticket(make.customer(organisation=org), subject=f"More {n}", team="support-nb")
    with CaptureQueriesContext(connection) as many:
        client.get("/queue/", {"view": "all"})
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 12, [q["sql"] for q in few.captured_queries]


def test_bulk_actions_assign_status_priority_and_escalate(make, company):  # noqa: F811
    kasia = company.people["kasia"]
    client = csrf_client_for(kasia.user)
    first = make.ticket(subject="Jeden", team="support-pl")
    second = make.ticket(subject="Dwa", team="support-pl")
    closed = make.ticket(subject="Trzy", team="support-pl")
    for status in ("solved", "closed"):
        make.tickets.update_ticket(
            actor_for(kasia.user), closed.pk, expected_version=None, status=status
        )
    ids = [first.pk, second.pk]

    response = post(
        client,
        "/queue/bulk/",
        {"tickets": ids, "action": "assign", "value_assign": "me"},
        follow=True,
    )
    assert "2 tickets updated." in flash(response)
    assert set(Ticket.objects.filter(pk__in=ids).values_list("assignee__username", flat=True)) == {
        "kasia"
    }

    post(client, "/queue/bulk/", {"tickets": ids, "action": "priority", "value_priority": "urgent"})
    assert set(Ticket.objects.filter(pk__in=ids).values_list("priority", flat=True)) == {"urgent"}

    response = post(
        client,
        "/queue/bulk/",
        {"tickets": [*ids, closed.pk], "action": "status", "value_status": "pending"},
        follow=True,
    )
    messages = flash(response)
    assert "2 tickets updated." in messages
    assert any(f"#{closed.pk} was not changed" in m for m in messages)

    response = post(
        client,
        "/queue/bulk/",
        {"tickets": ids, "action": "escalate", "value_escalate": "billing-l1"},
        follow=True,
    )
    assert any("reason" in m for m in flash(response))
    assert not EscalationRecord.objects.exists()
    post(
        client,
        "/queue/bulk/",
        {
            "tickets": ids,
            "action": "escalate",
            "value_escalate": "billing-l1",
            "reason": "invoices, not labels",
        },
    )
    records = EscalationRecord.objects.filter(ticket_id__in=ids)
    assert {(r.kind, r.to_team.slug, r.reason) for r in records} == {
        ("functional", "billing-l1", "invoices, not labels")
    }


# --- the ticket page --------------------------------------------------------------------------


def test_the_ticket_page_shows_thread_events_customer_sla_and_explain(vip_ticket, company, make):  # noqa: F811
    nora = company.people["nora"]
    actor = actor_for(nora.user)
    make.tickets.add_message(
        actor, vip_ticket.pk, body_text="Vi ser på saken.", expected_version=None
    )
    make.tickets.add_message(
        actor, vip_ticket.pk, body_text="Sjekket loggen.", kind="internal", expected_version=None
    )
    make.ticket(vip_ticket.customer, subject="Kreditnota mangler")
    client = client_for(nora.user)
    page = client.get(f"/tickets/{vip_ticket.pk}/").content.decode()
    assert "Jeg ble belastet to ganger" in page
    assert "Vi ser på saken." in page
    assert 'class="message internal' in page
    assert "Kreditnota mangler" in page  # another open ticket of the customer
    assert "VIP" in page
    assert "first response" in page  # an SLA clock
    assert 'data-kind="message_public"' in page  # the audit trail keeps the event kinds
    explain = client.get(f"/tickets/{vip_ticket.pk}/explain/").content.decode()
    assert "VIP" in explain
    assert "Billing" in explain  # the escalation path
    assert "resolution breach" in explain  # what fires next


def test_escalate_functional_needs_a_reason_and_lands_with_the_department(vip_ticket, company):  # noqa: F811
    client = csrf_client_for(company.people["nora"].user)
    url = f"/tickets/{vip_ticket.pk}/escalate/"
    response = post(
        client, url, {"mode": "functional", "team": "tech-l2", "reason": " "}, follow=True
    )
    assert any("reason" in m for m in flash(response))
    assert not EscalationRecord.objects.exists()
    key = "double-click"
    for _ in range(2):  # a double submit of the same dialog escalates once
        post(
            client,
            url,
            {
                "mode": "functional",
                "team": "tech-l2",
                "reason": "an API error",
                "idempotency_key": key,
                "version": Ticket.objects.get(pk=vip_ticket.pk).version,
            },
        )
    record = EscalationRecord.objects.get()
    assert (record.kind, record.to_team.slug, record.reason) == (
        "functional",
        "tech-l2",
        "an API error",
    )
    page = client.get(f"/tickets/{vip_ticket.pk}/").content.decode()
    assert "an API error" in page
    assert "Tech L2" in page


def test_hierarchical_escalation_acknowledgement_and_deescalation(vip_ticket, company):  # noqa: F811
    nora = csrf_client_for(company.people["nora"].user)
    url = f"/tickets/{vip_ticket.pk}/"
    page = nora.get(url).content.decode()
    assert 'value="next_level" checked' in page
    assert "Billing L2" in page  # the next level's team, named in the dialog
    post(
        nora,
        url + "escalate/",
        {"mode": "hierarchical", "to": "next_level", "reason": "refund over 10 000 NOK"},
    )
    record = EscalationRecord.objects.get()
    assert record.ack_required
    assert record.to_agent.username == "bjorn"

    page = nora.get(url).content.decode()
    assert "ack-banner" in page
    assert 'id="acknowledge"' not in page  # only the receiver (or a supervisor) takes it
    response = post(nora, url + "acknowledge/", follow=True)
    assert any("receiver" in m for m in flash(response))

    bjorn = csrf_client_for(company.people["bjorn"].user)
    assert 'id="acknowledge"' in bjorn.get(url).content.decode()
    assert "1" in bjorn.get("/notifications/badge/").content.decode()
    post(bjorn, url + "acknowledge/")
    record.refresh_from_db()
    assert record.acknowledged_by.username == "bjorn"
    assert "ack-banner" not in bjorn.get(url).content.decode()

    page = bjorn.get(url).content.decode()
    assert 'value="deescalate"' in page
    post(bjorn, url + "escalate/", {"mode": "deescalate", "reason": "standard refund after all"})
    down = EscalationRecord.objects.order_by("-id").first()
    assert (down.direction, down.to_level) == ("down", 1)


# --- board and notifications ------------------------------------------------------------------


def test_the_board_shows_waiting_escalations_risk_breaches_and_load(vip_ticket, company, make):  # noqa: F811
    escalation.escalate(
        actor_for(company.people["nora"].user),
        vip_ticket.pk,
        to="next_level",
        reason="needs level 2",
    )
    risky = make.ticket(subject="Third time, angry", team="support-zh")
    Ticket.objects.filter(pk=risky.pk).update(risk_score=77)
    client = client_for(company.people["henrik"].user)
    page = client.get("/board/").content.decode()
    awaiting = page.split('id="board-awaiting"')[1].split("</section>")[0]
    assert f'data-ticket="{vip_ticket.pk}"' in awaiting
    assert "needs level 2" in awaiting
    risk = page.split('id="board-risk"')[1].split("</section>")[0]
    assert "Third time, angry" in risk
    assert ">77<" in risk
    assert "Load per agent" in page
    assert "Billing L2" in page
    fragment = client.get("/board/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<div id="board-body"')


def test_notifications_centre_lists_and_marks_read(vip_ticket, company):  # noqa: F811
    escalation.escalate(
        actor_for(company.people["nora"].user),
        vip_ticket.pk,
        to="next_level",
        reason="needs level 2",
    )
    bjorn = company.people["bjorn"].user
    unread = Notification.objects.filter(recipient=bjorn, read_at__isnull=True).count()
    assert unread >= 1
    client = csrf_client_for(bjorn)
    page = client.get("/notifications/").content.decode()
    assert "escalated to level 2" in page
    assert f'data-unread="{unread}"' in page
    post(client, "/notifications/read/")
    assert not Notification.objects.filter(recipient=bjorn, read_at__isnull=True).exists()
    assert 'data-unread="0"' in client.get("/notifications/badge/").content.decode()


# --- macros -----------------------------------------------------------------------------------


def test_macros_per_language_are_offered_on_the_ticket_with_placeholders(vip_ticket, company):  # noqa: F811
    sofia = csrf_client_for(company.people["sofia"].user)
    post(
        sofia,
        "/macros/",
        {
            "name": "Vi ser på saken",
            "language": "nb",
            "body": "Hei {customer}, hilsen {agent} ({ticket})",
            "shared": "on",
        },
    )
    post(
        sofia,
        "/macros/",
        {"name": "Sprawdzamy", "language": "pl", "body": "Dzień dobry", "shared": "on"},
    )
    nora = csrf_client_for(company.people["nora"].user)
    post(nora, "/macros/", {"name": "Min egen", "body": "Notat", "kind": "internal"})
    assert Macro.objects.get(name="Min egen").owner == company.people["nora"].user
    page = nora.get(f"/tickets/{vip_ticket.pk}/").content.decode()
    assert "Vi ser på saken (nb)" in page
    assert f"Hei Kari Nordmann, hilsen nora (#{vip_ticket.pk})" in page
    assert "Sprawdzamy" not in page  # a Polish macro is not offered on a Norwegian ticket
    assert "Min egen" in page
    # Another agent does not see nora's own macro.
    assert (
        "Min egen" not in client_for(company.people["bjorn"].user).get("/macros/").content.decode()
    )
    # Nora may not delete a shared macro.
    shared = Macro.objects.get(name="Sprawdzamy")
    post(nora, f"/macros/{shared.pk}/delete/")
    assert Macro.objects.filter(pk=shared.pk).exists()


# --- languages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("pl", ["Kolejka", "Powiadomienia", "Szukaj"]),
        ("zh-hans", ["队列", "通知", "搜索"]),
        ("nb", ["Kø", "Varsler"]),
        ("tr", ["Kuyruk", "Bildirimler"]),
        ("it", ["Coda", "Notifiche"]),
    ],
)
def test_the_workspace_speaks_the_agents_language(vip_ticket, company, language, expected):  # noqa: F811
    nora = company.people["nora"]
    nora.ui_language = language
    nora.save(update_fields=["ui_language"])
    client = client_for(nora.user)
    page = client.get("/queue/", {"view": "all"}).content.decode()
    assert f'<html lang="{language}">' in page
    for text in expected:
        assert text in page, (language, text)
    ticket_page = client.get(f"/tickets/{vip_ticket.pk}/").content.decode()
    assert "Escalate…" not in ticket_page
    assert "Audit trail" not in ticket_page
