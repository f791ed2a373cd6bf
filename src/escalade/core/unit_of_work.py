"""A unit of work for the worker's batches: rows read once, writes sent together.

Handled ticket by ticket, a storm of breaches costs dozens of round trips per ticket: the
ticket, its clocks and its escalation run are read again by every step that needs them, and
every event, firing, record, notification and outbox row is its own INSERT. Inside a unit of
work the batch's tickets, clocks and runs are loaded once (the *tracked* rows), each step gets
a copy of the current row from memory, and writes wait in the unit until something must see
them; then they go out as one multi-row INSERT per table and one pipelined UPDATE per shape.

What keeps it correct:

* **Autoflush.** Every statement passes through :meth:`UnitOfWork._intercept`; one that names a
  table with waiting writes sends them first, so no query ever reads stale rows. Reads of
  tables the batch does not write (users, teams, rules) pass straight through.
* **Tracked rows are the truth.** A write to a tracked table that does not come through the
  unit (a plain ``save()``, a queryset ``update()``), or a rollback to a savepoint, would leave
  memory and database apart: the unit is *spoiled* and :class:`Redo` is raised at the end.
* **Exactly once.** Keyed rows (``insert_once``) are checked against the keys written in this
  unit, and at flush inserted with ``ON CONFLICT DO NOTHING RETURNING``; a row the database
  already had also raises :class:`Redo`.

On :class:`Redo` the worker rolls the batch's transaction back and handles the same tickets
again one by one without a unit, the plain way; the outcome is the same, only slower.
Primary keys are allotted up front (PostgreSQL sequences; on SQLite the transaction holds the
write lock from ``BEGIN IMMEDIATE``, so the next ids are ours) so callers can use ``obj.pk``.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model
from django.db.models.signals import post_save

M = TypeVar("M", bound=Model)
_local = threading.local()
_IDS_AT_A_TIME = 256
_WRITES = ("INSERT", "UPDATE", "DELETE")
_SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


class Redo(Exception):
    """The batch must be handled again without a unit of work; says why."""


def current() -> UnitOfWork | None:
    return getattr(_local, "unit", None)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """Collect the writes of the block; they are all sent when it ends (inside the caller's
    transaction). Raises :class:`Redo` when the unit could not keep memory and database equal."""
    if current() is not None:
        raise RuntimeError("units of work do not nest")
    unit = UnitOfWork()
    _local.unit = unit
    try:
        with connection.execute_wrapper(unit._intercept):
            yield unit
            unit.flush()
    finally:
        _local.unit = None
    if unit.spoiled:
        raise Redo(unit.spoiled)


def _key(model: type[Model], pk: Any) -> tuple[str, Any]:
    return (model._meta.label, pk)


def mark_stored(instance: Model, *, signal: bool = True) -> None:
    """What ``save()`` does after its INSERT: the row counts as stored, ``post_save`` is sent."""
    instance._state.adding = False
    instance._state.db = connection.alias
    if signal:
        post_save.send(
            sender=type(instance),
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using=connection.alias,
        )


@functools.cache
def _quoted(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class UnitOfWork:
    def __init__(self) -> None:
        self.masters: dict[tuple[str, Any], Model] = {}
        self.flushed: dict[tuple[str, Any], dict[str, Any]] = {}
        self.children: dict[tuple[str, str, Any], list[Model]] = {}
        self.dirty: dict[tuple[str, Any], set[str]] = defaultdict(set)
        self.inserts: dict[tuple[str, Any], Model] = {}
        self.keys: set[tuple] = set()
        self.memos: dict[Any, Any] = {}
        self.generation = 0
        self.spoiled = ""
        self._ids: dict[str, list[int]] = defaultdict(list)
        self._new_children: set[tuple[str, Any]] = set()
        self._child_sets: dict[str, set[str]] = defaultdict(set)
        self._dirty_of: dict[str, set[tuple[str, Any]]] = defaultdict(set)
        self._watched: dict[tuple[str, tuple], dict[tuple[str, Any], tuple]] = {}
        self._touched: dict[tuple[str, tuple], set[tuple[str, Any]]] = {}
        self._tracked_tables: set[str] = set()
        self._pending_tables: set[str] = set()
        self._bypass = 0

    # --- the identity map -----------------------------------------------------------------

    def track(self, rows: Iterable[Model]) -> None:
        for row in rows:
            key = _key(type(row), row.pk)
            self.masters[key] = row
            self.flushed[key] = _snapshot(row)
            self._tracked_tables.add(_quoted(type(row)))

    def track_children(
        self, model: type[M], fk_attname: str, parents: Iterable[Any], rows: Iterable[M]
    ) -> None:
        """``rows`` are *all* the ``model`` rows of these parents: their set is known."""
        self._tracked_tables.add(_quoted(model))
        self._child_sets[model._meta.label].add(fk_attname)
        for parent in parents:
            self.children[(model._meta.label, fk_attname, parent)] = []
        for row in rows:
            self.track([row])
            self.children[(model._meta.label, fk_attname, getattr(row, fk_attname))].append(row)

    @property
    def waiting(self) -> int:
        """How many rows wait to be written (new rows and changed ones)."""
        return len(self.inserts) + len(self.dirty)

    def is_tracked(self, model: type[Model], pk: Any) -> bool:
        key = _key(model, pk)
        return key in self.masters or key in self.inserts

    def has_values(self, model: type[Model], pk: Any, expected: dict[str, Any]) -> bool:
        key = _key(model, pk)
        row = self.inserts.get(key) or self.masters[key]
        return all(getattr(row, name) == value for name, value in expected.items())

    def copy_of(self, model: type[M], pk: Any) -> M | None:
        """A private copy of the tracked row, as a fresh read would give; None if untracked."""
        master = self.masters.get(_key(model, pk))
        return _copy(master) if master is not None else None

    def copies_of_children(self, model: type[M], fk_attname: str, parent: Any) -> list[M] | None:
        rows = self.children.get((model._meta.label, fk_attname, parent))
        if rows is None:
            return None
        return [_copy(row) for row in sorted(rows, key=lambda row: row.pk)]

    def changed(self, model: type[Model], attnames: tuple[str, ...]) -> list[tuple[tuple, tuple]]:
        """(as flushed, as now) of the tracked rows whose ``attnames`` changed since the last
        flush: what a query that skipped the autoflush has not seen. Kept up to date row by
        row, so asking after every change of a batch stays cheap."""
        label = model._meta.label
        watch = (label, attnames)
        if watch not in self._watched:
            self._watched[watch] = {}
            self._touched[watch] = set(self._dirty_of.get(label, ()))
        changes = self._watched[watch]
        for key in self._touched[watch]:
            before = tuple(self.flushed[key][name] for name in attnames)
            after = tuple(getattr(self.masters[key], name) for name in attnames)
            if before != after:
                changes[key] = (before, after)
            else:
                changes.pop(key, None)
        self._touched[watch] = set()
        return list(changes.values())

    def _mark_dirty(self, key: tuple[str, Any], attname: str) -> None:
        self.dirty[key].add(attname)
        self._dirty_of[key[0]].add(key)
        for watch, touched in self._touched.items():
            if watch[0] == key[0]:
                touched.add(key)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A read the batch's own writes cannot change (users, teams), made once per unit."""
        if key not in self.memos:
            self.memos[key] = compute()
        return self.memos[key]

    @contextmanager
    def as_of_last_flush(self) -> Iterator[None]:
        """Queries here skip the autoflush; the caller adds :meth:`changed` itself."""
        self._bypass += 1
        try:
            yield
        finally:
            self._bypass -= 1

    # --- writes -------------------------------------------------------------------------

    def add(self, instance: M, *, keyed: bool = False, signal: bool = True) -> M | None:
        model = type(instance)
        if keyed:
            keys = _unique_keys(instance)
            if self.keys & keys:
                return None
            self.keys |= keys
        if instance.pk is None:
            instance.pk = self._next_id(model)
        key = _key(model, instance.pk)
        self.inserts[key] = instance
        self._pending_tables.add(_quoted(model))
        for fk_attname in self._child_sets.get(model._meta.label, ()):
            rows = self.children.get((model._meta.label, fk_attname, getattr(instance, fk_attname)))
            if rows is not None:
                rows.append(instance)
                self._new_children.add(key)
        mark_stored(instance, signal=signal)
        return instance

    def save_fields(self, instance: Model, names: Iterable[str]) -> bool:
        """Record the new values of ``names``; False if the row is unknown to the unit."""
        key = _key(type(instance), instance.pk)
        target = self.inserts.get(key) or self.masters.get(key)
        if target is None:
            return False
        meta = instance._meta
        for name in names:
            attname = meta.get_field(name).attname
            if target is not instance:
                value = (
                    getattr(instance, name)
                    if name in instance._state.fields_cache
                    else getattr(instance, attname)
                )
                setattr(target, name if name in instance._state.fields_cache else attname, value)
            if key not in self.inserts:
                self._mark_dirty(key, attname)
        if key not in self.inserts:
            self._pending_tables.add(_quoted(type(instance)))
        return True

    def update_row(self, model: type[Model], pk: Any, values: dict[str, Any]) -> bool:
        key = _key(model, pk)
        target = self.inserts.get(key) or self.masters.get(key)
        if target is None:
            return False
        for name, value in values.items():
            setattr(target, name, value)
            if key not in self.inserts:
                self._mark_dirty(key, model._meta.get_field(name).attname)
        if key not in self.inserts:
            self._pending_tables.add(_quoted(model))
        return True

    def _next_id(self, model: type[Model]) -> int:
        pool = self._ids[model._meta.label]
        if not pool:
            pool.extend(self._allot_ids(model))
        return pool.pop(0)

    def _allot_ids(self, model: type[Model]) -> list[int]:
        meta = model._meta
        self._bypass += 1
        try:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                        "FROM generate_series(1, %s)",
                        [meta.db_table, meta.pk.column, _IDS_AT_A_TIME],
                    )
                    return [row[0] for row in cursor.fetchall()]
                # SQLite: the write lock is held since BEGIN IMMEDIATE, nobody else inserts.
                cursor.execute(
                    f"SELECT max({connection.ops.quote_name(meta.pk.column)}) FROM {_quoted(model)}"
                )
                highest = cursor.fetchone()[0] or 0
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
                row = cursor.fetchone()
                highest = max(highest, row[0] if row else 0)
                # Ids handed out earlier in this unit but not yet inserted count too.
                highest = max([highest, *(pk for label, pk in self.inserts if label == meta.label)])
                return list(range(highest + 1, highest + 1 + _IDS_AT_A_TIME))
        finally:
            self._bypass -= 1

    # --- sending ----------------------------------------------------------------------------

    def _intercept(self, execute, sql, params, many, context):
        if self._bypass:
            return execute(sql, params, many, context)
        head = sql.lstrip()[:24].upper()
        if head.startswith(_SAVEPOINTS):
            # Not sent: a rollback to a savepoint spoils the unit and the whole batch is redone,
            # so inside a unit they are round trips that can never be used.
            if head.startswith("ROLLBACK TO"):
                self.spoiled = self.spoiled or "a savepoint was rolled back"
            return None
        if head.startswith(_WRITES) and any(table in sql for table in self._tracked_tables):
            self.spoiled = self.spoiled or f"a write outside the unit: {sql[:80]}"
        if self._pending_tables and any(table in sql for table in self._pending_tables):
            self.flush()
        return execute(sql, params, many, context)

    def flush(self) -> None:
        if not self._pending_tables:
            return
        self._bypass += 1
        try:
            # Updates first: a run ended and its successor started must not meet in the
            # one-active-run index.
            self._send_updates()
            self._send_inserts()
        finally:
            self._bypass -= 1
        self.generation += 1
        self.memos = {key: value for key, value in self.memos.items() if not _per_flush(key)}
        self._pending_tables.clear()

    def _send_updates(self) -> None:
        shapes: dict[tuple[str, tuple[str, ...]], list[Model]] = defaultdict(list)
        for key, attnames in self.dirty.items():
            shapes[(key[0], tuple(sorted(attnames)))].append(self.masters[key])
        quote = connection.ops.quote_name
        real = _real_connection()
        for (_label, attnames), rows in shapes.items():
            model = type(rows[0])
            meta = model._meta
            fields = [meta.get_field(_field_name(model, name)) for name in attnames]
            assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
            sql = f"UPDATE {_quoted(model)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
            params = [
                [
                    *(
                        field.get_db_prep_save(getattr(row, field.attname), real)
                        for field in fields
                    ),
                    row.pk,
                ]
                for row in rows
            ]
            _execute_many(sql, params)
        for key in self.dirty:
            self.flushed[key] = _snapshot(self.masters[key])
        self.dirty.clear()
        self._dirty_of.clear()
        self._watched.clear()
        self._touched.clear()

    def _send_inserts(self) -> None:
        by_model: dict[type[Model], list[Model]] = defaultdict(list)
        for instance in self.inserts.values():
            by_model[type(instance)].append(instance)
        quote = connection.ops.quote_name
        real = _real_connection()
        for model, rows in by_model.items():
            meta = model._meta
            fields = list(meta.concrete_fields)
            columns = ", ".join(quote(field.column) for field in fields)
            row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
            params = [
                [field.get_db_prep_save(field.pre_save(row, add=True), real) for field in fields]
                for row in rows
            ]
            stored = _insert_returning(
                f"INSERT INTO {_quoted(model)} ({columns}) VALUES ",
                row_sql,
                f" ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}",
                params,
            )
            missing = [row for row in rows if row.pk not in stored]
            if missing:
                self.spoiled = self.spoiled or (
                    f"{meta.label} {missing[0].pk} was stored before (a unique key was taken)"
                )
        # A new row of a tracked set (a clock, a run) is tracked from now on.
        for key in self._new_children:
            self.masters[key] = self.inserts[key]
            self.flushed[key] = _snapshot(self.inserts[key])
        self._new_children.clear()
        self.inserts.clear()


def _copy(row: M) -> M:
    """A copy of a row as a fresh read gives it: own field values, own cache of related rows
    (the related rows themselves are shared, as select_related objects of one read are)."""
    duplicate = Model.__new__(type(row))
    duplicate.__dict__ = row.__dict__.copy()
    state = copy.copy(row._state)
    state.fields_cache = row._state.fields_cache.copy()
    duplicate._state = state
    return duplicate


def _real_connection():
    """The connection behind the ``django.db.connection`` proxy (a lookup per attribute)."""
    return connections[DEFAULT_DB_ALIAS]


def _execute_many(sql: str, params: list[list]) -> None:
    if connection.vendor == "postgresql":
        # Server-side binding: one short statement, prepared once, pipelined for every row.
        real = _real_connection()
        with real.wrap_database_errors, psycopg.Cursor(real.connection) as cursor:
            cursor.executemany(sql, params)
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _insert_returning(head: str, row_sql: str, tail: str, params: list[list]) -> set:
    """Insert every row of ``params``; the primary keys of those actually stored."""
    stored: set = set()
    if connection.vendor == "postgresql":
        real = _real_connection()
        with real.wrap_database_errors, psycopg.Cursor(real.connection) as cursor:
            cursor.executemany(head + row_sql + tail, params, returning=True)
            while True:
                stored.update(row[0] for row in cursor.fetchall())
                if not cursor.nextset():
                    break
        return stored
    # SQLite: a local call per statement, so as many rows per statement as it allows.
    size = max(1, 30000 // len(params[0]))
    with connection.cursor() as cursor:
        for start in range(0, len(params), size):
            chunk = params[start : start + size]
            cursor.execute(
                head + ", ".join([row_sql] * len(chunk)) + tail,
                [value for row in chunk for value in row],
            )
            stored.update(row[0] for row in cursor.fetchall())
    return stored


def _per_flush(key: Any) -> bool:
    return isinstance(key, tuple) and bool(key) and key[0] == "per-flush"


def _field_name(model: type[Model], attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    return attname


def _snapshot(row: Model) -> dict[str, Any]:
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


def _unique_keys(instance: Model) -> set[tuple]:
    meta = instance._meta
    label = meta.label
    keys = set()
    for field in meta.concrete_fields:
        if field.unique and not field.primary_key:
            keys.add((label, field.attname, getattr(instance, field.attname)))
    for constraint in meta.total_unique_constraints:
        names = tuple(meta.get_field(name).attname for name in constraint.fields)
        keys.add((label, names, tuple(getattr(instance, name) for name in names)))
    return keys
