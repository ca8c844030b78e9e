"""The stats aggregation's backlog becomes a table of its own.

Until now the claim marked a turn counted with an UPDATE of
conversation_log.stats_counted_at. That UPDATE cannot be a HOT update (the
column was in conv_uncounted_idx's predicate, and the pages are full), so
each claimed turn was written again into every index of the table, its three
GIN indexes of the text included: 330 ms per 1,000 turns, most of the
aggregation's time. Now a trigger puts each new turn's id into
conversation_uncounted, and the claim deletes from that narrow table
(conversations.models.UncountedTurn).

What was uncounted stays uncounted: the ids of turns with no stats_counted_at
are copied over while conversation_log is locked against inserts, so no turn
inserted meanwhile is missed or counted twice. (On SQLite the column's removal
rebuilds the table and would drop a trigger made before it, so the trigger is
made last; SQLite takes one writer at a time anyway.)
"""

from __future__ import annotations

from django.db import migrations, models

PG_TRIGGER = [
    """
CREATE FUNCTION conversation_log_enqueue_uncounted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conversation_uncounted (turn_id) SELECT id FROM inserted;
  RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER conversation_log_uncounted
AFTER INSERT ON conversation_log
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION conversation_log_enqueue_uncounted()
""",
]
# One statement per INSERT, whatever the number of rows (a 1,000-turn batch,
# a COPY of a million); ON CONFLICT DO NOTHING leaves a duplicate out of
# `inserted`, so a Slack retry queues nothing.
PG_TRIGGER_DROP = [
    "DROP TRIGGER IF EXISTS conversation_log_uncounted ON conversation_log",
    "DROP FUNCTION IF EXISTS conversation_log_enqueue_uncounted()",
]
SQLITE_TRIGGER = """
CREATE TRIGGER conversation_log_uncounted AFTER INSERT ON conversation_log
BEGIN INSERT INTO conversation_uncounted (turn_id) VALUES (NEW.id); END
"""
SQLITE_TRIGGER_DROP = "DROP TRIGGER IF EXISTS conversation_log_uncounted"


def copy_backlog(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        # Inserts wait until this migration commits: the trigger and the copy
        # see the same turns.
        schema_editor.execute("LOCK TABLE conversation_log IN SHARE ROW EXCLUSIVE MODE")
        for statement in PG_TRIGGER:
            schema_editor.execute(statement)
    schema_editor.execute(
        "INSERT INTO conversation_uncounted (turn_id) "
        "SELECT id FROM conversation_log WHERE stats_counted_at IS NULL"
    )


def restore_column(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_TRIGGER_DROP:
            schema_editor.execute(statement)
    schema_editor.execute(
        "UPDATE conversation_log SET stats_counted_at = CURRENT_TIMESTAMP "
        "WHERE id NOT IN (SELECT turn_id FROM conversation_uncounted)"
    )


def sqlite_trigger(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


def sqlite_trigger_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0010_search_grams"),
    ]

    operations = [
        migrations.CreateModel(
            name="UncountedTurn",
            fields=[
                (
                    "turn_id",
                    models.BigIntegerField(primary_key=True, serialize=False, verbose_name="turn"),
                ),
            ],
            options={
                "verbose_name": "turn not counted yet",
                "verbose_name_plural": "turns not counted yet",
                "db_table": "conversation_uncounted",
            },
        ),
        migrations.RunPython(copy_backlog, restore_column),
        migrations.RemoveIndex(model_name="conversationlog", name="conv_uncounted_idx"),
        migrations.RemoveField(model_name="conversationlog", name="stats_counted_at"),
        migrations.RunPython(sqlite_trigger, sqlite_trigger_drop),
    ]
