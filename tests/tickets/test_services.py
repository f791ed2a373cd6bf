"""Ticket actions, read as a specification."""

import pytest

from escalade.core.actors import SYSTEM
from escalade.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from escalade.tickets import services
from escalade.tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make):
    return make.agent("ada", teams=[make.team("support-en")])


def test_creating_a_ticket_records_the_customer_message_and_an_audit_event(make, clock):
    requester = make.customer("kari@fjord.no", name="Kari Nordmann")
    ticket = make.ticket(
        requester,
        subject="Faktura belastet to ganger",
        body="Jeg ble belastet to ganger for samme faktura.",
    )

    assert ticket.status == "new"
    assert ticket.version == 1
    assert ticket.created_at == clock.now()
    assert ticket.language == "nb"
    message = ticket.messages.get()
    assert message.author_customer == requester
    assert message.kind == "public"
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]


def test_an_agent_reply_opens_a_new_ticket_and_counts_as_first_response(make, agent, clock):
    ticket = make.ticket()
    clock.advance(minutes=20)
    services.add_message(make.actor(agent), ticket.pk, body_text="We are on it.")

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.first_response_at == clock.now()
    assert ticket.version == 2
    assert ticket.events.filter(kind="message_public").exists()


def test_an_internal_note_is_not_a_response(make, agent):
    ticket = make.ticket()
    services.add_message(
        make.actor(agent), ticket.pk, body_text="Looks like a billing issue", kind="internal"
    )

    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == "new"


def test_an_automatic_reply_is_not_a_response(make):
    ticket = make.ticket()
    services.add_message(SYSTEM, ticket.pk, body_text="We received your request", is_automatic=True)

    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_a_customer_reply_reopens_a_solved_ticket(make, agent):
    requester = make.customer(with_login=True)
    ticket = make.ticket(requester)
    services.update_ticket(make.actor(agent), ticket.pk, expected_version=1, status="solved")

    services.add_message(make.actor(requester), ticket.pk, body_text="It happened again")

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.reopen_count == 1
    assert ticket.solved_at is None
    assert ticket.events.filter(kind="reopened").exists()


def test_closed_is_final_and_a_customer_reply_opens_a_follow_up(make, agent):
    requester = make.customer(with_login=True)
    ticket = make.ticket(requester)
    services.update_ticket(make.actor(agent), ticket.pk, expected_version=1, status="solved")
    services.update_ticket(make.actor(agent), ticket.pk, expected_version=2, status="closed")

    with pytest.raises(Conflict):
        services.update_ticket(make.actor(agent), ticket.pk, expected_version=3, status="open")
    with pytest.raises(Conflict):
        services.add_message(make.actor(agent), ticket.pk, body_text="one more thing")

    message = services.add_message(make.actor(requester), ticket.pk, body_text="Still broken")
    follow_up = message.ticket
    assert follow_up.pk != ticket.pk
    assert follow_up.follow_up_of_id == ticket.pk
    assert follow_up.customer == requester
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


@pytest.mark.parametrize(
    ("start", "target"),
    [("new", "closed"), ("open", "closed"), ("pending", "new"), ("solved", "pending")],
)
def test_forbidden_transitions_are_refused_naming_the_field(make, agent, start, target):
    ticket = make.ticket()
    version = 1
    path = {"new": [], "open": ["open"], "pending": ["pending"], "solved": ["solved"]}[start]
    for status in path:
        ticket = services.update_ticket(
            make.actor(agent), ticket.pk, expected_version=version, status=status
        )
        version = ticket.version

    with pytest.raises(ValidationFailed) as error:
        services.update_ticket(
            make.actor(agent), ticket.pk, expected_version=version, status=target
        )
    assert error.value.field == "status"
    assert Ticket.objects.get(pk=ticket.pk).status == start


def test_a_stale_version_is_a_conflict_and_changes_nothing(make, agent):
    ticket = make.ticket()
    services.update_ticket(make.actor(agent), ticket.pk, expected_version=1, priority="high")

    with pytest.raises(Conflict):
        services.update_ticket(make.actor(agent), ticket.pk, expected_version=1, priority="low")

    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert ticket.version == 2


def test_every_changed_field_leaves_an_audit_event_with_before_and_after(make, agent):
    billing = make.team("billing-l1")
    ticket = make.ticket()
    services.update_ticket(
        make.actor(agent),
        ticket.pk,
        expected_version=1,
        priority="urgent",
        team="billing-l1",
        assignee="ada",
        reason="payment error",
    )

    events = {e.kind: e for e in TicketEvent.objects.filter(ticket=ticket)}
    assert events["priority_changed"].before == {"priority": "normal"}
    assert events["priority_changed"].after == {"priority": "urgent"}
    assert events["team_changed"].after == {"team": billing.slug}
    assert events["assignee_changed"].after == {"assignee": "ada"}
    assert events["status_changed"].after == {"status": "open"}
    assert events["team_changed"].note == "payment error"
    assert all(e.actor_label == "ada" for e in events.values() if e.kind != "created")


def test_an_update_that_changes_nothing_writes_nothing(make, agent):
    ticket = make.ticket()
    services.update_ticket(make.actor(agent), ticket.pk, expected_version=1, priority="normal")

    ticket.refresh_from_db()
    assert ticket.version == 1
    assert ticket.events.count() == 1


def test_customers_cannot_change_tickets_or_write_internal_notes(make):
    requester = make.customer(with_login=True)
    ticket = make.ticket(requester)

    with pytest.raises(PermissionDenied):
        services.update_ticket(
            make.actor(requester), ticket.pk, expected_version=1, priority="urgent"
        )
    with pytest.raises(PermissionDenied):
        services.add_message(make.actor(requester), ticket.pk, body_text="x", kind="internal")


def test_a_customer_cannot_touch_another_customers_ticket(make):
    alice = make.customer(with_login=True)
    bob = make.customer(with_login=True)
    ticket = make.ticket(alice)

    with pytest.raises(NotFound):
        services.add_message(make.actor(bob), ticket.pk, body_text="hijack")
    assert ticket.messages.count() == 1


def test_an_organisation_admin_sees_colleagues_tickets(make):
    company = make.organisation("Fjord AS", tier="vip")
    admin = make.customer(organisation=company, with_login=True, is_org_admin=True)
    colleague = make.customer(organisation=company)
    ticket = make.ticket(colleague)

    message = services.add_message(
        make.actor(admin), ticket.pk, body_text="Adding details for my colleague"
    )
    assert message.ticket_id == ticket.pk


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("发票无法下载", "我们无法下载发票，请帮忙。"),
        ("Płatność pobrana dwukrotnie", "Zażółć gęślą jaźń — proszę o zwrot."),
        ("Ödeme iki kez çekildi", "Iğdır'daki şubemizden ödeme iki kez çekildi."),
        ("Blåbærsyltetøy på fakturaen", "Hvorfor står det ære på fakturaen?"),
        ("Emoji 🚀 and RTL שלום", "Zero width\u200bjoiner and combining é"),
    ],
)
def test_unicode_survives_every_text_field(make, subject, body):
    requester = make.customer(name=subject[:20])
    ticket = make.ticket(
        requester, subject=subject, body=body, category="billing", tags=["ødeme", "发票"]
    )

    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.subject == subject
    assert stored.messages.get().body_text == body
    assert stored.tags == ["ødeme", "发票"]
    assert stored.customer.name == subject[:20]


def test_an_empty_subject_is_refused_naming_the_field(make):
    with pytest.raises(ValidationFailed) as error:
        make.ticket(subject="   ")
    assert error.value.field == "subject"
    assert Ticket.objects.count() == 0


def test_nul_bytes_and_scripts_are_cleaned_from_messages(make, agent):
    ticket = make.ticket()
    message = services.add_message(
        make.actor(agent),
        ticket.pk,
        body_html=(
            '<p onclick="x()">Hi\x00<script>alert(1)</script>'
            '<a href="javascript:alert(1)">x</a></p>'
        ),
    )
    stored = Message.objects.get(pk=message.pk)
    assert "<script" not in stored.body_html
    assert "onclick" not in stored.body_html
    assert "javascript:" not in stored.body_html
    assert "\x00" not in stored.body_text


def test_attachments_are_stored_and_limits_enforced(make, agent, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    ticket = make.ticket()
    message = services.add_message(
        make.actor(agent),
        ticket.pk,
        body_text="see file",
        attachments=[services.NewAttachment("report.txt", b"hello", "text/plain")],
    )
    attachment = message.attachments.get()
    assert attachment.size == 5
    assert attachment.file.read() == b"hello"

    with pytest.raises(ValidationFailed) as error:
        services.add_message(
            make.actor(agent),
            ticket.pk,
            body_text="big",
            attachments=[services.NewAttachment("big.bin", b"x" * 1001)],
        )
    assert error.value.field == "attachments"
    with pytest.raises(ValidationFailed):
        services.add_message(
            make.actor(agent),
            ticket.pk,
            body_text="exe",
            attachments=[services.NewAttachment("evil.html", b"<script>", "text/html")],
        )
    assert ticket.messages.count() == 2
