"""The timer sweep at scale: due tickets per second, the empty sweep, the worker's memory.

For each size (open tickets; 1 % due) on each database, in a throw-away database:

* ``load_s``: the set-based bulk load (bench/_setup.py), reported apart;
* ``process_s`` / ``due_per_s``: one ``escalade.core.worker.sweep(now, batch_size=200)`` that
  fires, for every due ticket, its first-response warning (75 %) and breach, then verified:
  exactly two ``sla_slafiring`` rows and two audit events per due ticket, none elsewhere,
  every due ticket ``breached`` and re-armed on its resolution clock, nothing left due;
* ``empty_sweep_ms``: median of sweeps with nothing due (``..._watchdog_ms`` with the
  once-a-minute overdue count included) — must not grow with the open tickets;
* memory of the sweeping process, which is a fresh process per size: ``peak_rss_mb`` (the
  high-water mark, reset just before the sweep), ``rss_growth_mb`` (peak minus the RSS before
  it) and ``peak_tracemalloc_kb`` (Python allocations during a second sweep of the first
  1,000 due tickets made due again, i.e. five batches of 200: tracemalloc slows the sweep
  three- to fourfold, so it is not the timed one).

Full mode: PostgreSQL 10k / 100k / 1M, SQLite 10k / 100k (9-11 min on 2 cores today,
most of it the 1M sweep itself).
``--quick`` (or ESCALADE_BENCH_QUICK=1): 10k on both. ``--sizes-pg 10000,50000`` and
``--sizes-sqlite`` pick sizes, ``--backends postgresql`` one database. On one PostgreSQL
size (100k in full mode) one batch of 200 due tickets is swept again with every statement
captured and timed (statements per due ticket by kind and table, database vs Python time),
then once more under cProfile (Escalade's functions by cumulative time per due ticket).
PostgreSQL is skipped (and said so in the output) when the server does not answer.

Progress goes to stderr; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _setup

BATCH_SIZE = 200
EMPTY_RUNS = 30
TRACED_DUE = 1000  # due tickets swept again under tracemalloc (5 batches of 200)
PROFILED_DUE = 200  # due tickets swept again for the profile (one batch)
FULL_SIZES = {"postgresql": [10_000, 100_000, 1_000_000], "sqlite": [10_000, 100_000]}
QUICK_SIZES = {"postgresql": [10_000], "sqlite": [10_000]}
PROFILE_SIZE = 100_000


def log(message: str) -> None:
    print(f"[sweep] {message}", file=sys.stderr, flush=True)


# --- measuring helpers (child side) ------------------------------------------------------------


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (Linux >= 4.0); False where not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def peak_rss_kb(reset_ok: bool) -> int:
    if reset_ok:
        return _status_kb("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux


class QueryCounter:
    """A ``connection.execute_wrapper`` that counts statements and their time, keeping none.

    ``seconds`` is the time spent inside the driver: the database's work plus the round
    trip. The rest of a sweep's time is Python (Django's ORM and Escalade's code).
    """

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


class ShapeTimer(QueryCounter):
    """Also counts and times statements per shape (see ``statement_shape``)."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: dict[str, list[float]] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return super().__call__(execute, sql, params, many, context)
        finally:
            entry = self.shapes.setdefault(statement_shape(sql), [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started


_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def statement_shape(sql: str) -> str:
    """'SELECT sla_slaclock', 'INSERT sla_slafiring', 'SAVEPOINT', … for grouping."""
    verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
    if verb in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}:
        return verb
    table = _TABLE.search(sql)
    shape = f"{verb} {table.group(1) if table else '?'}"
    if verb == "SELECT" and re.search(r"\b(MIN|COUNT|MAX)\s*\(", sql, re.IGNORECASE):
        shape += " (aggregate)"
    if "FOR UPDATE" in sql.upper():
        shape += " FOR UPDATE"
    return shape


# --- child: migrate / load / sweep ---------------------------------------------------------


def child_migrate(url: str, home: str) -> dict:
    _setup.django_setup(url, home)
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return {"migrate_s": round(time.perf_counter() - started, 2)}


def child_load(url: str, home: str, n: int, now: datetime) -> dict:
    _setup.django_setup(url, home)
    started = time.perf_counter()
    _setup.load_sweep_data(n, now)
    return {"load_s": round(time.perf_counter() - started, 2)}


def verify(n: int, now: datetime) -> list[str]:
    """What the sweep must have done; an empty list when it did exactly that."""
    from django.db import connection
    from django.db.models import Count

    from escalade.sla.models import SlaFiring
    from escalade.tickets.models import Ticket, TicketEvent

    due = n // _setup.DUE_EVERY
    problems: list[str] = []
    per_threshold = dict(
        SlaFiring.objects.values_list("threshold").annotate(c=Count("id")).order_by()
    )
    expected = {f"{_setup.WARN_PERCENT}%": due, "breach": due}
    if per_threshold != expected:
        problems.append(f"firings by threshold {per_threshold}, expected {expected}")
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT COUNT(*) FROM (SELECT ticket_id FROM "{SlaFiring._meta.db_table}" '
            f"GROUP BY ticket_id HAVING COUNT(*) <> 2 OR COUNT(DISTINCT metric) <> 1 "
            f"OR MIN(metric) <> 'first_response' OR ticket_id % {_setup.DUE_EVERY} <> 0) AS bad"
        )
        bad = cursor.fetchone()[0]
    if bad:
        problems.append(f"{bad} tickets without exactly 2 first-response firings, or not due")
    fired_tickets = SlaFiring.objects.values("ticket_id").distinct().count()
    if fired_tickets != due:
        problems.append(f"{fired_tickets} tickets fired, expected {due}")
    events = dict(TicketEvent.objects.values_list("kind").annotate(c=Count("id")).order_by())
    sla_events = {kind: events.get(kind, 0) for kind in ("sla_warning", "sla_breach")}
    if sla_events != {"sla_warning": due, "sla_breach": due}:
        problems.append(f"audit events {events}, expected {due} sla_warning and {due} sla_breach")
    # Events of other kinds (escalation rules, risk) are allowed: the data set has no rules.
    states = dict(Ticket.objects.values_list("sla_state").annotate(c=Count("id")).order_by())
    if states != {"breached": due, "running": n - due}:
        problems.append(f"sla_state counts {states}, expected {due} breached, {n - due} running")
    still_due = Ticket.objects.filter(next_timer_at__lte=now).count()
    if still_due:
        problems.append(f"{still_due} tickets still due after the sweep")
    unarmed = Ticket.objects.filter(next_timer_at__isnull=True).count()
    if unarmed:
        problems.append(f"{unarmed} tickets lost their timer (resolution clock still runs)")
    return problems


def claim_plan(now: datetime, batch_size: int) -> str:
    """The scans in the plan of the worker's claim query (without the row lock), one line."""
    from escalade.tickets.models import Ticket

    query = (
        Ticket.objects.filter(next_timer_at__lte=now)
        .order_by("next_timer_at", "pk")
        .select_related("customer", "organisation", "team", "assignee")[:batch_size]
    )
    lines = [line.strip(" ->") for line in query.explain().splitlines() if line.strip()]
    # The scans tell whether the due index is used; drop the joins' details.
    scans = [re.sub(r"\s*\(cost=.*", "", line) for line in lines if "SCAN" in line.upper()]
    return " | ".join(scans or lines)[:300]


def timed_sweep(worker, now: datetime, batch_size: int, counter: QueryCounter):
    from django.db import connection

    before, before_seconds = counter.count, counter.seconds
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = worker.sweep(now, batch_size=batch_size)
        elapsed = time.perf_counter() - started
    return result, elapsed, counter.count - before, counter.seconds - before_seconds


def child_sweep(
    url: str,
    home: str,
    n: int,
    now: datetime,
    batch_size: int,
    empty_runs: int,
    profile: bool,
) -> dict:
    _setup.django_setup(url, home)
    from django.db import connection

    from escalade.core import clock, worker

    due = n // _setup.DUE_EVERY
    counter = QueryCounter()
    figures: dict[str, object] = {"open": n, "due": due, "batch_size": batch_size}
    with clock.frozen(now):
        # Warm up: connection, imports, query compilation, at an instant nothing is due.
        for _ in range(3):
            worker.sweep(now - timedelta(days=1), batch_size=batch_size)
        rss_before = _status_kb("VmRSS")
        reset_ok = reset_peak_rss()
        worker._last_watchdog[0] = 0.0  # a worker's first sweep counts overdue timers
        result, elapsed, queries, db_seconds = timed_sweep(worker, now, batch_size, counter)
        peak = peak_rss_kb(reset_ok)
        log(f"{connection.vendor} {n}: swept {result.tickets} due in {elapsed:.2f} s")
        problems = verify(n, now)
        if result.tickets != due:
            problems.insert(0, f"sweep handled {result.tickets} tickets, expected {due}")
        if result.overdue != due:
            problems.append(f"watchdog counted {result.overdue} overdue, expected {due}")
        figures.update(
            process_s=round(elapsed, 3),
            due_per_s=round(due / elapsed, 1) if elapsed else None,
            ms_per_due=round(elapsed * 1000 / due, 3) if due else None,
            batches=result.batches,
            queries_per_due=round(queries / due, 2) if due else None,
            db_s=round(db_seconds, 3),
            db_share=round(db_seconds / elapsed, 2) if elapsed else None,
            rss_before_mb=round(rss_before / 1024, 1),
            peak_rss_mb=round(peak / 1024, 1),
            rss_growth_mb=round(max(0, peak - rss_before) / 1024, 1),
            peak_rss_source="VmHWM (reset before the sweep)" if reset_ok else "ru_maxrss",
        )

        # The empty sweep: nothing is due any more.
        empty, empty_watchdog = [], []
        empty_queries = 0
        for run in range(empty_runs):
            with_watchdog = run % 3 == 2
            if with_watchdog:
                worker._last_watchdog[0] = 0.0
            result, elapsed, queries, _db = timed_sweep(worker, now, batch_size, counter)
            if result.tickets:
                problems.append(f"an empty sweep handled {result.tickets} tickets")
            (empty_watchdog if with_watchdog else empty).append(elapsed * 1000)
            if not with_watchdog:
                empty_queries = queries
        figures.update(
            empty_sweep_ms=round(statistics.median(empty), 3),
            empty_sweep_min_ms=round(min(empty), 3),
            empty_sweep_max_ms=round(max(empty), 3),
            empty_sweep_watchdog_ms=round(statistics.median(empty_watchdog), 3),
            empty_sweep_queries=empty_queries,
            claim_plan=claim_plan(now, batch_size),
        )

        # Python allocations of a sweep, under tracemalloc (slower: not the timed run), over
        # the first TRACED_DUE due tickets made due again: several full batches at 100k and up.
        traced_due = _setup.reset_due(now, TRACED_DUE)
        tracemalloc.start()
        result, elapsed, _queries, _db = timed_sweep(worker, now, batch_size, counter)
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if result.tickets != traced_due:
            problems.append(f"traced sweep handled {result.tickets}, expected {traced_due}")
        problems += [f"traced sweep: {p}" for p in verify(n, now)]
        figures.update(
            peak_tracemalloc_kb=round(traced_peak / 1024, 1),
            traced_due=traced_due,
            traced_sweep_s=round(elapsed, 3),
        )

        if profile:
            profiled_due = _setup.reset_due(now, PROFILED_DUE)
            figures["profile"] = profile_sweep(worker, now, batch_size, profiled_due)
            problems += [f"profiled sweep: {p}" for p in verify(n, now)]

    figures["verified"] = not problems
    if problems:
        figures["problems"] = problems
    return figures


def profile_sweep(worker, now: datetime, batch_size: int, due: int) -> dict:
    """One sweep under cProfile with every query captured: where a due ticket's time goes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Untimed by the profiler first: statements per shape with their driver time. The
    # ShapeTimer sees every statement; Django's capture (kept for BEGIN/COMMIT, which do not
    # pass through execute wrappers) stops at connection.queries_limit (9,000).
    timer = ShapeTimer()  # captured_queries' times are rounded to the millisecond
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        started = time.perf_counter()
        worker.sweep(now, batch_size=batch_size)
        unprofiled = time.perf_counter() - started
    captured_shapes = Counter(statement_shape(q["sql"]) for q in captured.captured_queries)
    counts = {shape: entry[0] for shape, entry in timer.shapes.items()}
    for shape in ("BEGIN", "COMMIT"):
        counts.setdefault(shape, captured_shapes.get(shape, 0))
    by_statement = {}
    for shape, count in sorted(counts.items(), key=lambda item: -item[1]):
        seconds = timer.shapes.get(shape, (0, 0.0))[1]
        by_statement[shape] = {
            "per_due": round(count / due, 2),
            "ms_per_due": round(seconds * 1000 / due, 3) if shape in timer.shapes else None,
            "ms_each": round(seconds * 1000 / count, 3) if shape in timer.shapes else None,
        }

    # Then the same tickets again under cProfile: where the Python time goes.
    due = _setup.reset_due(now, due)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    worker.sweep(now, batch_size=batch_size)
    profiler.disable()
    elapsed = time.perf_counter() - started

    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(
        r"escalade|django/db/models/(query|sql/compiler)", 30
    )
    stats.sort_stats("tottime").print_stats(15)
    # Escalade's own functions by cumulative time (they include the ORM work they cause).
    functions = {}
    ranked = sorted(stats.stats.items(), key=lambda item: -item[1][3])
    for (filename, _line, name), (_cc, _calls, _tt, cumtime, _callers) in ranked:
        if "/escalade/" in filename and len(functions) < 20:
            module = filename.split("/escalade/", 1)[1]
            functions[f"{module}:{name}"] = round(cumtime * 1000 / due, 3)
    return {
        "due": due,
        "wall_s": round(unprofiled, 3),
        "ms_per_due": round(unprofiled * 1000 / due, 3),
        "db_ms_per_due": round(timer.seconds * 1000 / due, 3),
        "python_ms_per_due": round((unprofiled - timer.seconds) * 1000 / due, 3),
        "queries_per_due": round(timer.count / due, 2),
        "captured_queries": len(captured.captured_queries),
        "by_statement": by_statement,
        "wall_s_under_cprofile": round(elapsed, 3),
        "functions_cum_ms_per_due_under_cprofile": functions,
    }


# --- parent: databases, children, the JSON ------------------------------------------------


def run_child(mode: str, *args: object) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, *map(str, args)]
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"child {mode} failed with exit code {completed.returncode}")
    return json.loads(lines[-1])


def bench_backend(
    vendor: str, sizes: list[int], now: datetime, options: argparse.Namespace
) -> dict:
    figures: dict[str, object] = {}
    home = _setup.temp_home()
    created: list[str] = []
    try:
        if vendor == "postgresql":
            template = f"escalade_bench_{os.getpid()}"
            url = _setup.pg_create(template)
            created.append(template)
        else:
            template_path = Path(home) / "template.sqlite3"
            url = f"sqlite:///{template_path}"
        # The profile runs on the largest size up to PROFILE_SIZE (the smallest if none is).
        profile_size = max((n for n in sizes if n <= PROFILE_SIZE), default=min(sizes))
        log(f"{vendor}: migrating the template database")
        run_child("migrate", url, home)
        for n in sizes:
            if vendor == "postgresql":
                name = f"escalade_bench_{os.getpid()}_{n}"
                url = _setup.pg_create(name, template=template)
                created.append(name)
            else:
                path = Path(home) / f"sweep_{n}.sqlite3"
                url = _setup.sqlite_copy(template_path, path)
            log(f"{vendor} {n}: loading {n} open tickets ({n // _setup.DUE_EVERY} due)")
            profile = options.profile and n == profile_size and vendor == "postgresql"
            try:
                loaded = run_child("load", url, home, n, now.isoformat())
                log(f"{vendor} {n}: loaded in {loaded['load_s']} s; sweeping")
                swept = run_child(
                    "sweep",
                    url,
                    home,
                    n,
                    now.isoformat(),
                    options.batch_size,
                    options.empty_runs,
                    int(profile),
                )
            except RuntimeError as exc:  # the child's traceback is on stderr already
                figures[str(n)] = {"verified": False, "error": str(exc)}
                log(f"{vendor} {n}: {exc}")
                break
            figures[str(n)] = {**loaded, **swept}
            summary = ", ".join(
                f"{key}={swept.get(key)}"
                for key in (
                    "verified",
                    "process_s",
                    "due_per_s",
                    "queries_per_due",
                    "empty_sweep_ms",
                    "peak_rss_mb",
                    "peak_tracemalloc_kb",
                )
            )
            log(f"{vendor} {n}: {summary}")
            if vendor == "postgresql":
                _setup.pg_drop(name)
                created.remove(name)
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
    finally:
        for name in created:
            _setup.pg_drop(name)
        shutil.rmtree(home, ignore_errors=True)
    return figures


def source_state() -> str:
    """The commit measured, marked when the work tree had changes (figures move with them)."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "src"],
            cwd=repo,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}+dirty" if dirty else head or "unknown"


def sizes_from(text: str | None, default: list[int]) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part] if text else default


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k tickets only")
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--sizes-pg", help="comma-separated open-ticket counts")
    parser.add_argument("--sizes-sqlite", help="comma-separated open-ticket counts")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--empty-runs", type=int, default=EMPTY_RUNS)
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    options = parser.parse_args(argv)
    mode = "quick" if options.quick or os.environ.get("ESCALADE_BENCH_QUICK") == "1" else "full"
    sizes = QUICK_SIZES if mode == "quick" else FULL_SIZES
    wanted = {
        "postgresql": sizes_from(options.sizes_pg, sizes["postgresql"]),
        "sqlite": sizes_from(options.sizes_sqlite, sizes["sqlite"]),
    }
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: drop DBs

    now = datetime.now(UTC).replace(microsecond=0)
    load_before = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    results: dict[str, object] = {}
    failed = False
    for vendor in [v.strip() for v in options.backends.split(",") if v.strip()]:
        if vendor == "postgresql" and (reason := _setup.pg_available()):
            log(f"PostgreSQL skipped: {reason}")
            results[vendor] = {"skipped": reason}
            continue
        results[vendor] = bench_backend(vendor, wanted[vendor], now, options)
        failed |= any(not size.get("verified") for size in results[vendor].values())
    output = {
        "sweep": results,
        "sweep_mode": mode,
        "sweep_source": source_state(),
        # Other work on these 2 cores slows every figure: the 1-minute load before and after.
        "sweep_loadavg": [load_before, round(os.getloadavg()[0], 2)],
        "sweep_total_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(output))
    return 1 if failed else 0


def child_main(argv: list[str]) -> int:
    mode, url, home, *rest = argv
    if mode == "migrate":
        figures = child_migrate(url, home)
    elif mode == "load":
        figures = child_load(url, home, int(rest[0]), datetime.fromisoformat(rest[1]))
    else:
        n, now, batch_size, empty_runs, profile = rest
        figures = child_sweep(
            url,
            home,
            int(n),
            datetime.fromisoformat(now),
            int(batch_size),
            int(empty_runs),
            profile == "1",
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
