"""Writing a row exactly once in one round trip.

Exactly-once rows (SLA firings, escalation records, notifications, outbox messages) are keyed by
a unique constraint. ``create()`` inside a savepoint costs three round trips (SAVEPOINT, INSERT,
RELEASE) and an exception when the key is taken; ``INSERT … ON CONFLICT DO NOTHING RETURNING``
costs one, on PostgreSQL and on SQLite (3.35+) alike. A storm of breaches writes thousands of
these rows in one sweep, so the difference is most of the worker's time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

from escalade.core import unit_of_work

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def insert_once(instance: M) -> M | None:
    """Insert ``instance`` unless a row with one of its unique keys exists.

    Returns the saved instance (primary key set, ``post_save`` sent with ``created=True`` as
    ``save()`` would), or None when the row was there already. Other errors (a NOT NULL column, a
    check) still raise; foreign keys are checked at commit, as with ``save()``.
    """
    unit = unit_of_work.current()
    if unit is not None:
        return unit.add(instance, keyed=True)
    meta = instance._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    values = [
        field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields
    ]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    instance.pk = row[0]
    unit_of_work.mark_stored(instance)
    return instance


# --- writes and reads that a unit of work (core.unit_of_work) collects or serves ----------
# Outside a unit each is the plain ORM call it replaces.


def add(instance: M) -> M:
    """Insert a new row (``save()``)."""
    unit = unit_of_work.current()
    if unit is not None:
        unit.add(instance)
        return instance
    instance.save(force_insert=True)
    return instance


def add_all(instances: Iterable[M]) -> list[M]:
    """Insert new rows of one model (``bulk_create``: no signals)."""
    rows = list(instances)
    unit = unit_of_work.current()
    if unit is not None:
        for row in rows:
            unit.add(row, signal=False)
        return rows
    if rows:
        type(rows[0]).objects.bulk_create(rows)
    return rows


def save_fields(instance: Model, names: Iterable[str]) -> None:
    """Write these fields of a stored row (``save(update_fields=…)``)."""
    names = list(names)
    unit = unit_of_work.current()
    if unit is not None and unit.save_fields(instance, names):
        return
    instance.save(update_fields=names)


def update_row(
    model: type[Model], pk: Any, values: dict[str, Any], *, expected: dict | None = None
) -> bool:
    """Set ``values`` on one row; with ``expected``, only if the row still has those values
    (compare-and-set). Returns whether the row was changed."""
    unit = unit_of_work.current()
    if unit is not None and unit.is_tracked(model, pk):
        if expected and not unit.has_values(model, pk, expected):
            return False
        return unit.update_row(model, pk, values)
    return model.objects.filter(pk=pk, **(expected or {})).update(**values) == 1


def track_children(model: type[M], fk_attname: str, parents: list[Any], rows: Iterable[M]) -> None:
    """Hand the current unit of work *all* ``model`` rows of ``parents`` (a batch preload)."""
    unit = unit_of_work.current()
    if unit is not None:
        unit.track_children(model, fk_attname, parents, rows)


def tracked(model: type[M], pk: Any) -> M | None:
    """The row as the current unit of work holds it (a private copy), or None."""
    unit = unit_of_work.current()
    return unit.copy_of(model, pk) if unit is not None else None


def children(model: type[M], fk_attname: str, parent: Any, query: Iterable[M]) -> list[M]:
    """``model`` rows of ``parent``: the current unit's copies of *all* of them when its batch
    loaded them (callers filter as ``query`` would), else the rows of ``query``."""
    unit = unit_of_work.current()
    held = unit.copies_of_children(model, fk_attname, parent) if unit is not None else None
    return held if held is not None else list(query)


def memo(key: Any, compute: Callable[[], T]) -> T:
    """A lookup the current unit of work makes once (``compute()`` outside a unit)."""
    unit = unit_of_work.current()
    return unit.memo(key, compute) if unit is not None else compute()
