"""The knowledge-base search index on each database backend.

Both backends answer one question — which translations contain at least one of these folded
terms as a substring? — and ``textsearch.score`` then ranks the candidates identically in Python.

- **SQLite**: an FTS5 table ``knowledge_search(title, body)`` with ``tokenize='trigram'``, its
  rowid the translation's id, holding the folded text. Terms of three characters or more go
  through ``MATCH`` (the trigram index); shorter ones (a two-character Chinese word such as
  发票) cannot be answered by trigrams and use ``LIKE`` over the same table.
- **PostgreSQL**: the ``pg_trgm`` extension and a GIN trigram index on
  ``ArticleTranslation.search_text``; ``LIKE '%term%'`` uses the index for terms of three
  characters or more, shorter ones are a scan of the (small) table.

The index is written by the knowledge services in the transaction of each change;
``rebuild`` (``escalade manage rebuild_kb_index``) recreates it from the translations.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Q

from escalade.knowledge import textsearch
from escalade.knowledge.models import ArticleTranslation

FTS_TABLE = "knowledge_search"
CANDIDATE_LIMIT = 1000


def search_text(title: str, body_text: str) -> str:
    """The folded text stored for a translation: title, a newline, then the text."""
    return f"{textsearch.fold(' '.join(title.split()))}\n{textsearch.fold(body_text)}"


def split_search_text(value: str) -> tuple[str, str]:
    title, _sep, body = value.partition("\n")
    return title, body


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def index(translation: ArticleTranslation) -> None:
    """Write one translation's folded text into the index (after it is saved)."""
    if not _is_sqlite():
        return  # PostgreSQL indexes the search_text column itself
    title, body = split_search_text(translation.search_text)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [translation.pk])
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (%s, %s, %s)",
            [translation.pk, title, body],
        )


def unindex(translation_ids: Sequence[int]) -> None:
    if not _is_sqlite() or not translation_ids:
        return
    with connection.cursor() as cursor:
        for pk in translation_ids:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [pk])


def rebuild() -> int:
    """Recompute every translation's search text and rewrite the index; returns the count."""
    count = 0
    if _is_sqlite():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
    for translation in ArticleTranslation.objects.order_by("pk").iterator():
        value = search_text(translation.title, translation.body_text)
        if value != translation.search_text:
            ArticleTranslation.objects.filter(pk=translation.pk).update(search_text=value)
            translation.search_text = value
        index(translation)
        count += 1
    return count


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def candidate_ids(terms: Sequence[str], limit: int = CANDIDATE_LIMIT) -> list[int] | None:
    """Ids of translations containing any of the terms, on SQLite; None on PostgreSQL, where
    ``candidate_filter`` narrows the query instead."""
    if not _is_sqlite():
        return None
    if not terms:
        return []
    long = [term for term in terms if len(term) >= textsearch.MIN_WORD]
    short = [term for term in terms if len(term) < textsearch.MIN_WORD]
    parts: list[str] = []
    params: list[object] = []
    if long:
        parts.append(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s")
        params.append(" OR ".join('"' + term.replace('"', '""') + '"' for term in long))
    for term in short:
        parts.append(
            f"SELECT rowid FROM {FTS_TABLE} WHERE title LIKE %s ESCAPE '\\' "
            "OR body LIKE %s ESCAPE '\\'"
        )
        params += [_like(term), _like(term)]
    sql = " UNION ".join(parts) + " LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def candidate_filter(terms: Sequence[str]) -> Q:
    """A filter for translations containing any of the terms (PostgreSQL: trigram index)."""
    condition = Q(pk__in=[])
    for term in terms:
        condition |= Q(search_text__contains=term)
    return condition
