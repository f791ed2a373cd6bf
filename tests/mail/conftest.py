"""Real mail servers for the email channel's tests.

* ``smtp_sink``: an aiosmtpd server on a free loopback port that keeps every mail it is
  given; Django's SMTP backend is pointed at it, so outbound mail really goes over SMTP.
* ``dovecot``: Debian's Dovecot, started by the test run on a free loopback port with a
  configuration written to a temp dir (maildir there, plaintext passwords in a passwd-file,
  no TLS), and stopped at the end. Missing Dovecot skips the IMAP tests, except under
  ``CI=true`` where it fails them.
* ``impatient_database`` and ``write_lock_held_elsewhere``: another connection holds a lock a
  delivery needs, and this test's connections give up on it after 0.1 s: a real "database is
  locked" (SQLite) or lock timeout (PostgreSQL).
"""

from __future__ import annotations

import email
import os
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from escalade.tickets.models import Message
from tests.mail import dovecot as dovecot_server

FIXTURES = Path(__file__).parent / "fixtures"
SUPPORT = "support@escalade.example"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.eml").read_bytes()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"process exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # waiting for a server to listen, not moving time


# --- a lock held by another connection ---------------------------------------------------


@pytest.fixture
def impatient_database(transactional_db):
    """Every connection this test opens gives up on a held lock after 0.1 s.

    The settings let SQLite wait 20 s for the write lock and PostgreSQL waits for ever; a
    test that meets a lock held elsewhere wants the error, not the wait. A transactional
    test: the test's own transaction would hold SQLite's write lock itself.
    """
    options = connection.settings_dict["OPTIONS"]  # the one dict every thread connects with
    saved = dict(options)
    if connection.vendor == "sqlite":
        options["timeout"] = 0.1
    else:
        options["options"] = "-c lock_timeout=100"
    connection.close()  # the next query connects with these options
    try:
        yield
    finally:
        options.clear()
        options.update(saved)
        connection.close()


@contextmanager
def write_lock_held_elsewhere() -> Iterator[Callable[[], None]]:
    """A second, raw connection to the test database holds the lock a delivery needs to store
    a message, until the block ends or the ``release()`` it gives is called (that other
    writer finishing).

    SQLite: the database's one write lock (BEGIN IMMEDIATE), as another busy writer holds
    it. PostgreSQL: an EXCLUSIVE lock on the message table, as a migration or a bulk job
    would hold it: reading goes on, storing a message waits.
    """
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        other = sqlite3.connect(settings["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
        )
        other.execute(f'LOCK TABLE "{Message._meta.db_table}" IN EXCLUSIVE MODE')
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            other.rollback()  # answered once the lock is gone; a close() may not wait for it

    try:
        yield release
    finally:
        release()
        other.close()


# --- the SMTP sink -------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclass
class SmtpSink:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 2.0.0 Ok: kept"


@pytest.fixture
def smtp_sink(settings):
    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        controller.stop()


# --- Dovecot -----------------------------------------------------------------------------------

DOVECOT_PASSWORD = dovecot_server.PASSWORD


@pytest.fixture(scope="session")
def dovecot():
    try:
        server = dovecot_server.start()
    except dovecot_server.DovecotMissing as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}; it is required under CI=true")
        pytest.skip(str(missing))
    try:
        yield server
    finally:
        server.stop()
