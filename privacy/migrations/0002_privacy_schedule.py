"""The privacy job every 10 minutes in django-celery-beat's tables (editable in the admin)."""

from __future__ import annotations

from django.db import migrations

PRIVACY_TASK = "privacy.tasks.process_privacy_requests"
PRIVACY_NAME = "Process privacy requests (every 10 minutes)"


def schedule(apps, schema_editor) -> None:
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_10_minutes, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=PRIVACY_NAME,
        defaults={
            "task": PRIVACY_TASK,
            "interval": every_10_minutes,
            # Each run answers every open request; a run missed while beat or the
            # workers were down is not worth replaying.
            "expire_seconds": 9 * 60,
            "description": "Answers erasure and export requests; deletes expired exports.",
        },
    )


def unschedule(apps, schema_editor) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=PRIVACY_TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
