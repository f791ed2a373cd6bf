"""`escalade mail ingest` (an MTA pipe) and `escalade mail quarantine`, as real processes."""

from __future__ import annotations

import json
import subprocess

import pytest

from escalade.mail.models import InboundMail
from escalade.tickets.models import Ticket
from tests.mail.conftest import FIXTURES, fixture_bytes
from tests.processes import ESCALADE, child_env, run_escalade

pytestmark = pytest.mark.django_db(transaction=True)


def pipe(raw: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ESCALADE, "mail", "ingest", *args],
        input=raw,
        env=child_env(),
        capture_output=True,
        timeout=120,
    )


def test_ingest_a_file_prints_one_line_of_json():
    done = run_escalade("mail", "ingest", str(FIXTURES / "lang_tr.eml"))
    assert done.returncode == 0, done.stderr
    ticket = Ticket.objects.get()
    assert json.loads(done.stdout) == {
        "outcome": "created",
        "ticket": ticket.pk,
        "message": ticket.messages.get().pk,
        "quarantine": None,
        "reason": "",
        "acknowledged": True,
        "refused_attachments": [],
    }
    assert done.stdout.count("\n") == 1
    assert ticket.language == "tr"
    assert ticket.messages.get().metadata["email"]["source"] == "pipe"


def test_ingest_from_stdin_twice_is_one_ticket_and_a_duplicate():
    first = pipe(fixture_bytes("duplicate_delivery_1"), "-", "--recipient", "support@x.example")
    second = pipe(fixture_bytes("duplicate_delivery_2"))
    assert (first.returncode, second.returncode) == (0, 0)
    ticket = Ticket.objects.get()
    assert json.loads(second.stdout)["outcome"] == "duplicate"
    assert json.loads(second.stdout)["ticket"] == ticket.pk


def test_ingest_quarantines_garbage_and_still_exits_0():
    done = pipe(b"\x00\x01 this is not mail at all")
    assert done.returncode == 0
    held = InboundMail.objects.get()
    assert json.loads(done.stdout) == {
        "outcome": "quarantined",
        "ticket": None,
        "message": None,
        "quarantine": held.pk,
        "reason": "not an email message: no headers",
        "acknowledged": False,
        "refused_attachments": [],
    }
    assert bytes(held.raw) == b"\x00\x01 this is not mail at all"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["/nonexistent/mail.eml"],
            b"",
            "escalade: /nonexistent/mail.eml: cannot read: No such file or directory",
        ),
        (["-"], b"", "escalade: standard input: no message (empty)"),
        (["-"], b"  \r\n\r\n", "escalade: standard input: no message (empty)"),
    ],
)
def test_unreadable_input_exits_2_with_a_clear_message(args, stdin, message):
    done = pipe(stdin, *args)
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode().strip() == message
    assert not InboundMail.objects.exists()


def test_quarantine_list_show_reprocess_and_discard():
    pipe(fixture_bytes("no_from"))
    pipe(fixture_bytes("invalid_from"))
    first, second = InboundMail.objects.order_by("id")

    listed = run_escalade("mail", "quarantine", "list")
    assert listed.returncode == 0
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(row["id"], row["reason"], row["subject"]) for row in rows] == [
        (
            second.pk,
            "invalid From address: 'Kari Nordmann <kari at kunde dot example>'",
            second.subject,
        ),
        (first.pk, "no From header", "Who sent this?"),
    ]

    shown = subprocess.run(
        [ESCALADE, "mail", "quarantine", "show", str(first.pk)],
        env=child_env(),
        capture_output=True,
        timeout=60,
    )
    assert shown.stdout == fixture_bytes("no_from")

    again = run_escalade("mail", "quarantine", "reprocess", str(first.pk))
    assert again.returncode == 1  # still unparseable: stays in the quarantine
    assert json.loads(again.stdout)["outcome"] == "quarantined"

    discarded = run_escalade("mail", "quarantine", "discard", str(first.pk))
    assert (discarded.returncode, discarded.stdout) == (0, f"mail {first.pk} discarded\n")
    twice = run_escalade("mail", "quarantine", "discard", str(first.pk))
    assert twice.returncode == 1
    assert twice.stderr.strip() == (
        f"escalade: mail {first.pk}: Only a quarantined mail can be discarded."
    )
    remaining = run_escalade("mail", "quarantine", "list")
    assert [json.loads(line)["id"] for line in remaining.stdout.splitlines()] == [second.pk]
    everything = run_escalade("mail", "quarantine", "list", "--status", "all")
    assert len(everything.stdout.splitlines()) == 2


def test_quarantine_reprocess_ignoring_limits_makes_the_ticket():
    held = subprocess.run(
        [ESCALADE, "mail", "ingest"],
        input=fixture_bytes("multipart_mixed_attachments"),
        env=child_env(ESCALADE_MAIL_MAX_BYTES="200"),
        capture_output=True,
        timeout=120,
    )
    result = json.loads(held.stdout)
    assert result["reason"].endswith("bytes, limit 200")
    refused = run_escalade(
        "mail", "quarantine", "reprocess", str(result["quarantine"]), ESCALADE_MAIL_MAX_BYTES="200"
    )
    assert refused.returncode == 1
    done = run_escalade(
        "mail",
        "quarantine",
        "reprocess",
        str(result["quarantine"]),
        "--ignore-limits",
        ESCALADE_MAIL_MAX_BYTES="200",
    )
    assert done.returncode == 0, done.stderr
    ticket = Ticket.objects.get()
    assert json.loads(done.stdout)["ticket"] == ticket.pk
    assert InboundMail.objects.get().status == "reprocessed"
