"""The console's indexes on conversation_log (see ConversationLog.Meta.indexes).

Built CONCURRENTLY on PostgreSQL: a plain CREATE INDEX holds off every INSERT
for as long as it reads the table (a minute or more each at ten million
turns), and bots log turns all the time. A build that fails leaves an invalid
index behind: drop it and migrate again.
"""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, a plain one elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction
    dependencies = [
        ("accounts", "0001_initial"),
        ("conversations", "0008_conversation_export"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="conversationlog",
            index=models.Index(fields=["intent", "-timestamp", "-id"], name="conv_intent_time_idx"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="conversationlog",
            index=models.Index(
                fields=["robeing", "intent", "-timestamp", "-id"],
                name="conv_robeing_intent_time_idx",
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="conversationlog",
            index=models.Index(
                condition=models.Q(("confidence__lt", 0.5)),
                fields=["-timestamp", "-id"],
                name="conv_low_confidence_idx",
            ),
        ),
    ]
