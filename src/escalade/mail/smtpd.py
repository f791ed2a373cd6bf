"""An SMTP or LMTP receiver (aiosmtpd) a mail server delivers to: ``escalade smtpd``.

Each message is ingested in a worker thread (the ORM is synchronous) and answered only
after its transaction committed:

* ``250`` — a ticket or message, a duplicate, a bounce note, or a quarantined copy (content
  we cannot use is kept in the quarantine, never refused with a 5xx);
* ``451`` — a transient failure (database down or locked): the sending server keeps the
  mail and tries again;
* ``552`` — only for mail larger than ``MAIL_SMTP_MAX_BYTES`` (aiosmtpd refuses it while
  receiving, so the sender knows).

In LMTP mode (``--lmtp``) the answer after DATA is given once per accepted recipient, as
RFC 2033 requires; the mail is ingested once for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from escalade.mail import services

logger = logging.getLogger("escalade.mail.smtpd")

TRANSIENT = "451 4.3.0 Temporary failure, please try again later"


def _ingest(raw: bytes, recipients: list[str], source: str) -> services.IngestResult:
    close_old_connections()
    try:
        return services.ingest(raw, source=source, recipients=recipients)
    finally:
        close_old_connections()


def describe(result: services.IngestResult) -> str:
    if result.outcome == services.Outcome.QUARANTINED:
        return f"250 2.0.0 Ok: held for review ({result.quarantine})"
    if result.ticket is not None:
        return f"250 2.0.0 Ok: {result.outcome} #{result.ticket}"
    return f"250 2.0.0 Ok: {result.outcome}"


class IngestHandler:
    """The aiosmtpd handler: DATA -> ``services.ingest`` in a thread."""

    def __init__(self, *, lmtp: bool = False, executor: ThreadPoolExecutor | None = None) -> None:
        self.lmtp = lmtp
        self.executor = executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix="smtpd")
        self.source = "lmtp" if lmtp else "smtp"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):  # decode_data=True servers; ours keep bytes
            raw = raw.encode("utf-8", "surrogateescape")
        recipients = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self.executor, _ingest, raw, recipients, self.source
            )
        except DatabaseError as error:
            logger.warning("smtpd: transient database error, answering 451: %s", error)
            status = TRANSIENT
        except Exception:  # ingest quarantines content problems; this is ours: retry later
            logger.exception("smtpd: ingest failed, answering 451")
            status = TRANSIENT
        else:
            status = describe(result)
        if self.lmtp:
            return "\r\n".join([status] * max(1, len(recipients)))
        return status


def make_server_factory(handler: IngestHandler, *, lmtp: bool, loop=None):
    server_class = LMTP if lmtp else SMTP
    hostname = socket.gethostname()  # getfqdn() may wait on DNS at every connection

    def factory():
        return server_class(
            handler,
            data_size_limit=settings.MAIL_SMTP_MAX_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="Escalade",
            loop=loop,
        )

    return factory


async def _serve(host: str, port: int, lmtp: bool, ready=None) -> None:
    loop = asyncio.get_running_loop()
    handler = IngestHandler(lmtp=lmtp)
    server = await loop.create_server(
        make_server_factory(handler, lmtp=lmtp, loop=loop), host, port
    )
    stopped = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(signum, stopped.set)
    logger.info("%s receiver listening on %s:%d", "LMTP" if lmtp else "SMTP", host, port)
    if ready is not None:
        ready()
    try:
        await stopped.wait()
    finally:
        server.close()
        await server.wait_closed()
        handler.executor.shutdown(wait=True)


def serve(host: str, port: int, *, lmtp: bool = False, ready=None) -> None:
    """Run the receiver until SIGINT/SIGTERM."""
    asyncio.run(_serve(host, port, lmtp, ready))
