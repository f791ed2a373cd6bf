"""Outbound mail over real SMTP (an aiosmtpd server): replies, acknowledgements, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalade.core import outbox
from escalade.core.models import OutboxMessage
from escalade.mail import services
from escalade.mail.models import Mailbox, OutboundMail
from escalade.mail.services import Outcome
from escalade.tickets import services as ticket_services
from escalade.tickets.models import Message, TicketEvent
from tests.mail.conftest import SUPPORT, fixture_bytes, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(make):
    team = make.team("support", name="Support")
    return Mailbox.objects.create(name="support", address=SUPPORT, team=team)


@pytest.fixture
def agent(make, support):
    profile = make.agent("ingrid", name="Ingrid Hansen", teams=[support.team])
    return make.actor(profile)


def deliver(clock) -> tuple[int, int]:
    return outbox.deliver_due(clock.now())


def parts(message) -> dict[str, str]:
    """content type -> decoded text of each text part of a received mail."""
    return {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


def open_ticket(clock, name: str = "thread_1_customer"):
    result = services.ingest(fixture_bytes(name), source="test")
    assert result.outcome == Outcome.CREATED
    return result


def test_an_agent_reply_is_sent_by_smtp_with_threading_headers(clock, smtp_sink, agent):
    created = open_ticket(clock)
    (ack,) = OutboundMail.objects.filter(kind="ack")
    clock.advance(minutes=30)
    reply = ticket_services.add_message(agent, created.ticket, body_text="We are on it.\n\nIngrid")
    (sent,) = OutboundMail.objects.filter(kind="reply")
    assert (sent.ticket_message, sent.to, sent.status) == (reply, "anna@kunde.example", "queued")

    assert deliver(clock) == (2, 0)
    assert len(smtp_sink.received) == 2
    by_id = {r.message["Message-ID"]: r for r in smtp_sink.received}
    mail = by_id[sent.message_id]
    assert mail.rcpt_tos == ["anna@kunde.example"]
    message = mail.message
    number = created.ticket
    assert message["Subject"] == f"Re: Order 5521 not delivered [#{number}]"
    assert message["From"] == '"Ingrid Hansen (Support)" <support@escalade.example>'
    assert message["To"] == "anna@kunde.example"
    assert message["Reply-To"] == SUPPORT
    assert message["In-Reply-To"] == "<thread-1@kunde.example>"
    assert message["References"] == f"<thread-1@kunde.example> {ack.message_id}"
    assert message["X-Escalade-Ticket"] == str(number)
    assert message["Auto-Submitted"] is None
    assert message.get_content_type() == "multipart/alternative"
    texts = parts(message)
    assert texts["text/plain"] == (
        "We are on it.\n\nIngrid\n\n-- \nIngrid Hansen\nSupport\n\n"
        f"Ticket #{number}. Reply to this email to add to it, and keep [#{number}] in the "
        "subject.\n"
    )
    assert "<p>We are on it.</p><p>Ingrid</p>" in texts["text/html"]
    assert f"Ticket #{number}." in texts["text/html"]
    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, clock.now())


def test_the_customer_answer_to_the_sent_mail_threads_back(clock, smtp_sink, agent):
    created = open_ticket(clock)
    ticket_services.add_message(agent, created.ticket, body_text="Which address?")
    deliver(clock)
    received = next(r.message for r in smtp_sink.received if r.message["Subject"].startswith("Re:"))
    clock.advance(hours=2)
    answer = (
        "From: Anna Berg <anna@kunde.example>\n"
        f"To: {received['Reply-To']}\n"
        f"Subject: {received['Subject']}\n"
        "Message-ID: <answer-1@kunde.example>\n"
        f"In-Reply-To: {received['Message-ID']}\n"
        f"References: {received['References']} {received['Message-ID']}\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Storgata 1, Oslo.\n\n"
        f"On Mon, 23 Nov 2026 at 09:00, Support <{SUPPORT}> wrote:\n> Which address?\n"
    ).encode()
    result = services.ingest(answer, source="test")
    assert (result.outcome, result.ticket) == (Outcome.ADDED, created.ticket)
    assert list(
        Message.objects.filter(ticket_id=created.ticket)
        .order_by("id")
        .values_list("body_text", flat=True)
    ) == ["My order 5521 has not been delivered.", "Which address?", "Storgata 1, Oslo."]


def test_the_acknowledgement_is_an_automatic_reply_in_english(clock, smtp_sink, support):
    created = open_ticket(clock, "lang_en")
    deliver(clock)
    (mail,) = smtp_sink.received
    message = mail.message
    number = created.ticket
    assert mail.rcpt_tos == ["jane@kunde.example"]
    assert message["Subject"] == f"We received your request: Still waiting [#{number}]"
    assert message["From"] == "Support <support@escalade.example>"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["In-Reply-To"] == message["References"] == "<lang-en@kunde.example>"
    assert parts(message)["text/plain"] == (
        "Hello Jane Doe,\n\n"
        f"We have received your request and opened ticket #{number}:\n"
        "“Still waiting”\n\n"
        "We will answer as soon as we can. To add information, reply to this email and keep "
        f"[#{number}] in the subject.\n\n"
        "Support\n\n"
        "This is an automatic message.\n"
    )


@pytest.mark.parametrize(
    ("fixture", "subject_start", "greeting"),
    [
        ("lang_nb", "Vi har mottatt henvendelsen din: Fortsatt ingen pakke", "Hei Ola Nordmann,"),
        ("lang_tr", "Talebinizi aldık: Siparişim gelmedi", "Merhaba Ayşe Yılmaz,"),
        (
            "lang_it",
            "Abbiamo ricevuto la sua richiesta: Ordine non arrivato",
            "Gentile Mario Rossi,",
        ),
        (
            "lang_pl",
            "Otrzymaliśmy Twoje zgłoszenie: Zamówienie nie dotarło",
            "Dzień dobry Jan Kowalski,",
        ),
        ("lang_zh", "我们已收到您的请求：", "张伟，您好："),
    ],
)
def test_the_acknowledgement_speaks_the_language_of_the_ticket(
    clock, smtp_sink, support, fixture, subject_start, greeting
):
    created = open_ticket(clock, fixture)
    deliver(clock)
    (mail,) = smtp_sink.received
    # (Python folds a long encoded subject onto the next line: a leading space when read.)
    subject = str(mail.message["Subject"]).strip()
    assert subject.startswith(subject_start)
    assert subject.endswith(f"[#{created.ticket}]")
    assert parts(mail.message)["text/plain"].startswith(greeting)


def test_reply_attachments_are_sent(clock, smtp_sink, agent):
    created = open_ticket(clock)
    ticket_services.add_message(
        agent,
        created.ticket,
        body_text="The invoice is attached.",
        attachments=[
            ticket_services.NewAttachment("invoice.pdf", b"%PDF-1.4 x", "application/pdf")
        ],
    )
    deliver(clock)
    reply = next(r.message for r in smtp_sink.received if r.message["Subject"].startswith("Re:"))
    (attachment,) = list(reply.iter_attachments())
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 x"


def test_which_messages_are_mailed(clock, make, smtp_sink, agent):
    with_mail = make.customer("kari@kunde.example")
    without_mail = make.customer(phone="+4712345678", name="Per")
    portal = make.ticket(with_mail, channel="portal")
    chat = make.ticket(with_mail, channel="chat")
    phone_only = make.ticket(without_mail, channel="phone")
    ticket_services.add_message(agent, portal.pk, body_text="Portal answer.")
    ticket_services.add_message(agent, portal.pk, body_text="Note.", kind="internal")
    ticket_services.add_message(agent, chat.pk, body_text="Chat answer.")
    ticket_services.add_message(agent, phone_only.pk, body_text="Phone answer.")
    assert list(OutboundMail.objects.values_list("ticket_id", "kind")) == [(portal.pk, "reply")]
    assert deliver(clock) == (1, 0)
    (mail,) = smtp_sink.received
    assert parts(mail.message)["text/plain"].startswith("Portal answer.")


def test_a_failing_smtp_server_is_retried_then_shown_on_the_ticket(clock, settings, agent):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nobody listens
    settings.MAIL_ACKNOWLEDGE = False
    created = open_ticket(clock)
    ticket_services.add_message(agent, created.ticket, body_text="Hello?")
    (sent,) = OutboundMail.objects.all()

    assert deliver(clock) == (0, 1)
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == ("retrying", 1)
    assert sent.last_error.startswith("ConnectionRefusedError")
    (event,) = TicketEvent.objects.filter(ticket_id=created.ticket, kind="email_retrying")
    assert event.after == {"to": "anna@kunde.example", "kind": "reply", "attempt": 1}

    for attempt in range(2, outbox.MAX_ATTEMPTS + 1):
        assert deliver(clock) == (0, 0)  # not due yet: the backoff holds it back
        clock.advance(outbox.backoff(attempt - 1) + timedelta(seconds=1))
        assert deliver(clock) == (0, 1)

    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    item = OutboxMessage.objects.get(channel="ticket_mail")
    assert item.status == "dead"
    assert TicketEvent.objects.filter(ticket_id=created.ticket, kind="email_retrying").count() == 7
    assert TicketEvent.objects.filter(ticket_id=created.ticket, kind="email_failed").count() == 1
    note = Message.objects.filter(ticket_id=created.ticket).order_by("id").last()
    assert (note.kind, note.is_automatic) == ("internal", True)
    assert note.body_text.startswith(
        "The mail to anna@kunde.example could not be sent after 8 attempts; it was not "
        "delivered. Last error: ConnectionRefusedError"
    )


CC_MAIL = b"""\
From: Anna Berg <anna@kunde.example>
To: Support <support@escalade.example>, Per Hansen <per@kunde.example>
Cc: boss@kunde.example, "Help" <help@escalade.example>, no-reply@kunde.example,
 ANNA@kunde.example
Subject: Order 5521 not delivered
Message-ID: <cc-1@kunde.example>
Content-Type: text/plain; charset=utf-8

My order 5521 has not been delivered. Per and my boss are in copy.
"""


def test_a_reply_goes_to_the_others_on_the_customers_mail_but_never_to_us(
    clock, settings, smtp_sink, agent
):
    settings.MAIL_OWN_ADDRESSES = ["help@escalade.example"]
    settings.MAIL_ACKNOWLEDGE = False
    created = services.ingest(CC_MAIL, source="test")
    ticket_services.add_message(agent, created.ticket, body_text="We are on it.")
    (sent,) = OutboundMail.objects.all()
    assert (sent.to, sent.cc) == ("anna@kunde.example", ["per@kunde.example", "boss@kunde.example"])

    assert deliver(clock) == (1, 0)
    (mail,) = smtp_sink.received
    # The envelope: the customer and the people in copy — not our addresses, not robots.
    assert mail.rcpt_tos == ["anna@kunde.example", "per@kunde.example", "boss@kunde.example"]
    assert mail.message["To"] == "anna@kunde.example"
    assert mail.message["Cc"] == "per@kunde.example, boss@kunde.example"
    assert mail.message["In-Reply-To"] == "<cc-1@kunde.example>"


def test_a_colleague_answering_in_the_thread_gets_the_next_reply_in_copy(
    clock, settings, smtp_sink, agent
):
    settings.MAIL_ACKNOWLEDGE = False
    created = services.ingest(CC_MAIL, source="test")
    clock.advance(hours=1)
    colleague = (
        b"From: Boss <boss@kunde.example>\nTo: support@escalade.example\n"
        b"Cc: anna@kunde.example\nSubject: Re: Order 5521 not delivered\n"
        b"Message-ID: <cc-2@kunde.example>\nIn-Reply-To: <cc-1@kunde.example>\n\n"
        b"This is urgent for us.\n"
    )
    assert services.ingest(colleague, source="test").ticket == created.ticket
    ticket_services.add_message(agent, created.ticket, body_text="Understood.")
    deliver(clock)
    (mail,) = smtp_sink.received
    assert mail.rcpt_tos == ["anna@kunde.example", "boss@kunde.example"]
    assert mail.message["In-Reply-To"] == "<cc-2@kunde.example>"


def test_a_mail_without_others_is_answered_to_the_customer_only(clock, smtp_sink, agent):
    created = open_ticket(clock)
    ticket_services.add_message(agent, created.ticket, body_text="Hello.")
    (sent,) = OutboundMail.objects.filter(kind="reply")
    assert sent.cc == []
    deliver(clock)
    reply = next(r for r in smtp_sink.received if r.message["Subject"].startswith("Re:"))
    assert reply.rcpt_tos == ["anna@kunde.example"]
    assert reply.message["Cc"] is None


def test_a_header_injection_attempt_reaches_nobody_else(clock, smtp_sink, agent):
    created = services.ingest(fixture_bytes("header_injection"), source="test")
    ticket_services.add_message(agent, created.ticket, body_text="Which invoice?")
    assert deliver(clock) == (2, 0)
    assert [r.rcpt_tos for r in smtp_sink.received] == [["mallory@kunde.example"]] * 2
    for received in smtp_sink.received:
        message = received.message
        assert message["Bcc"] is None
        assert message["Cc"] is None
        assert "\n" not in str(message["Subject"]).strip()
        assert str(message["To"]) == "mallory@kunde.example"
    reply = next(r.message for r in smtp_sink.received if r.message["Subject"].startswith("Re:"))
    assert reply["Subject"] == (
        f"Re: Invoice Bcc: all@escalade.example <script> [#{created.ticket}]"
    )
