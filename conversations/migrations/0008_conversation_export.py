"""The audit of CSV downloads from the log browser (conversation_export)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0007_archive_task_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ConversationExport",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "started_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="started"),
                ),
                ("filters", models.JSONField(blank=True, default=dict, verbose_name="filters")),
                ("row_count", models.PositiveBigIntegerField(default=0, verbose_name="rows")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                ),
                (
                    "exported_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="exported by",
                    ),
                ),
            ],
            options={
                "verbose_name": "log export",
                "verbose_name_plural": "log exports",
                "db_table": "conversation_export",
                "ordering": ("-started_at", "-id"),
            },
        ),
    ]
