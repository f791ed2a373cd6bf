"""The IMAP fetcher against a real Dovecot started by the test run (see conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import ExitStack

import pytest
from django.db import DatabaseError, connection, transaction

from escalade.mail import imap
from escalade.mail.models import InboundMail, Mailbox, RawMessage
from escalade.tickets.models import Message, Ticket
from tests.mail.conftest import (
    DOVECOT_PASSWORD,
    SUPPORT,
    fixture_bytes,
    write_lock_held_elsewhere,
)
from tests.processes import run_escalade

PASSWORD_ENV = "ESCALADE_TEST_IMAP_PASSWORD"


@pytest.fixture
def account(dovecot, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, DOVECOT_PASSWORD)
    return dovecot.new_user()


def make_mailbox(make, dovecot, user: str, *, processed_folder: str = "") -> Mailbox:
    return Mailbox.objects.create(
        name=user,
        address=SUPPORT,
        team=make.team(f"team-{user}"),
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_tls=False,
        imap_user=user,
        imap_password_env=PASSWORD_ENV,
        processed_folder=processed_folder,
    )


def append(dovecot, user: str, *names: str, folder: str = "INBOX") -> None:
    client = dovecot.client(user)
    try:
        for name in names:
            client.append(folder, fixture_bytes(name))
    finally:
        client.logout()


def folder_state(dovecot, user: str, folder: str = "INBOX") -> list[tuple[str, bool]]:
    """(Message-ID, seen) of each message in a folder, in order."""
    client = dovecot.client(user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        if not uids:
            return []
        data = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        state = []
        for uid in sorted(data):
            header = data[uid][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().strip()
            state.append((header.partition(":")[2].strip(), b"\\Seen" in data[uid][b"FLAGS"]))
        return state
    finally:
        client.logout()


MIXED = ("thread_1_customer", "no_from", "duplicate_delivery_1", "duplicate_delivery_2", "lang_it")


@pytest.mark.django_db
def test_fetch_makes_tickets_and_flags_every_message_seen_after_commit(
    clock, make, dovecot, account
):
    mailbox = make_mailbox(make, dovecot, account)
    append(dovecot, account, *MIXED)

    result = imap.fetch_mailbox(mailbox)

    assert result.as_dict() == {
        "mailbox": account,
        "fetched": 5,
        "outcomes": {"created": 3, "quarantined": 1, "duplicate": 1},
        "error": "",
        "skipped": False,
    }
    assert sorted(Ticket.objects.values_list("subject", "team__slug")) == [
        ("Delivered twice", f"team-{account}"),
        ("Order 5521 not delivered", f"team-{account}"),
        ("Ordine non arrivato", f"team-{account}"),
    ]
    assert Message.objects.count() == 3
    held = InboundMail.objects.get()
    assert (held.reason, held.source, held.mailbox) == (
        "no From header",
        f"imap:{account}",
        mailbox,
    )
    assert bytes(held.raw) == fixture_bytes("no_from").replace(b"\n", b"\r\n")
    # Everything is flagged, the quarantined mail too: nothing stalls the folder.
    assert folder_state(dovecot, account) == [
        ("<thread-1@kunde.example>", True),
        ("<no-from@kunde.example>", True),
        ("<twice@kunde.example>", True),
        ("<twice@kunde.example>", True),
        ("<lang-it@kunde.example>", True),
    ]
    mailbox.refresh_from_db()
    assert (mailbox.last_polled_at, mailbox.last_error, mailbox.locked_by) == (clock.now(), "", "")
    # A second round finds nothing new.
    assert imap.fetch_mailbox(mailbox).fetched == 0


@pytest.mark.django_db
def test_fetch_moves_processed_mail_to_a_folder(clock, make, dovecot, account):
    mailbox = make_mailbox(make, dovecot, account, processed_folder="Processed")
    append(dovecot, account, "thread_1_customer", "not_a_mail")
    result = imap.fetch_mailbox(mailbox)
    assert result.outcomes == {"created": 1, "quarantined": 1}
    assert folder_state(dovecot, account) == []
    assert folder_state(dovecot, account, "Processed") == [
        ("<thread-1@kunde.example>", False),
        ("", False),
    ]


INSERT_RAW = f'INSERT INTO "{RawMessage._meta.db_table}"'
INSERT_MESSAGE = f'INSERT INTO "{Message._meta.db_table}"'


def once_mail_committed(count: int, do: Callable[[], object]):
    """A query hook (``connection.execute_wrapper``): ``do()`` the moment the round's
    ``count``-th stored mail has been committed, before the fetcher goes on.

    The raw copy is the last row an ingest writes; from there ``do()`` is left to Django's
    ``on_commit``, which runs it right after that mail's transaction commits. Robust: should
    ``do()`` fail, Django logs it and the test fails on its assertions, while the fetcher
    never sees the test's own error.
    """
    stored = 0

    def hook(execute, sql, params, many, context):
        nonlocal stored
        done = execute(sql, params, many, context)
        if sql.startswith(INSERT_RAW):
            stored += 1
            if stored == count:
                transaction.on_commit(do, robust=True)
        return done

    return hook


@pytest.mark.django_db(transaction=True)  # the tickets are really committed before the crash
def test_a_crash_between_commit_and_flag_gives_a_duplicate_not_a_second_ticket(
    clock, make, dovecot, account
):
    mailbox = make_mailbox(make, dovecot, account)
    append(dovecot, account, "thread_1_customer", "lang_pl")
    # The server drops the fetcher's connection the moment the second ticket is committed
    # (doveadm kick): the \Seen flags the fetcher sends next meet a closed connection.
    with connection.execute_wrapper(once_mail_committed(2, lambda: dovecot.kick(account))):
        first = imap.fetch_mailbox(mailbox)
    assert (first.fetched, dict(first.outcomes), first.error) == (
        2,
        {"created": 2},
        "abort: command: UID => Server shutting down.",
    )
    assert Ticket.objects.count() == 2  # committed
    assert folder_state(dovecot, account) == [
        ("<thread-1@kunde.example>", False),
        ("<lang-pl@kunde.example>", False),
    ]
    mailbox.refresh_from_db()
    assert (mailbox.last_error, mailbox.locked_by) == (first.error, "")

    again = imap.fetch_mailbox(mailbox)
    assert (again.fetched, dict(again.outcomes), again.error) == (2, {"duplicate": 2}, "")
    assert Ticket.objects.count() == 2
    assert Message.objects.count() == 2
    assert [seen for _id, seen in folder_state(dovecot, account)] == [True, True]
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_leaves_the_mail_unflagged_for_the_next_round(
    clock, make, dovecot, account, impatient_database
):
    mailbox = make_mailbox(make, dovecot, account)
    append(dovecot, account, "thread_1_customer", "lang_tr", "lang_nb")
    with ExitStack() as stack:
        held: list[Callable[[], None]] = []

        def another_writer_takes_the_lock() -> None:
            held.append(stack.enter_context(write_lock_held_elsewhere()))

        def it_finishes_when_the_fetcher_gives_up(execute, sql, params, many, context):
            try:
                return execute(sql, params, many, context)
            except DatabaseError:
                for release in held:
                    release()
                raise

        # Once the first mail is committed, another writer holds the lock the second one
        # needs: a real "database is locked" (SQLite) or lock timeout (PostgreSQL).
        stack.enter_context(
            connection.execute_wrapper(once_mail_committed(1, another_writer_takes_the_lock))
        )
        stack.enter_context(connection.execute_wrapper(it_finishes_when_the_fetcher_gives_up))
        first = imap.fetch_mailbox(mailbox)
    assert len(held) == 1
    assert (first.fetched, dict(first.outcomes)) == (1, {"created": 1})
    # PostgreSQL's message points at the statement that waited: storing the message.
    assert re.fullmatch(
        r"database: OperationalError: (database is locked|canceling statement due to lock "
        rf"timeout\nLINE 1: {re.escape(INSERT_MESSAGE)} .*)",
        first.error,
        re.DOTALL,
    ), first.error
    assert Ticket.objects.count() == 1
    # The committed mail is flagged; the round stopped at the second, the third waits too.
    assert folder_state(dovecot, account) == [
        ("<thread-1@kunde.example>", True),
        ("<lang-tr@kunde.example>", False),
        ("<lang-nb@kunde.example>", False),
    ]
    mailbox.refresh_from_db()
    assert (mailbox.last_error, mailbox.locked_by) == (first.error, "")

    second = imap.fetch_mailbox(mailbox)
    assert (second.fetched, dict(second.outcomes), second.error) == (2, {"created": 2}, "")
    assert Ticket.objects.count() == 3
    assert [seen for _id, seen in folder_state(dovecot, account)] == [True, True, True]
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


@pytest.mark.django_db
def test_a_wrong_password_is_reported_on_the_mailbox_not_raised(
    clock, make, dovecot, account, monkeypatch
):
    mailbox = make_mailbox(make, dovecot, account)
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    result = imap.fetch_mailbox(mailbox)
    assert result.fetched == 0
    assert result.error.startswith("LoginError")
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error
    assert mailbox.locked_until is None


@pytest.mark.django_db
def test_a_mailbox_held_by_another_worker_is_skipped(clock, make, dovecot, account):
    mailbox = make_mailbox(make, dovecot, account)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        locked_by="other-host:1:1", locked_until=clock.now().replace(year=2030)
    )
    append(dovecot, account, "thread_1_customer")
    assert imap.fetch_mailbox(mailbox).skipped is True
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_escalade_mail_fetch_once_from_the_command_line(make, dovecot, account):
    make_mailbox(make, dovecot, account)
    append(dovecot, account, "lang_zh", "invalid_from")
    done = run_escalade(
        "mail", "fetch", "--once", "--mailbox", account, **{PASSWORD_ENV: DOVECOT_PASSWORD}
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "mailbox": account,
        "fetched": 2,
        "outcomes": {"created": 1, "quarantined": 1},
        "error": "",
        "skipped": False,
    }
    ticket = Ticket.objects.get()
    assert (ticket.language, ticket.customer.email) == ("zh-hans", "zhang@kunde.example")
    assert [seen for _id, seen in folder_state(dovecot, account)] == [True, True]


@pytest.mark.django_db(transaction=True)
def test_escalade_mail_fetch_names_an_unknown_mailbox(make):
    done = run_escalade("mail", "fetch", "--once", "--mailbox", "nope")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "escalade: no active mailbox named 'nope' with an IMAP host is configured"
    )


@pytest.mark.django_db
def test_the_worker_polls_the_mailboxes_when_the_interval_has_passed(
    clock, make, dovecot, account, monkeypatch, settings
):
    settings.MAIL_POLL_INTERVAL_SECONDS = 3600
    mailbox = make_mailbox(make, dovecot, account)
    append(dovecot, account, "lang_en")
    monkeypatch.setattr(imap, "_next_poll", [0.0])
    (result,) = imap.poll_if_due()
    assert (result.mailbox, result.fetched) == (mailbox.name, 1)
    append(dovecot, account, "lang_nb")
    assert imap.poll_if_due() == []  # not due for an hour
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_poll_never_stops_the_worker(monkeypatch):
    import threading

    from escalade.core import worker

    stop = threading.Event()
    calls = []

    def broken():
        calls.append(1)
        stop.set()
        raise RuntimeError("IMAP exploded")

    monkeypatch.setattr(imap, "poll_if_due", broken)
    worker.run_forever(interval=0, stop=stop)  # returns instead of raising
    assert calls == [1]
