"""Real mail servers for the email channel's tests.

* ``smtp_sink``: an aiosmtpd server on a free loopback port that keeps every mail it is
  given; Django's SMTP backend is pointed at it, so outbound mail really goes over SMTP.
* ``dovecot``: Debian's Dovecot, started by the test run on a free loopback port with a
  configuration written to a temp dir (maildir there, plaintext passwords in a passwd-file,
  no TLS), and stopped at the end. Missing Dovecot skips the IMAP tests, except under
  ``CI=true`` where it fails them.
"""

from __future__ import annotations

import email
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

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
