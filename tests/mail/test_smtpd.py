"""`escalade smtpd`: a real receiver process that a mail server delivers to by SMTP or LMTP."""

from __future__ import annotations

import re
import signal
import smtplib
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiosmtpd.controller import Controller
from django.db import connections

from escalade.mail import smtpd
from escalade.mail.models import InboundMail
from escalade.tickets.models import Ticket
from tests.mail.conftest import fixture_bytes, free_port, wait_for_port, write_lock_held_elsewhere
from tests.processes import start_escalade


@pytest.fixture
def receiver():
    """Start `escalade smtpd` (or --lmtp) on the test database; stop it with SIGTERM."""
    processes = []

    def start(*extra: str) -> int:
        port = free_port()
        process = start_escalade("smtpd", "--port", str(port), *extra)
        processes.append(process)
        wait_for_port(port, process)
        return port

    yield start
    for process in processes:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        assert process.returncode == 0


def send(port: int, raw: bytes, recipients: list[str]) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail("sender@kunde.example")
        for recipient in recipients:
            code, _message = client.rcpt(recipient)
            assert code == 250
        code, message = client.data(raw)
        return code, message.decode()


@pytest.mark.django_db(transaction=True)
def test_smtp_delivery_answers_250_after_the_ticket_is_committed(make, receiver):
    team = make.team("billing", email="billing@escalade.example")
    port = receiver()
    code, message = send(port, fixture_bytes("lang_pl"), ["billing@escalade.example"])
    ticket = Ticket.objects.get()
    assert (code, message) == (250, f"2.0.0 Ok: created #{ticket.pk}")
    assert (ticket.team, ticket.language, ticket.customer.email) == (
        team,
        "pl",
        "jan@kunde.example",
    )
    assert ticket.messages.get().metadata["email"]["source"] == "smtp"

    # The same mail again (the server retried after a lost answer): a duplicate, still 250.
    code, message = send(port, fixture_bytes("lang_pl"), ["billing@escalade.example"])
    assert (code, message) == (250, f"2.0.0 Ok: duplicate #{ticket.pk}")
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_content_we_cannot_use_is_quarantined_and_still_accepted(receiver):
    port = receiver()
    code, message = send(port, fixture_bytes("not_a_mail"), ["support@escalade.example"])
    held = InboundMail.objects.get()
    assert (code, message) == (250, f"2.0.0 Ok: held for review ({held.pk})")
    assert (held.reason, held.source, held.recipients) == (
        "not an email message: no headers",
        "smtp",
        ["support@escalade.example"],
    )
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_lmtp_answers_once_per_recipient_and_ingests_once(receiver):
    port = receiver("--lmtp")
    client = smtplib.LMTP("127.0.0.1", port, timeout=30)
    try:
        assert client.ehlo()[0] == 250  # smtplib's LMTP sends LHLO
        client.mail("sender@kunde.example")
        client.rcpt("support@escalade.example")
        client.rcpt("billing@escalade.example")
        first = client.data(fixture_bytes("lang_it"))
        second = client.getreply()
    finally:
        client.close()
    ticket = Ticket.objects.get()
    expected = (250, f"2.0.0 Ok: created #{ticket.pk}".encode())
    assert first == second == expected
    assert ticket.messages.get().metadata["email"]["source"] == "lmtp"


@pytest.mark.django_db(transaction=True)
def test_a_transient_database_error_answers_451_so_the_server_retries(impatient_database, caplog):
    # The real handler in a server of the test's own, so its connections are impatient too.
    executor = ThreadPoolExecutor(max_workers=1)
    port = free_port()
    controller = Controller(smtpd.IngestHandler(executor=executor), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with write_lock_held_elsewhere():
            refused = send(port, fixture_bytes("lang_en"), ["support@escalade.example"])
        assert not Ticket.objects.exists()
        assert not InboundMail.objects.exists()  # not quarantined either: it is to come again
        retried = send(port, fixture_bytes("lang_en"), ["support@escalade.example"])
    finally:
        controller.stop()
        executor.submit(connections.close_all).result()  # the ingest thread's connection
        executor.shutdown()
    ticket = Ticket.objects.get()
    assert refused == (451, "4.3.0 Temporary failure, please try again later")
    assert retried == (250, f"2.0.0 Ok: created #{ticket.pk}")
    assert ticket.customer.email == "jane@kunde.example"
    # The 451 was for the lock, not for a bug of ours (that answers 451 too).
    (why,) = [r.getMessage() for r in caplog.records if r.name == "escalade.mail.smtpd"]
    assert re.match(
        r"smtpd: transient database error, answering 451: "
        r"(database is locked|canceling statement due to lock timeout)",
        why,
    )
