"""Escalation throughput: N tickets breach at the same moment among M open (issue 4).

On top of the sweep data set of bench/_setup.py (1 % of the open tickets are due, their
first-response warning and breach both reached), every due ticket runs on a two-level path
(its team, then tier 2) and the rule "on a first-response breach: escalate to the next level
and notify the team manager" applies. The workers sweep; the benchmark then checks that every
due ticket has exactly one escalation record, sits at level 2 with a tier-2 agent, and that the
manager's in-app notification and email are queued once per ticket.

    python bench/bench_escalation.py [--open 1000000] [--backend postgresql|sqlite] [--workers N]

N worker processes (default: one per core, as the target is stated for the machine) sweep the
same moment side by side, as a deployment that scales its workers does; SKIP LOCKED shares the
batches between them and the check afterwards proves nothing was escalated or notified twice.

Prints one JSON object on its last line.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import _setup

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TIER2_AGENTS = 20


def log(message: str) -> None:
    print(f"[escalation] {message}", file=sys.stderr, flush=True)


def add_escalation_setup(due: int) -> None:
    """Tier-2 team with online agents and a manager, the path, the rule, and the runs."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from escalade.accounts.models import AgentProfile, Team
    from escalade.escalation.models import EscalationPath, EscalationRule, EscalationRun
    from escalade.tickets.models import Ticket

    User = get_user_model()
    manager = User.objects.create(
        username="tier2-manager", email="manager@bench.example", password="!"
    )
    AgentProfile.objects.create(user=manager, role="manager", availability="online")
    tier2 = Team.objects.create(
        slug="tier-2",
        name="Tier 2",
        tier_level=2,
        manager=manager,
        assignment_strategy="least_loaded",
    )
    agents = User.objects.bulk_create(
        [
            User(username=f"tier2-{n}", email=f"tier2-{n}@bench.example", password="!")
            for n in range(TIER2_AGENTS)
        ]
    )
    profiles = AgentProfile.objects.bulk_create(
        [AgentProfile(user=user, availability="online", capacity=100_000) for user in agents]
    )
    AgentProfile.teams.through.objects.bulk_create(
        [AgentProfile.teams.through(agentprofile_id=p.pk, team_id=tier2.pk) for p in profiles]
    )
    levels = [
        {"team": "current", "notify": ["assignee"]},
        {"team": "tier-2", "notify": ["assignee", "team_manager"]},
    ]
    EscalationPath.objects.create(name="Bench", levels=levels)
    EscalationRule.objects.create(
        name="Breach to tier 2",
        on="sla_breach",
        metric="first_response",
        actions=[{"escalate": "next_level"}, {"notify": ["team_manager"]}],
    )
    team_slugs = dict(Team.objects.values_list("pk", "slug"))
    due_tickets = Ticket.objects.filter(next_timer_at__lte=NOW).values_list(
        "pk", "team_id", "created_at"
    )
    runs = [
        EscalationRun(
            ticket_id=pk,
            path_name="Bench",
            snapshot=[{"team": team_slugs[team_id], "notify": ["assignee"]}, levels[1]],
            started_at=created_at,
            level_entered_at=created_at,
        )
        for pk, team_id, created_at in due_tickets
    ]
    EscalationRun.objects.bulk_create(runs, batch_size=2000)
    assert len(runs) == due, (len(runs), due)
    if connection.vendor == "postgresql":
        # A storm meets a long-lived database, not one bulk-loaded a moment ago: vacuumed and
        # analysed now, so autovacuum does not start on the fresh million rows mid-measurement.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


SWEEP_IN_A_PROCESS = """
import sys
sys.path[:0] = [{bench!r}, {src!r}]
import _setup
_setup.django_setup({url!r}, {home!r})
from datetime import datetime
from escalade.core import worker
worker.sweep(datetime.fromisoformat({now!r}), batch_size={batch})
"""


def sweep_in_processes(workers: int, url: str, home: str, batch_size: int) -> None:
    """Start ``workers`` processes that each sweep NOW once; wait for all of them."""
    code = SWEEP_IN_A_PROCESS.format(
        bench=str(Path(__file__).resolve().parent),
        src=str(Path(__file__).resolve().parents[1] / "src"),
        url=url,
        home=home,
        now=NOW.isoformat(),
        batch=batch_size,
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy())
        for _ in range(workers)
    ]
    codes = [process.wait() for process in processes]
    if any(codes):
        raise SystemExit(f"a worker process failed: exit codes {codes}")


def verify(due: int) -> list[str]:
    from django.db.models import Count

    from escalade.core.models import OutboxMessage
    from escalade.escalation.models import EscalationRecord, Notification
    from escalade.tickets.models import Ticket

    problems = []
    per_ticket = EscalationRecord.objects.values("ticket_id").annotate(n=Count("id"))
    if per_ticket.count() != due or per_ticket.exclude(n=1).exists():
        problems.append(
            f"escalation records: {per_ticket.count()} tickets escalated, {per_ticket.exclude(n=1).count()} more than once (expected {due} once each)"
        )
    if EscalationRecord.objects.exclude(
        trigger="sla_breach", to_level=2, to_team__slug="tier-2"
    ).exists():
        problems.append("an escalation went somewhere else than level 2 / tier-2")
    escalated = Ticket.objects.filter(
        level=2, team__slug="tier-2", assignee__username__startswith="tier2-"
    ).count()
    if escalated != due:
        problems.append(f"{escalated} tickets at level 2 with a tier-2 agent, expected {due}")
    manager_notices = Notification.objects.filter(recipient__username="tier2-manager").count()
    if manager_notices != due:
        problems.append(f"manager in-app notifications: {manager_notices}, expected {due}")
    manager_mails = OutboxMessage.objects.filter(
        channel="email", payload__to=["manager@bench.example"]
    ).count()
    if manager_mails != due:
        problems.append(f"manager emails queued: {manager_mails}, expected {due}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000, help="open tickets (1 % breach)")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes sweeping side by side (default: one per core)",
    )
    args = parser.parse_args(argv)

    home = _setup.temp_home("escalade-bench-escalation-")
    if args.backend == "postgresql":
        if _setup.pg_available() is not None:
            print(json.dumps({"escalation": {"skipped": "PostgreSQL not reachable"}}))
            return 0
        name = f"escalade_bench_escalation_{int(time.time())}"
        url = _setup.pg_create(name)
    else:
        name, url = None, f"sqlite:///{home}/bench.sqlite3"
    try:
        _setup.django_setup(url, home)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        _setup.load_sweep_data(args.open, NOW)
        due = _setup.sweep_counts(args.open)["due"]
        add_escalation_setup(due)
        load_s = time.perf_counter() - started
        log(f"{args.backend}: {args.open} open, {due} breaching; loaded in {load_s:.1f} s")

        from django.db import connections

        from escalade.core import worker

        started = time.perf_counter()
        if args.workers > 1 and args.backend == "postgresql":
            connections.close_all()
            sweep_in_processes(args.workers, url, home, args.batch_size)
        else:
            args.workers = 1
            worker.sweep(NOW, batch_size=args.batch_size)
        process_s = time.perf_counter() - started
        problems = verify(due)
        log(f"{args.workers} worker(s) swept in {process_s:.1f} s; problems: {problems or 'none'}")
        figures = {
            "backend": args.backend,
            "open": args.open,
            "breaching": due,
            "workers": args.workers,
            "load_s": round(load_s, 1),
            "escalate_s": round(process_s, 1),
            "escalations_per_s": round(due / process_s, 1),
            "target_s": 60,
            "verified": not problems,
            "problems": problems,
        }
        print(json.dumps({"escalation": figures}))
        return 0 if not problems else 1
    finally:
        if name:
            from django.db import connections

            connections.close_all()
            _setup.pg_drop(name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
