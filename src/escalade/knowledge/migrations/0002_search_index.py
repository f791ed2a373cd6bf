"""The knowledge-base search index, per database backend (see knowledge/search.py).

SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34 or later), rowid = translation id.
PostgreSQL: the pg_trgm extension (a trusted extension: a database owner may create it) and a
GIN trigram index on the folded search text.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_search "
            "USING fts5(title, body, tokenize='trigram')"
        )
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS knowledge_translation_search_trgm "
            "ON knowledge_articletranslation USING gin (search_text gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS knowledge_search")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS knowledge_translation_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
