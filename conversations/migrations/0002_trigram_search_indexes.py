"""Trigram GIN indexes for the admin's substring search (PostgreSQL only).

Django's `icontains` compiles to `UPPER(col::text) LIKE UPPER('%term%')`, so the
indexes are on UPPER(col): a search then uses a bitmap index scan instead of
reading every row, which is what keeps it fast on millions of turns. SQLite has
no pg_trgm; there the migration does nothing and search scans the table.
"""

from __future__ import annotations

from django.db import migrations

INDEXES = {
    "conv_message_trgm_idx": "message",
    "conv_response_trgm_idx": "response",
}


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PG 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON conversation_log "
            f"USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
