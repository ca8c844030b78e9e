"""A gram index for 1-2 character search terms (PostgreSQL only).

pg_trgm takes no trigram from a term of one or two characters (환불, AI), so
such a search cannot use the trigram indexes of 0002: a rare or absent word
then reads the whole table (13 s at 10 million turns). pg_bigm would do it but
is not packaged for Debian, so this is our own: `conv_search_grams(text)` is
every character and every pair of neighbouring characters of the lower-cased
text, and a GIN index holds them for `message || ' ' || response`. A term of
one or two characters is found when the row's grams contain the term's own
grams (conversations.selectors.conversation_search); since such a term has no
whitespace in it, it cannot straddle the space that joins the two columns.

The function is plain SQL over C built-ins (string_to_array splits into
characters; unnest of two arrays zips them): about 50 µs per turn, linear in
the text. GIN removes duplicate grams itself, so the array needs no DISTINCT.
SQLite has none of this; there the search scans, as it always did.
"""

from __future__ import annotations

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION conv_search_grams(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT chars || ARRAY(
    SELECT x || y FROM unnest(chars[:cardinality(chars) - 1], chars[2:]) AS pairs(x, y)
  )
  FROM string_to_array(lower(doc), NULL) AS chars
$$
"""
# CONCURRENTLY: the build reads every turn (minutes at ten million) and must
# not hold off ingestion meanwhile. A failed build leaves an invalid index:
# drop it and migrate again.
INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS conv_search_grams_idx ON conversation_log "
    "USING gin (conv_search_grams(message || ' ' || response))"
)


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(INDEX)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS conv_search_grams_idx")
    schema_editor.execute("DROP FUNCTION IF EXISTS conv_search_grams(text)")


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction
    dependencies = [("conversations", "0009_console_indexes")]

    operations = [migrations.RunPython(create, drop)]
