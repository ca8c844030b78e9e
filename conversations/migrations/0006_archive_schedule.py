"""The nightly archive run in django-celery-beat's tables (editable in the admin)."""

from __future__ import annotations

from django.db import migrations

ARCHIVE_TASK = "conversations.tasks.archive_old_conversations"
ARCHIVE_NAME = "Archive old conversation turns (nightly, 03:30 Asia/Seoul)"


def schedule(apps, schema_editor) -> None:
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Seoul",
    )
    PeriodicTask.objects.get_or_create(
        name=ARCHIVE_NAME,
        defaults={
            "task": ARCHIVE_TASK,
            "crontab": nightly,
            # A beat that was down runs a missed night once when it comes back
            # (the scheduler compares with last_run_at; it does not replay each
            # missed night). A message no worker took within 12 hours is dropped:
            # the next night moves everything anyway.
            "expire_seconds": 12 * 60 * 60,
            "description": "Moves turns older than ARCHIVE_AFTER_DAYS into monthly archives.",
        },
    )


def unschedule(apps, schema_editor) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=ARCHIVE_TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0005_archives"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
