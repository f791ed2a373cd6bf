"""Throw-away databases and set-based bulk loads for the benchmarks.

Nothing here imports Django at module level: a benchmark sets ``ESCALADE_DATABASE_URL``
first, then calls :func:`django_setup`. Rows are generated inside the database
(``generate_series`` on PostgreSQL, a recursive CTE on SQLite), never through the services.

The sweep data set, for ``n`` open tickets (ticket ``i`` = 1..n, ids are ``i``):

* one customer per 100 tickets, one organisation per 10 customers (two customers in three
  belong to one), 5 teams, 20 agents; half the tickets are assigned;
* every ticket is ``open`` with a first-response clock (target 1 h) and a resolution clock
  (target 8 h) under the policy "VIP" (24/7, a warning at 75 %);
* ticket ``i`` with ``i % 100 == 0`` (1 %) is *due*: its clocks started 2 h to 2 h 15 min
  ago, so its first-response warning and breach have both been reached and its
  ``next_timer_at`` (the warning) is in the past; the 99 % others started less than 40 min
  ago and their first timer is at least 5 min in the future.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

PG_ADMIN_URL = os.environ.get(
    "ESCALADE_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_SERVER_URL = PG_ADMIN_URL.rsplit("/", 1)[0]

DUE_EVERY = 100  # 1 % of the tickets are due
TICKETS_PER_CUSTOMER = 100
CUSTOMERS_PER_ORG = 10
TEAMS = 5
AGENTS = 20
FIRST_RESPONSE_TARGET = 3600
RESOLUTION_TARGET = 8 * 3600
WARN_PERCENT = 75
POLICY = "VIP"
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "chat", "phone", "social", "portal")


# --- databases ---------------------------------------------------------------------------


def django_setup(database_url: str, home: str) -> None:
    """Point Escalade at ``database_url`` and start Django (call once, before any model import)."""
    os.environ["ESCALADE_DATABASE_URL"] = database_url
    os.environ["ESCALADE_HOME"] = home
    os.environ["DJANGO_SETTINGS_MODULE"] = "escalade.settings"
    os.environ.setdefault("ESCALADE_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def pg_available() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means: skip PostgreSQL
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def pg_create(name: str, template: str | None = None) -> str:
    pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return f"{PG_SERVER_URL}/{name}"


def pg_drop(name: str) -> None:
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_copy(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def temp_home(prefix: str = "escalade-bench-") -> str:
    return tempfile.mkdtemp(prefix=prefix)


# --- SQL generation -------------------------------------------------------------------------


class Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str, now: datetime) -> None:
        self.vendor = vendor
        naive = now.replace(tzinfo=None)
        self.now_literal = (
            f"TIMESTAMPTZ '{now.isoformat()}'"
            if vendor == "postgresql"
            else f"'{naive:%Y-%m-%d %H:%M:%S}'"
        )

    def at(self, seconds: str) -> str:
        """``now`` plus ``seconds`` (an integer SQL expression, may be negative)."""
        if self.vendor == "postgresql":
            return f"({self.now_literal} + ({seconds}) * INTERVAL '1 second')"
        return f"datetime({self.now_literal}, printf('%+d seconds', {seconds}))"

    def insert_series(self, table: str, columns: list[str], exprs: list[str], count: int) -> str:
        """INSERT one row per ``i`` in 1..count."""
        select = ", ".join(exprs)
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.vendor == "postgresql":
            return f'INSERT INTO "{table}" ({cols}) SELECT {select} FROM generate_series(1, {count}) AS g(i)'
        return (
            f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {count}) "
            f'INSERT INTO "{table}" ({cols}) SELECT {select} FROM g'
        )

    def json(self, value: object) -> str:
        text = "'" + json.dumps(value).replace("'", "''") + "'"
        return f"{text}::jsonb" if self.vendor == "postgresql" else text

    def boolean(self, value: bool) -> str:
        if self.vendor == "postgresql":
            return "TRUE" if value else "FALSE"
        return "1" if value else "0"

    def choice(self, index_expr: str, values: tuple[str, ...]) -> str:
        whens = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(values))
        return f"(CASE ({index_expr}) {whens} END)"


def _literal(dialect: Dialect, field, value: object) -> str:
    from django.db import models

    if isinstance(field, models.JSONField):
        return dialect.json(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return dialect.boolean(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {value!r} ({field})")


def insert_rows(cursor, dialect: Dialect, model, values: dict[str, str], count: int) -> None:
    """INSERT ``count`` rows of ``model``: ``values`` maps column -> SQL expression of ``i``.

    Every other NOT NULL column gets its field's Python default, so a column added to a
    model later does not break the benchmark; one with no default is reported by name.
    """
    from django.db.models import NOT_PROVIDED

    columns, exprs = list(values), list(values.values())
    for field in model._meta.concrete_fields:
        if field.column in values or field.null or field.primary_key:
            continue
        if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue
        default = field.get_default()  # what Model() would store; "" for text fields
        if default is None:
            raise RuntimeError(
                f"bench/_setup.py: give {model._meta.db_table}.{field.column} a value"
            )
        columns.append(field.column)
        exprs.append(_literal(dialect, field, default))
    cursor.execute(dialect.insert_series(model._meta.db_table, columns, exprs, count))


# --- the sweep data set ---------------------------------------------------------------------


def sweep_counts(n: int) -> dict[str, int]:
    customers = max(1, -(-n // TICKETS_PER_CUSTOMER))
    return {
        "tickets": n,
        "due": n // DUE_EVERY,
        "customers": customers,
        "organisations": max(1, customers // CUSTOMERS_PER_ORG),
    }


def _age(i: str = "i") -> str:
    """Seconds since ticket ``i`` was created (and its clocks started)."""
    # Due: 2 h .. 2 h 15 min ago. Others: 0 .. 40 min ago, so the 75 % warning (45 min)
    # is still at least 5 min away.
    return (
        f"(CASE WHEN {i} % {DUE_EVERY} = 0 THEN 7200 + ({i} / {DUE_EVERY}) % 900 "
        f"ELSE ({i} * 37) % 2400 END)"
    )


def load_sweep_data(n: int, now: datetime) -> None:
    """Bulk-load the sweep data set (see the module docstring) into an empty, migrated database."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from escalade.accounts.models import Customer, Organisation, Team
    from escalade.sla.models import SlaClock, SlaPolicy
    from escalade.tickets.models import Ticket

    dialect = Dialect(connection.vendor, now)
    counts = sweep_counts(n)
    customers, orgs = counts["customers"], counts["organisations"]
    age = _age()
    created = dialect.at(f"-{age}")
    User = get_user_model()

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit = off")
        insert_rows(
            cursor,
            dialect,
            User,
            {
                "id": "i",
                "username": "'agent' || i",
                "password": "'!'",
                "email": "'agent' || i || '@bench.example'",
                "is_staff": dialect.boolean(True),
                "is_active": dialect.boolean(True),
                "is_superuser": dialect.boolean(False),
                "date_joined": dialect.at("-86400"),
            },
            AGENTS,
        )
        insert_rows(
            cursor,
            dialect,
            Team,
            {"id": "i", "slug": "'team-' || i", "name": "'Team ' || i", "tier_level": "1 + i % 3"},
            TEAMS,
        )
        insert_rows(
            cursor,
            dialect,
            Organisation,
            {
                "id": "i",
                "name": "'Org ' || i",
                "tier": dialect.choice("i % 3", ("standard", "premium", "vip")),
                "created_at": dialect.at("-86400"),
            },
            orgs,
        )
        insert_rows(
            cursor,
            dialect,
            Customer,
            {
                "id": "i",
                "name": "'Customer ' || i",
                "email": "'customer' || i || '@bench.example'",
                "organisation_id": f"CASE WHEN i % 3 = 0 THEN NULL ELSE 1 + (i - 1) % {orgs} END",
                "created_at": dialect.at("-86400"),
            },
            customers,
        )
        customer = f"(1 + (i - 1) % {customers})"
        insert_rows(
            cursor,
            dialect,
            Ticket,
            {
                "id": "i",
                "subject": "'Bench ticket ' || i",
                "channel": dialect.choice(f"i % {len(CHANNELS)}", CHANNELS),
                "status": "'open'",
                "priority": dialect.choice("(i / 7) % 4", PRIORITIES),
                "priority_rank": "(i / 7) % 4",
                "customer_id": customer,
                "organisation_id": f"CASE WHEN {customer} % 3 = 0 THEN NULL ELSE 1 + ({customer} - 1) % {orgs} END",
                "team_id": f"1 + i % {TEAMS}",
                "assignee_id": f"CASE WHEN i % 2 = 0 THEN 1 + (i / 2) % {AGENTS} ELSE NULL END",
                "level": "1",
                "created_at": created,
                "updated_at": created,
                "sla_state": "'running'",
                "sla_due_at": dialect.at(f"{FIRST_RESPONSE_TARGET} - {age}"),
                "next_timer_at": dialect.at(
                    f"{FIRST_RESPONSE_TARGET * WARN_PERCENT // 100} - {age}"
                ),
                "version": "1",
            },
            n,
        )
        for offset, metric, target in (
            (0, "first_response", FIRST_RESPONSE_TARGET),
            (n, "resolution", RESOLUTION_TARGET),
        ):
            insert_rows(
                cursor,
                dialect,
                SlaClock,
                {
                    "id": f"i + {offset}",
                    "ticket_id": "i",
                    "metric": f"'{metric}'",
                    "cycle": "1",
                    "policy": f"'{POLICY}'",
                    "calendar": "''",
                    "target_seconds": str(target),
                    "started_at": created,
                    "used_seconds": "0",
                    "running_since": created,
                    "due_at": dialect.at(f"{target} - {age}"),
                    "next_fire_at": dialect.at(f"{target * WARN_PERCENT // 100} - {age}"),
                    "fired": dialect.json([]),
                },
                n,
            )
        targets = {
            p: {"first_response": FIRST_RESPONSE_TARGET, "resolution": RESOLUTION_TARGET}
            for p in PRIORITIES
        }
        insert_rows(
            cursor,
            dialect,
            SlaPolicy,
            {
                "id": "i",
                "name": f"'{POLICY}'",
                "position": "0",
                "active": dialect.boolean(True),
                "conditions": dialect.json({}),
                "calendar": "''",
                "pause_on": dialect.json(["pending", "on_hold"]),
                "targets": dialect.json(targets),
                "warn_at": dialect.json([{"percent": WARN_PERCENT}]),
            },
            1,
        )
        if connection.vendor == "postgresql":
            for model in (User, Team, Organisation, Customer, Ticket, SlaClock, SlaPolicy):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
    analyze()


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "VACUUM (ANALYZE)"
            )  # fresh statistics and visibility map, no autovacuum mid-run
        else:
            cursor.execute("ANALYZE")


def reset_due(now: datetime, limit: int) -> int:
    """Make the first ``limit`` due tickets due again, as loaded: forget their firings, audit
    events and clock progress. Returns how many. The other due tickets stay as swept, so
    once these are swept again the database is in the same state as after the first sweep.
    """
    from django.db import connection, transaction

    from escalade.sla.models import SlaClock, SlaFiring
    from escalade.tickets.models import Ticket, TicketEvent

    dialect = Dialect(connection.vendor, now)
    age = _age("id")
    last = limit * DUE_EVERY
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (SlaFiring, TicketEvent):
            cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE ticket_id <= {last}')
        cursor.execute(
            f"UPDATE \"{Ticket._meta.db_table}\" SET sla_state = 'running', "
            f"sla_due_at = {dialect.at(f'{FIRST_RESPONSE_TARGET} - {age}')}, "
            f"next_timer_at = {dialect.at(f'{FIRST_RESPONSE_TARGET * WARN_PERCENT // 100} - {age}')} "
            f"WHERE id % {DUE_EVERY} = 0 AND id <= {last}"
        )
        reset = cursor.rowcount
        ticket_age = _age("ticket_id")
        for metric, target in (
            ("first_response", FIRST_RESPONSE_TARGET),
            ("resolution", RESOLUTION_TARGET),
        ):
            cursor.execute(
                f'UPDATE "{SlaClock._meta.db_table}" SET fired = {dialect.json([])}, '
                "warned_at = NULL, breached_at = NULL, used_seconds = 0, "
                f"running_since = started_at, due_at = {dialect.at(f'{target} - {ticket_age}')}, "
                f"next_fire_at = {dialect.at(f'{target * WARN_PERCENT // 100} - {ticket_age}')} "
                f"WHERE metric = '{metric}' AND ticket_id % {DUE_EVERY} = 0 AND ticket_id <= {last}"
            )
    analyze()
    return reset
