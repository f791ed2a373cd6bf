"""Writing a row exactly once in one round trip.

Exactly-once rows (SLA firings, escalation records, notifications, outbox messages) are keyed by
a unique constraint. ``create()`` inside a savepoint costs three round trips (SAVEPOINT, INSERT,
RELEASE) and an exception when the key is taken; ``INSERT … ON CONFLICT DO NOTHING RETURNING``
costs one, on PostgreSQL and on SQLite (3.35+) alike. A storm of breaches writes thousands of
these rows in one sweep, so the difference is most of the worker's time.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_save

M = TypeVar("M", bound=Model)


def insert_once(instance: M) -> M | None:
    """Insert ``instance`` unless a row with one of its unique keys exists.

    Returns the saved instance (primary key set, ``post_save`` sent with ``created=True`` as
    ``save()`` would), or None when the row was there already. Other errors (a NOT NULL column, a
    check) still raise; foreign keys are checked at commit, as with ``save()``.
    """
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
    instance._state.adding = False
    instance._state.db = connection.alias
    post_save.send(
        sender=type(instance),
        instance=instance,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )
    return instance
