"""The ``escalade`` command."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalade.settings")
    import django

    django.setup()


def command(name: str):
    def register(function: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = function
        return function

    return register


def _fail(message: str, code: int = 2) -> int:
    print(f"escalade: {message}", file=sys.stderr)
    return code


@command("migrate")
def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


@command("createadmin")
def cmd_createadmin(args: argparse.Namespace) -> int:
    from escalade.accounts import services
    from escalade.core.actors import SYSTEM
    from escalade.core.errors import ServiceError

    password = args.password or os.environ.get("ESCALADE_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            return _fail("no password: pass --password or set ESCALADE_ADMIN_PASSWORD")
        password = getpass.getpass("Password: ")
    if len(password) < 10:
        return _fail("the password must have at least 10 characters")
    try:
        services.create_agent(
            SYSTEM,
            username=args.username,
            email=args.email,
            password=password,
            role="admin",
            name=args.name,
        )
    except ServiceError as exc:
        return _fail(exc.message)
    print(f"admin {args.username} created")
    return 0


@command("loaddemo")
def cmd_loaddemo(args: argparse.Namespace) -> int:
    from escalade.demo import load_demo

    summary = load_demo(reset=args.reset)
    print(summary.describe())
    return 0


def _serve(host: str, port: int, workers: int, with_worker: bool) -> int:
    import uvicorn

    if with_worker and workers == 1:
        os.environ["ESCALADE_EMBEDDED_WORKER"] = "1"
    uvicorn.run(
        "escalade.asgi:application",
        host=host,
        port=port,
        workers=workers,
        log_level=os.environ.get("ESCALADE_LOG_LEVEL", "info").lower(),
        lifespan="off",
    )
    return 0


@command("serve")
def cmd_serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        return _fail("--workers must be at least 1")
    return _serve(args.host, args.port, args.workers, not args.no_worker)


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from escalade.demo import load_demo

    call_command("migrate", interactive=False, verbosity=0)
    summary = load_demo(reset=False)
    print(summary.describe())
    print(
        f"\nEscalade is starting on http://{args.host}:{args.port}/  (Ctrl+C to stop)\n", flush=True
    )
    return _serve(args.host, args.port, 1, not args.no_worker)


@command("worker")
def cmd_worker(args: argparse.Namespace) -> int:
    import json

    from escalade.core import worker
    from escalade.core.clock import parse_instant

    if args.batch < 1:
        return _fail("--batch must be at least 1")
    if not args.once:
        if args.now:
            return _fail("--now needs --once: a running worker follows the real clock")
        worker.run_forever(interval=args.interval, batch_size=args.batch)
        return 0
    try:
        now = parse_instant(args.now) if args.now else None
    except ValueError as exc:
        return _fail(f"--now: {exc}")
    if not worker.acquire_lease():
        return _fail("another worker holds the SQLite lease; try again when it stops", 3)
    try:
        result = worker.run_once(now, batch_size=args.batch)
    finally:
        worker.release_lease()
    print(
        json.dumps(
            {
                "tickets": result.tickets,
                "batches": result.batches,
                "outbox_sent": result.outbox_sent,
                "outbox_failed": result.outbox_failed,
                "overdue": result.overdue,
            }
        )
    )
    return 0


@command("policy")
def cmd_policy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from django.utils.translation import gettext as _

    from escalade.core.actors import system
    from escalade.core.errors import ServiceError
    from escalade.escalation import selectors, services
    from escalade.escalation.document import DocumentError, dump_document, load_document

    path = Path(args.file)
    if args.action == "export":
        text = dump_document(selectors.stored_document())
        if args.file == "-":
            sys.stdout.write(text)
        else:
            path.write_text(text, encoding="utf-8")
            print(_("exported to %(path)s") % {"path": path})
        return 0
    try:
        text = sys.stdin.read() if args.file == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(_("%(file)s: cannot read: %(error)s") % {"file": args.file, "error": exc})
    try:
        doc = load_document(text, source=args.file)
        services.check_references(doc, args.file)
        if args.action == "apply":
            counts = services.apply_document(system("policy-apply"), doc, args.file)
            applied = ", ".join(f"{count} {name}" for name, count in counts.items())
            print(_("applied: %(counts)s") % {"counts": applied})
        else:
            print(_("%(file)s: valid") % {"file": args.file})
    except DocumentError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ServiceError as exc:
        return _fail(f"{args.file}: {exc.message}", 1)
    return 0


@command("explain")
def cmd_explain(args: argparse.Namespace) -> int:
    import json

    from escalade.core import clock
    from escalade.core.clock import parse_instant
    from escalade.escalation.explain_text import render
    from escalade.escalation.selectors import explain
    from escalade.tickets.models import Ticket

    try:
        at = parse_instant(args.at) if args.at else clock.now()
    except ValueError as exc:
        return _fail(f"--at: {exc}")
    ticket = (
        Ticket.objects.select_related("team", "assignee", "organisation", "customer")
        .filter(pk=args.ticket)
        .first()
    )
    if ticket is None:
        return _fail(f"no ticket #{args.ticket}", 1)
    with clock.frozen(at):
        report = explain(ticket, at)
    print(
        json.dumps(report, indent=2, default=str, ensure_ascii=False)
        if args.json
        else render(report)
    )
    return 0


@command("mail")
def cmd_mail(args: argparse.Namespace) -> int:
    return MAIL_COMMANDS[args.mail_command](args)


def _mail_fetch(args: argparse.Namespace) -> int:
    import json

    from escalade.mail import imap

    mailboxes = imap.imap_mailboxes(args.mailbox)
    if not mailboxes.exists():
        what = f"no active mailbox named {args.mailbox!r}" if args.mailbox else "no mailbox"
        return _fail(f"{what} with an IMAP host is configured", 1)
    if not args.once:
        imap.poll_forever(interval=args.interval, name=args.mailbox)
        return 0
    results = imap.fetch_all(name=args.mailbox, limit=args.limit)
    for result in results:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    return 1 if any(result.error for result in results) else 0


def _mail_ingest(args: argparse.Namespace) -> int:
    import json

    from django.db import DatabaseError

    from escalade.mail import services

    try:
        if args.file == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as handle:
                raw = handle.read()
    except OSError as exc:
        return _fail(f"{args.file}: cannot read: {exc.strerror or exc}")
    if not raw.strip():
        return _fail(f"{'standard input' if args.file == '-' else args.file}: no message (empty)")
    try:
        result = services.ingest(raw, source=args.source, recipients=args.recipient or [])
    except DatabaseError as exc:
        # EX_TEMPFAIL: an MTA piping to us keeps the mail and tries again.
        return _fail(f"database unavailable, try again later: {exc}", 75)
    print(json.dumps(result.as_dict(), ensure_ascii=False))
    return 0


def _mail_quarantine(args: argparse.Namespace) -> int:
    import json

    from escalade.core.actors import system
    from escalade.core.errors import ServiceError
    from escalade.mail import selectors, services

    actor = system("cli:quarantine")
    if args.action == "list":
        rows = selectors.quarantined(None if args.status == "all" else args.status)
        for row in rows[: args.limit]:
            print(
                json.dumps(
                    {
                        "id": row.pk,
                        "status": row.status,
                        "received_at": row.received_at.isoformat(),
                        "source": row.source,
                        "sender": row.sender,
                        "subject": row.subject,
                        "size": row.size,
                        "reason": row.reason,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    if args.id is None:
        return _fail(f"mail quarantine {args.action} needs the id of a quarantined mail")
    try:
        if args.action == "reprocess":
            result = services.reprocess(actor, args.id, ignore_limits=args.ignore_limits)
            print(json.dumps(result.as_dict(), ensure_ascii=False))
            return 1 if result.outcome == services.Outcome.QUARANTINED else 0
        if args.action == "show":
            row = selectors.quarantined(None).defer(None).filter(pk=args.id).first()
            if row is None:
                return _fail(f"no quarantined mail {args.id}", 1)
            sys.stdout.buffer.write(bytes(row.raw))
            return 0
        services.discard(actor, args.id)
    except ServiceError as exc:
        return _fail(f"mail {args.id}: {exc.message}", 1)
    print(f"mail {args.id} discarded")
    return 0


MAIL_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "fetch": _mail_fetch,
    "ingest": _mail_ingest,
    "quarantine": _mail_quarantine,
}


@command("smtpd")
def cmd_smtpd(args: argparse.Namespace) -> int:
    from escalade.mail import smtpd

    kind = "LMTP" if args.lmtp else "SMTP"
    smtpd.serve(
        args.host,
        args.port,
        lmtp=args.lmtp,
        ready=lambda: print(f"{kind} receiver on {args.host}:{args.port}", flush=True),
    )
    return 0


@command("manage")
def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["escalade manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="escalade", description="Escalade helpdesk")
    parser.add_argument("-v", "--verbosity", type=int, default=1)
    sub = parser.add_subparsers(dest="command", required=True)

    def serve_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument(
            "--no-worker", action="store_true", help="do not run the embedded timer worker"
        )

    demo = sub.add_parser("demo", help="migrate, load the demo data and start the server")
    serve_options(demo)
    serve = sub.add_parser("serve", help="start the web server (uvicorn, ASGI)")
    serve_options(serve)
    serve.add_argument("--workers", type=int, default=1, help="web worker processes")
    sub.add_parser("migrate", help="create or update the database tables")
    admin = sub.add_parser("createadmin", help="create an administrator")
    admin.add_argument("--username", default="admin")
    admin.add_argument("--email", default="admin@example.com")
    admin.add_argument("--name", default="")
    admin.add_argument("--password")
    loaddemo = sub.add_parser("loaddemo", help="load the demo company")
    loaddemo.add_argument("--reset", action="store_true", help="delete the demo data first")
    work = sub.add_parser("worker", help="run the timer and outbox worker")
    work.add_argument("--once", action="store_true", help="one sweep, then exit")
    work.add_argument(
        "--now", help="with --once: sweep as if it were this instant (ISO 8601 with offset)"
    )
    work.add_argument("--batch", type=int, default=200, help="tickets per transaction")
    work.add_argument("--interval", type=float, default=1.0, help="seconds between sweeps")
    policy = sub.add_parser(
        "policy", help="validate, apply or export the escalation document (YAML)"
    )
    policy.add_argument("action", choices=["validate", "apply", "export"])
    policy.add_argument("file", help="a YAML file, or - for stdin/stdout")
    explain = sub.add_parser("explain", help="why a ticket is where it is, and what fires next")
    explain.add_argument("ticket", type=int)
    explain.add_argument("--at", help="as of this instant (ISO 8601 with offset); default now")
    explain.add_argument("--json", action="store_true", help="the report as JSON")
    mail = sub.add_parser("mail", help="the email channel: fetch, ingest, quarantine")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True)
    fetch = mail_sub.add_parser("fetch", help="read the IMAP mailboxes into tickets")
    fetch.add_argument("--once", action="store_true", help="one round, then exit")
    fetch.add_argument("--mailbox", help="only this mailbox (its name)")
    fetch.add_argument(
        "--interval",
        type=float,
        help="seconds between rounds (default ESCALADE_MAIL_POLL_INTERVAL)",
    )
    fetch.add_argument("--limit", type=int, help="with --once: at most this many per mailbox")
    ingest = mail_sub.add_parser(
        "ingest", help="ingest one message (RFC 5322) from a file or stdin"
    )
    ingest.add_argument("file", nargs="?", default="-", help="an .eml file, or - for stdin")
    ingest.add_argument(
        "--recipient", action="append", help="envelope recipient (picks the mailbox/team)"
    )
    ingest.add_argument("--source", default="pipe", help="where it came from, for the record")
    quarantine = mail_sub.add_parser("quarantine", help="list, show, re-process or discard")
    quarantine.add_argument("action", choices=["list", "show", "reprocess", "discard"])
    quarantine.add_argument("id", type=int, nargs="?")
    quarantine.add_argument(
        "--status",
        default="quarantined",
        choices=["quarantined", "reprocessed", "discarded", "all"],
        help="with list",
    )
    quarantine.add_argument("--limit", type=int, default=100, help="with list")
    quarantine.add_argument(
        "--ignore-limits", action="store_true", help="with reprocess: lift the size limits"
    )
    smtp = sub.add_parser("smtpd", help="receive mail by SMTP or LMTP from a mail server")
    smtp.add_argument("--host", default="127.0.0.1")
    smtp.add_argument("--port", type=int, default=2525)
    smtp.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        # The demo's customers have real-looking addresses: its mail goes to files, never out.
        os.environ.setdefault(
            "ESCALADE_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
        )
    _setup_django()
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
