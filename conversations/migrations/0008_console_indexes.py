# The console's indexes on conversation_log (see ConversationLog.Meta.indexes).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("conversations", "0007_archive_task_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="conversationlog",
            index=models.Index(fields=["intent", "-timestamp", "-id"], name="conv_intent_time_idx"),
        ),
        migrations.AddIndex(
            model_name="conversationlog",
            index=models.Index(
                fields=["robeing", "intent", "-timestamp", "-id"],
                name="conv_robeing_intent_time_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="conversationlog",
            index=models.Index(
                condition=models.Q(("confidence__lt", 0.5)),
                fields=["-timestamp", "-id"],
                name="conv_low_confidence_idx",
            ),
        ),
    ]
