"""The quarantine in the Django admin: list, view, download raw, re-process, discard."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from escalade.mail import services
from escalade.mail.models import InboundMail, Mailbox, QuarantineEvent
from escalade.tickets.models import Ticket
from tests.mail.conftest import fixture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make):
    profile = make.agent("root", role="admin")
    client = Client()
    client.force_login(profile.user)
    client.user = profile.user
    return client


def quarantine(raw: bytes) -> InboundMail:
    result = services.ingest(raw, source="smtp")
    return InboundMail.objects.get(pk=result.quarantine)


def test_the_list_shows_what_is_held_and_why(clock, admin_client):
    held = quarantine(fixture_bytes("no_from"))
    response = admin_client.get("/admin/mail/inboundmail/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Who sent this?" in page
    assert "no From header" in page
    assert f"/admin/mail/inboundmail/{held.pk}/change/" in page


def test_the_detail_view_previews_the_raw_mail_escaped(clock, admin_client):
    raw = b"Subject: <script>alert(1)</script>\n\nhello"
    held = quarantine(raw)
    page = admin_client.get(f"/admin/mail/inboundmail/{held.pk}/change/").content.decode()
    assert "Subject: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert f"/admin/mail/inboundmail/{held.pk}/raw/" in page


def test_the_raw_mail_downloads_byte_for_byte(clock, admin_client):
    raw = fixture_bytes("not_a_mail")
    held = quarantine(raw)
    response = admin_client.get(f"/admin/mail/inboundmail/{held.pk}/raw/")
    assert response.status_code == 200
    assert response.content == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="quarantine-{held.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # Taking the raw mail (personal data) is on its audit trail, with who did it.
    downloaded = held.events.get(kind="downloaded")
    assert (downloaded.actor_user, downloaded.actor_label) == (admin_client.user, "root")


def test_agents_without_admin_rights_see_nothing(clock, make):
    held = quarantine(fixture_bytes("no_from"))
    client = Client()
    client.force_login(make.agent("ingrid").user)
    assert client.get("/admin/mail/inboundmail/").status_code == 302  # to the admin login
    assert client.get(f"/admin/mail/inboundmail/{held.pk}/raw/").status_code == 302


def test_reprocess_and_discard_actions(clock, settings, admin_client):
    settings.MAIL_MAX_MESSAGE_BYTES = 200
    too_big = quarantine(fixture_bytes("lang_nb"))
    junk = quarantine(fixture_bytes("not_a_mail"))

    response = admin_client.post(
        "/admin/mail/inboundmail/",
        {"action": "reprocess", "_selected_action": [too_big.pk]},
        follow=True,
    )
    assert "is still quarantined: message is" in response.content.decode()
    response = admin_client.post(
        "/admin/mail/inboundmail/",
        {"action": "reprocess_ignoring_limits", "_selected_action": [too_big.pk]},
        follow=True,
    )
    assert "Mails re-processed: 1." in response.content.decode()
    ticket = Ticket.objects.get()
    too_big.refresh_from_db()
    assert (too_big.status, too_big.resolved_by, too_big.result["ticket"]) == (
        "reprocessed",
        admin_client.user,
        ticket.pk,
    )

    response = admin_client.post(
        "/admin/mail/inboundmail/",
        {"action": "discard", "_selected_action": [junk.pk]},
        follow=True,
    )
    assert "Mails discarded: 1." in response.content.decode()
    junk.refresh_from_db()
    assert junk.status == "discarded"
    assert InboundMail.objects.count() == 2  # nothing is deleted


def test_mailboxes_are_configured_in_the_admin(clock, make, admin_client):
    team = make.team("billing")
    response = admin_client.post(
        "/admin/mail/mailbox/add/",
        {
            "name": "billing",
            "address": "Billing@Escalade.Example",
            "team": team.pk,
            "active": "on",
            "send_acknowledgement": "on",
            "imap_host": "imap.escalade.example",
            "imap_port": "993",
            "imap_tls": "on",
            "imap_user": "billing",
            "imap_password_env": "BILLING_IMAP_PASSWORD",
            "imap_folder": "INBOX",
            "processed_folder": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.team, mailbox.imap_password_env) == (
        "billing@escalade.example",
        team,
        "BILLING_IMAP_PASSWORD",
    )


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_the_buttons_on_a_held_mail_act_on_it_and_its_trail_shows_who(clock, settings, make):
    """Through the admin as a staff user would: open the mail, press the buttons (the
    forms carry the CSRF token, which this client enforces)."""
    settings.MAIL_MAX_MESSAGE_BYTES = 200
    root = make.agent("root", role="admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(root.user)
    held = quarantine(fixture_bytes("lang_it"))
    url = f"/admin/mail/inboundmail/{held.pk}/change/"

    page = client.get(url).content.decode()
    assert f'action="/admin/mail/inboundmail/{held.pk}/act/"' in page
    assert 'value="reprocess"' in page
    assert 'value="discard"' in page
    token = csrf_token(page)
    act = f"/admin/mail/inboundmail/{held.pk}/act/"
    assert client.post(act, {"action": "reprocess"}).status_code == 403  # no token
    assert client.get(act).status_code == 405

    response = client.post(act, {"action": "reprocess", "csrfmiddlewaretoken": token}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "is still quarantined: message is" in response.content.decode()
    clock.advance(minutes=1)
    response = client.post(
        act,
        {"action": "reprocess_ignoring_limits", "csrfmiddlewaretoken": token},
        follow=True,
    )
    page = response.content.decode()
    assert "Mails re-processed: 1." in page
    ticket = Ticket.objects.get()
    assert ticket.subject == "Ordine non arrivato"
    held.refresh_from_db()
    assert (held.status, held.resolved_by) == ("reprocessed", root.user)
    # The page now lists the trail, and offers no more buttons for a released mail.
    assert 'value="reprocess"' not in page
    assert [(e.kind, e.actor_label) for e in held.events.order_by("id")] == [
        ("quarantined", "channel:email"),
        ("still_quarantined", "root"),
        ("reprocessed", "root"),
    ]
    for label in ("quarantined", "re-processed, still quarantined", "re-processed"):
        assert f"<td>{label}</td>" in page

    # Discard from the page of another mail.
    junk = quarantine(fixture_bytes("not_a_mail"))
    response = client.post(
        f"/admin/mail/inboundmail/{junk.pk}/act/",
        {"action": "discard", "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert "Mails discarded: 1." in response.content.decode()
    junk.refresh_from_db()
    assert junk.status == "discarded"
    assert QuarantineEvent.objects.filter(
        mail=junk, kind="discarded", actor_user=root.user
    ).exists()
    # Discarding twice is refused with a message, not an error page.
    response = client.post(
        f"/admin/mail/inboundmail/{junk.pk}/act/",
        {"action": "discard", "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert f"#{junk.pk}: Only a quarantined mail can be discarded." in response.content.decode()


def test_an_agent_cannot_use_the_buttons(clock, make):
    held = quarantine(fixture_bytes("no_from"))
    client = Client()
    client.force_login(make.agent("ingrid", role="supervisor").user)
    response = client.post(f"/admin/mail/inboundmail/{held.pk}/act/", {"action": "discard"})
    assert response.status_code == 302  # to the admin login
    held.refresh_from_db()
    assert held.status == "quarantined"
