"""Read the mailboxes' IMAP folders into tickets.

For each message: fetch it without setting \\Seen (``BODY.PEEK[]``), ``ingest`` it (which
commits), and only then mark it processed — flagged \\Seen, or moved to the mailbox's
processed folder. A crash between the commit and the flag means the message comes again
and is a duplicate (its Message-ID is known), never a second ticket. A quarantined message
counts as processed too, so one bad mail never stalls the folder. A transient database
error stops the round for that mailbox and leaves the message where it is.

``escalade mail fetch`` runs it from the command line; the worker polls every
``MAIL_POLL_INTERVAL_SECONDS`` when mailboxes with an IMAP host exist.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from imapclient import DELETED, SEEN, IMAPClient

from escalade.core import clock
from escalade.mail import services
from escalade.mail.models import Mailbox

logger = logging.getLogger("escalade.mail.imap")

BATCH_SIZE = 50  # messages fetched per IMAP command
LEASE = timedelta(minutes=10)
TIMEOUT_SECONDS = 60


class MailboxError(Exception):
    """The mailbox cannot be read (configuration, network, login)."""


@dataclass
class FetchResult:
    mailbox: str
    fetched: int = 0
    outcomes: Counter = field(default_factory=Counter)
    error: str = ""
    skipped: bool = False  # another worker holds the mailbox

    def as_dict(self) -> dict:
        return {
            "mailbox": self.mailbox,
            "fetched": self.fetched,
            "outcomes": dict(self.outcomes),
            "error": self.error,
            "skipped": self.skipped,
        }


def connect(mailbox: Mailbox) -> IMAPClient:
    if not mailbox.imap_host:
        raise MailboxError(f"mailbox {mailbox.name} has no IMAP host")
    password = os.environ.get(mailbox.imap_password_env) if mailbox.imap_password_env else None
    if password is None:
        raise MailboxError(
            f"mailbox {mailbox.name}: the environment variable "
            f"{mailbox.imap_password_env or '(none configured)'} holding its password is not set"
        )
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=mailbox.imap_tls,
        ssl_context=context if mailbox.imap_tls else None,
        timeout=TIMEOUT_SECONDS,
    )
    try:
        if mailbox.imap_starttls and not mailbox.imap_tls:
            client.starttls(context)
        client.login(mailbox.imap_user, password)
    except Exception:
        _logout(client)
        raise
    return client


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection is gone already; nothing to clean up
        logger.debug("IMAP logout failed", exc_info=True)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _claim(mailbox: Mailbox) -> bool:
    """Take the mailbox's lease, so two workers never read one folder at the same time."""
    now = clock.now()
    return (
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=_holder()))
        .update(locked_until=now + LEASE, locked_by=_holder())
        == 1
    )


def _release(mailbox: Mailbox, error: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk, locked_by=_holder()).update(
        locked_until=None, locked_by="", last_polled_at=clock.now(), last_error=error[:2000]
    )


def fetch_mailbox(mailbox: Mailbox, *, limit: int | None = None) -> FetchResult:
    """Ingest the waiting messages of one mailbox (at most ``limit``); never raises."""
    result = FetchResult(mailbox.name)
    if not _claim(mailbox):
        result.skipped = True
        return result
    try:
        client = connect(mailbox)
        try:
            _fetch(client, mailbox, result, limit)
        finally:
            _logout(client)
    except DatabaseError as error:
        result.error = f"database: {type(error).__name__}: {error}"
        logger.warning("mailbox %s: %s; will try again", mailbox.name, result.error)
    except Exception as error:  # network, TLS, login, server errors: reported, retried later
        result.error = f"{type(error).__name__}: {error}"
        logger.warning("mailbox %s: %s", mailbox.name, result.error)
    finally:
        try:
            _release(mailbox, result.error)
        except DatabaseError:
            logger.exception("mailbox %s: could not release the lease", mailbox.name)
    return result


def _fetch(client: IMAPClient, mailbox: Mailbox, result: FetchResult, limit: int | None) -> None:
    client.select_folder(mailbox.imap_folder)
    if mailbox.processed_folder and not client.folder_exists(mailbox.processed_folder):
        client.create_folder(mailbox.processed_folder)
    # Moved mail leaves the folder, so everything left is waiting; flagged mail stays.
    criteria = ["UNDELETED"] if mailbox.processed_folder else ["UNSEEN", "UNDELETED"]
    uids = sorted(client.search(criteria))
    if limit is not None:
        uids = uids[:limit]
    source = f"imap:{mailbox.name}"
    for start in range(0, len(uids), BATCH_SIZE):
        chunk = uids[start : start + BATCH_SIZE]
        response = client.fetch(chunk, ["BODY.PEEK[]"])
        done: list[int] = []
        try:
            for uid in chunk:
                raw = (response.get(uid) or {}).get(b"BODY[]")
                if raw is None:  # expunged by someone else meanwhile
                    continue
                outcome = services.ingest(raw, source=source, mailbox=mailbox)
                done.append(uid)
                result.fetched += 1
                result.outcomes[outcome.outcome] += 1
        finally:
            # Whatever was committed is marked, even when a later message failed.
            _mark_processed(client, mailbox, done)


def _mark_processed(client: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    if not uids:
        return
    if not mailbox.processed_folder:
        client.add_flags(uids, [SEEN])
    elif client.has_capability("MOVE"):
        client.move(uids, mailbox.processed_folder)
    else:
        client.copy(uids, mailbox.processed_folder)
        client.add_flags(uids, [DELETED])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()


def imap_mailboxes(name: str | None = None):
    mailboxes = Mailbox.objects.filter(active=True).exclude(imap_host="").select_related("team")
    return mailboxes.filter(name=name) if name else mailboxes


def fetch_all(*, name: str | None = None, limit: int | None = None) -> list[FetchResult]:
    return [fetch_mailbox(mailbox, limit=limit) for mailbox in imap_mailboxes(name)]


def poll_forever(
    *, interval: float | None = None, name: str | None = None, stop: threading.Event | None = None
) -> None:
    """``escalade mail fetch`` without --once: poll every ``interval`` seconds until stopped."""
    from django.db import connection

    stop = stop or threading.Event()
    interval = settings.MAIL_POLL_INTERVAL_SECONDS if interval is None else interval
    while not stop.is_set():
        started = time.monotonic()
        try:
            for result in fetch_all(name=name):
                if result.fetched or result.error:
                    logger.info("mailbox %s: %s", result.mailbox, result.as_dict())
        except Exception:
            logger.exception("mail poll failed; retrying")
        finally:
            connection.close_if_unusable_or_obsolete()
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


# --- the worker's poll -----------------------------------------------------------------------

WORKER_LIMIT = 200  # messages per mailbox per worker round, so timers are not starved
_next_poll = [0.0]


def poll_if_due() -> list[FetchResult]:
    """Called by the worker loop: poll the IMAP mailboxes when the interval has passed.

    Never raises: a mailbox error is logged and retried at the next interval.
    """
    moment = time.monotonic()
    if moment < _next_poll[0]:
        return []
    _next_poll[0] = moment + settings.MAIL_POLL_INTERVAL_SECONDS
    try:
        results = fetch_all(limit=WORKER_LIMIT)
    except Exception:
        logger.exception("mail poll failed; retrying at the next interval")
        return []
    for result in results:
        if result.fetched or result.error:
            logger.info("mailbox %s: %s", result.mailbox, result.as_dict())
        if result.fetched >= WORKER_LIMIT:
            _next_poll[0] = 0.0  # more waiting: come back at the next worker round
    return results
