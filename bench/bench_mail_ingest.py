"""Inbound mail throughput: 10,000 mixed messages parsed and ingested, per second.

The corpus is generated here, deterministically (seed 5), into a local maildir: first
mails of ~2,500 customers of 100 organisations in the six languages (some with quoted
history and signatures), replies that thread by In-Reply-To, mails with PDF/PNG
attachments, HTML mails, auto-replies, unparseable mails (no From), bounces of mails we
never sent (both quarantined) and redeliveries of an earlier Message-ID.

Measured, each database in a fresh process and a throw-away database:

* ``parse_per_s``: ``parse_message`` alone over the maildir (no database);
* ``<db>_ingest_per_s``: ``escalade.mail.services.ingest`` for every file, read from the
  maildir, in order — a committed transaction per mail with everything it sets off (customer
  and organisation match, ticket, routing, SLA clocks, escalation run, acknowledgement in
  the outbox), then verified: exactly the tickets, messages and quarantined mails the
  generator expects;
* ``<db>_duplicates_per_s``: the same 10,000 again — every one must be a duplicate (or the
  quarantine's existing copy), nothing new written;
* ``mail_imap_<db>_per_s`` (when Dovecot is installed; on PostgreSQL when it answers, else
  SQLite): the same 10,000 appended to a Dovecot account, then one ``imap.fetch_mailbox``
  (fetch, ingest, flag \\Seen) on a fresh database.

``--quick`` (or ESCALADE_BENCH_QUICK=1): 2,000 messages. ``--messages N``, ``--backends
sqlite,postgresql``, ``--no-imap``. PostgreSQL is skipped (and said so) when it does not
answer. Progress goes to stderr; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import _setup

HERE = Path(__file__).resolve().parent
SEED = 5
FULL = 10_000
QUICK = 2_000
ORGANISATIONS = 100
CUSTOMERS = 2_500
SUPPORT = "support@escalade.example"
IMAP_PASSWORD_ENV = "ESCALADE_BENCH_IMAP_PASSWORD"

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" * 20

TEXTS = {
    "en": (
        "Hello,\n\nmy order {n} has not arrived and the tracking page shows nothing since "
        "Monday. Could you please check what happened and when it will be delivered?\n\n"
        "Thanks, {name}",
        "On Mon, 3 Nov 2025 at 10:00, Support <support@escalade.example> wrote:\n"
        "> Thank you for your patience.",
    ),
    "nb": (
        "Hei,\n\npakken med ordre {n} har ikke kommet, og sporingen viser ingenting siden "
        "mandag. Kan dere sjekke hva som har skjedd og når den blir levert?\n\nMvh {name}",
        "3. nov. 2025 kl. 10:00 skrev Support <support@escalade.example>:\n"
        "> Takk for tålmodigheten.",
    ),
    "tr": (
        "Merhaba,\n\n{n} numaralı siparişim hâlâ gelmedi ve kargo takibi pazartesiden beri "
        "hiçbir şey göstermiyor. Lütfen ne olduğunu kontrol eder misiniz?\n\n{name}",
        "Support <support@escalade.example>, 3 Kas 2025 Pzt, 10:00 tarihinde şunu yazdı:\n"
        "> Sabrınız için teşekkürler.",
    ),
    "it": (
        "Buongiorno,\n\nl'ordine {n} non è ancora arrivato e il tracciamento non mostra nulla "
        "da lunedì. Potete verificare cosa è successo e quando verrà consegnato?\n\n{name}",
        "Il giorno lun 3 nov 2025 alle 10:00 Support <support@escalade.example> ha scritto:\n"
        "> Grazie per la pazienza.",
    ),
    "pl": (
        "Dzień dobry,\n\nzamówienie {n} nie dotarło, a śledzenie przesyłki nic nie pokazuje od "
        "poniedziałku. Czy mogą Państwo sprawdzić, co się stało?\n\n{name}",
        "W dniu 3.11.2025 o 10:00 Support <support@escalade.example> pisze:\n"
        "> Dziękujemy za cierpliwość.",
    ),
    "zh": (
        "您好，\n\n我的订单 {n} 到现在还没有到，物流信息从星期一开始就没有更新。"
        "请帮我查一下是怎么回事，什么时候能送到？\n\n{name}",
        "在 2025年11月3日 10:00，Support <support@escalade.example> 写道：\n> 感谢您的耐心。",
    ),
}
SUBJECTS = {
    "en": "Order {n} not delivered",
    "nb": "Ordre {n} ikke levert",
    "tr": "{n} numaralı sipariş gelmedi",
    "it": "Ordine {n} non consegnato",
    "pl": "Zamówienie {n} nie dotarło",
    "zh": "订单 {n} 没有送到",
}
# kind -> share of the corpus, and what ingest must make of it
MIX = [
    ("new", 0.62, "created"),
    ("reply", 0.18, "added"),
    ("attachments", 0.07, "created"),
    ("html", 0.06, "created"),
    ("auto", 0.03, "created"),
    ("unparseable", 0.02, "quarantined"),
    ("bounce", 0.01, "quarantined"),
    ("redelivery", 0.01, "duplicate"),
]


def log(message: str) -> None:
    print(f"[mail-ingest] {message}", file=sys.stderr, flush=True)


# --- the corpus -------------------------------------------------------------------------------


def _head(fields: list[tuple[str, str]]) -> str:
    return "".join(f"{name}: {value}\r\n" for name, value in fields)


def _customer(k: int) -> tuple[str, str]:
    name = f"Customer {k}"
    domain = f"org{k % ORGANISATIONS}.example" if k % 3 else "mail.example"
    return name, f"c{k}@{domain}"


def generate(n: int) -> tuple[list[bytes], Counter]:
    """The corpus, in delivery order, and the outcomes ingest must produce."""
    rng = random.Random(SEED)
    kinds = [kind for kind, _share, _outcome in MIX]
    weights = [share for _kind, share, _outcome in MIX]
    outcome_of = {kind: outcome for kind, _share, outcome in MIX}
    mails: list[bytes] = []
    expected: Counter = Counter()
    firsts: list[tuple[str, str, str, str]] = []  # (message id, subject, name, address)
    stored: list[int] = []  # indexes of mails that become ticket messages
    sent_per_sender: Counter = Counter()
    for i in range(n):
        kind = rng.choices(kinds, weights)[0]
        if kind in {"reply", "redelivery"} and not firsts:
            kind = "new"
        if kind == "reply" and sent_per_sender[firsts[-1][3]] >= 25:
            kind = "new"
        language = rng.choice(list(TEXTS))
        body, history = TEXTS[language]
        k = rng.randrange(CUSTOMERS)
        name, address = _customer(k)
        if sent_per_sender[address] >= 20:  # stay under the per-sender rate limit (30/h)
            k = (k + 1 + i) % CUSTOMERS
            name, address = _customer(k)
        order = 100000 + i
        message_id = f"<bench-{i}@{address.partition('@')[2]}>"
        date = f"Mon, 10 Nov 2025 {8 + i % 10:02d}:{i % 60:02d}:00 +0100"
        text = body.format(n=order, name=name)
        if rng.random() < 0.3:
            text += "\n\n" + history
        subject = SUBJECTS[language].format(n=order)
        fields = [("From", f"{name} <{address}>"), ("To", SUPPORT), ("Date", date)]
        if kind == "unparseable":
            raw = _head(
                [("To", SUPPORT), ("Subject", f"No sender {i}"), ("Message-ID", message_id)]
            )
            mails.append((raw + "\r\n" + text + "\r\n").encode())
            expected["quarantined"] += 1
            continue
        if kind == "redelivery":
            mails.append(mails[rng.choice(stored)])
            expected["duplicate"] += 1
            continue
        if kind == "bounce":
            mails.append(_bounce(i, address))
            expected["quarantined"] += 1
            continue
        if kind == "reply":
            original, first_subject, name, address = rng.choice(firsts)
            fields = [("From", f"{name} <{address}>"), ("To", SUPPORT), ("Date", date)]
            fields += [("In-Reply-To", original), ("References", original)]
            subject = f"Re: {first_subject}"
            text = "Any news? " + text
        if kind == "auto":
            fields.append(("Auto-Submitted", "auto-replied"))
            subject = f"Out of office: {subject}"
        fields += [("Subject", subject), ("Message-ID", message_id), ("MIME-Version", "1.0")]
        if kind == "attachments":
            raw = _with_attachments(fields, text, i)
        elif kind == "html":
            raw = _html(fields, text)
        else:
            fields += [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Transfer-Encoding", "8bit"),
            ]
            raw = (_head(fields) + "\r\n" + text.replace("\n", "\r\n") + "\r\n").encode()
        stored.append(len(mails))
        mails.append(raw)
        sent_per_sender[address] += 1
        expected[outcome_of[kind]] += 1
        if kind in {"new", "attachments", "html"}:
            firsts.append((message_id, subject, name, address))
    return mails, expected


def _with_attachments(fields, text: str, i: int) -> bytes:
    boundary = f"mix-{i}"
    head = _head([*fields, ("Content-Type", f'multipart/mixed; boundary="{boundary}"')])
    parts = [
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n",
        f"--{boundary}\r\nContent-Type: application/pdf\r\n"
        f'Content-Disposition: attachment; filename="invoice-{i}.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.encodebytes(PDF).decode()}",
        f"--{boundary}\r\nContent-Type: image/png\r\n"
        f'Content-Disposition: attachment; filename="screenshot-{i}.png"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.encodebytes(PNG).decode()}",
        f"--{boundary}--\r\n",
    ]
    return (head + "\r\n" + "".join(parts)).encode()


def _html(fields, text: str) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    html = f'<html><body style="font-family: Arial">{paragraphs}<img src="http://t.example/p.gif"></body></html>'
    head = _head([*fields, ("Content-Type", 'multipart/alternative; boundary="alt"')])
    body = (
        f"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--alt--\r\n"
    )
    return (head + "\r\n" + body).encode()


def _bounce(i: int, address: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n"
        f"To: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce-{i}@mx.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\r\n\r\n'
        "--dsn\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        "--dsn\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SUPPORT}\r\nMessage-ID: <never-sent-{i}@escalade.example>\r\n--dsn--\r\n"
    ).encode()


def write_maildir(mails: list[bytes], root: Path) -> Path:
    """A maildir whose file names sort in delivery order."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(mails):
        (root / "new" / f"{1763000000 + i}.M{i:06d}P0.bench").write_bytes(raw)
    return root


def read_maildir(root: Path) -> list[Path]:
    return sorted((root / "new").iterdir())


# --- child: one database --------------------------------------------------------------------------


def _prepare(url: str, home: str) -> None:
    _setup.django_setup(url, home)
    os.environ.setdefault("ESCALADE_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    from django.core.management import call_command

    from escalade.accounts.models import Organisation, Team
    from escalade.mail.models import Mailbox

    call_command("migrate", verbosity=0, interactive=False)
    Organisation.objects.bulk_create(
        Organisation(
            name=f"Org {n}", domains=[f"org{n}.example"], tier=("standard", "premium", "vip")[n % 3]
        )
        for n in range(ORGANISATIONS)
    )
    team = Team.objects.create(slug="support", name="Support")
    Mailbox.objects.create(name="support", address=SUPPORT, team=team)


def _counts() -> dict:
    from escalade.mail.models import InboundMail, OutboundMail
    from escalade.tickets.models import Message, Ticket

    return {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "quarantined": InboundMail.objects.count(),
        "acknowledgements": OutboundMail.objects.count(),
    }


def child_ingest(url: str, home: str, maildir: str, expected: dict) -> dict:
    _prepare(url, home)
    from django.db import connection

    from escalade.mail import services

    files = read_maildir(Path(maildir))
    outcomes: Counter = Counter()
    started = time.perf_counter()
    for path in files:
        outcomes[services.ingest(path.read_bytes(), source="maildir").outcome] += 1
    elapsed = time.perf_counter() - started
    counts = _counts()
    problems = _verify(outcomes, counts, expected)

    again: Counter = Counter()
    started = time.perf_counter()
    for path in files:
        again[services.ingest(path.read_bytes(), source="maildir").outcome] += 1
    elapsed_again = time.perf_counter() - started
    if again != Counter(
        {"duplicate": len(files) - expected["quarantined"], "quarantined": expected["quarantined"]}
    ):
        problems.append(f"re-ingest outcomes {dict(again)}")
    if _counts() != counts:
        problems.append(f"re-ingest wrote rows: {counts} -> {_counts()}")
    return {
        "vendor": connection.vendor,
        "ingest_per_s": round(len(files) / elapsed, 1),
        "ingest_ms_per_mail": round(1000 * elapsed / len(files), 2),
        "duplicates_per_s": round(len(files) / elapsed_again, 1),
        "outcomes": dict(outcomes),
        "rows": counts,
        "problems": problems,
    }


def _verify(outcomes: Counter, counts: dict, expected: dict) -> list[str]:
    problems = []
    if dict(outcomes) != {k: v for k, v in expected.items() if v}:
        problems.append(f"outcomes {dict(outcomes)}, expected {expected}")
    if counts["tickets"] != expected.get("created", 0):
        problems.append(f"{counts['tickets']} tickets, expected {expected.get('created', 0)}")
    wanted_messages = expected.get("created", 0) + expected.get("added", 0)
    if counts["messages"] != wanted_messages:
        problems.append(f"{counts['messages']} messages, expected {wanted_messages}")
    if counts["quarantined"] != expected.get("quarantined", 0):
        problems.append(f"{counts['quarantined']} quarantined, expected {expected['quarantined']}")
    return problems


def child_imap(url: str, home: str, maildir: str, expected: dict) -> dict:
    sys.path.insert(0, str(HERE.parent))
    from tests.mail import dovecot as dovecot_server

    _prepare(url, home)
    from escalade.mail import imap
    from escalade.mail.models import Mailbox

    files = read_maildir(Path(maildir))
    server = dovecot_server.start()
    try:
        user = server.new_user()
        client = server.client(user)
        started = time.perf_counter()
        for start in range(0, len(files), 200):
            client.multiappend("INBOX", [path.read_bytes() for path in files[start : start + 200]])
        append_s = time.perf_counter() - started
        client.logout()
        os.environ[IMAP_PASSWORD_ENV] = dovecot_server.PASSWORD
        mailbox = Mailbox.objects.get()
        mailbox.imap_host, mailbox.imap_port, mailbox.imap_tls = server.host, server.port, False
        mailbox.imap_user, mailbox.imap_password_env = user, IMAP_PASSWORD_ENV
        mailbox.save()
        started = time.perf_counter()
        result = imap.fetch_mailbox(mailbox)
        elapsed = time.perf_counter() - started
        client = server.client(user)
        client.select_folder("INBOX", readonly=True)
        unseen = len(client.search(["UNSEEN"]))
        client.logout()
    finally:
        server.stop()
    problems = _verify(result.outcomes, _counts(), expected)
    if result.error:
        problems.append(result.error)
    if unseen:
        problems.append(f"{unseen} messages left unseen")
    return {
        "imap_per_s": round(result.fetched / elapsed, 1),
        "imap_append_s": round(append_s, 1),
        "problems": problems,
    }


# --- parent ---------------------------------------------------------------------------------------


def run_child(mode: str, vendor: str, maildir: Path, expected: Counter) -> dict:
    home = _setup.temp_home("escalade-bench-mail-")
    database = None
    try:
        if vendor == "postgresql":
            database = f"escalade_bench_mail_{os.getpid()}_{mode}"
            _setup.pg_drop(database)
            url = _setup.pg_create(database)
        else:
            url = f"sqlite:///{home}/bench.sqlite3"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            mode,
            url,
            home,
            str(maildir),
            json.dumps(dict(expected)),
        ]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent)])}
        completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, check=False)
        lines = [line for line in completed.stdout.splitlines() if line.strip()]
        if completed.returncode != 0 or not lines:
            raise RuntimeError(f"child {mode} on {vendor} failed ({completed.returncode})")
        return json.loads(lines[-1])
    finally:
        if database:
            _setup.pg_drop(database)
        shutil.rmtree(home, ignore_errors=True)


def parse_rate(files: list[Path]) -> float:
    from escalade.mail.parsing import UnparseableMail, parse_message

    mails = [path.read_bytes() for path in files]
    started = time.perf_counter()
    for raw in mails:
        with contextlib.suppress(UnparseableMail):
            parse_message(raw)
    return len(mails) / (time.perf_counter() - started)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-imap", action="store_true")
    options = parser.parse_args(argv)
    quick = options.quick or os.environ.get("ESCALADE_BENCH_QUICK") == "1"
    n = options.messages or (QUICK if quick else FULL)

    work = Path(tempfile.mkdtemp(prefix="escalade-bench-maildir-"))
    try:
        log(f"generating {n} messages into a maildir")
        mails, expected = generate(n)
        maildir = write_maildir(mails, work / "Maildir")
        files = read_maildir(maildir)
        result: dict = {
            "mail_ingest_messages": n,
            "mail_ingest_mix": dict(sorted(expected.items())),
            "mail_ingest_mean_bytes": round(sum(map(len, mails)) / len(mails)),
            "mail_parse_per_s": round(parse_rate(files)),
        }
        log(f"parse: {result['mail_parse_per_s']}/s")
        backends = [b for b in options.backends.split(",") if b]
        unavailable = _setup.pg_available() if "postgresql" in backends else None
        if unavailable:
            log(f"PostgreSQL skipped: {unavailable}")
            result["postgresql_skipped"] = unavailable
            backends.remove("postgresql")
        problems: list[str] = []
        for vendor in backends:
            log(f"ingest on {vendor}")
            child = run_child("ingest", vendor, maildir, expected)
            log(f"{vendor}: {child['ingest_per_s']}/s, duplicates {child['duplicates_per_s']}/s")
            result[f"mail_ingest_{vendor}_per_s"] = child["ingest_per_s"]
            result[f"mail_ingest_{vendor}_ms_per_mail"] = child["ingest_ms_per_mail"]
            result[f"mail_duplicates_{vendor}_per_s"] = child["duplicates_per_s"]
            result[f"mail_ingest_{vendor}_rows"] = child["rows"]
            problems += [f"{vendor}: {p}" for p in child["problems"]]
        if options.no_imap or not _dovecot_installed():
            result["mail_imap_skipped"] = "--no-imap" if options.no_imap else "no Dovecot"
        elif backends:
            # Once, on the production database when there is one: IMAP adds the same per
            # mail on both, and a second 10,000-mail run would double the benchmark's time.
            vendor = "postgresql" if "postgresql" in backends else backends[0]
            log(f"IMAP fetch from Dovecot on {vendor}")
            imap = run_child("imap", vendor, maildir, expected)
            log(f"{vendor} IMAP: {imap['imap_per_s']}/s")
            result[f"mail_imap_{vendor}_per_s"] = imap["imap_per_s"]
            result[f"mail_imap_{vendor}_append_s"] = imap["imap_append_s"]
            problems += [f"{vendor} imap: {p}" for p in imap["problems"]]
        result["problems"] = problems
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))
    return 1 if result.get("problems") else 0


def _dovecot_installed() -> bool:
    return shutil.which("dovecot") is not None or os.access("/usr/sbin/dovecot", os.X_OK)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, url, home, maildir, expected_json = sys.argv[2:7]
        expected = json.loads(expected_json)
        output = (child_ingest if mode == "ingest" else child_imap)(url, home, maildir, expected)
        print(json.dumps(output))
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
