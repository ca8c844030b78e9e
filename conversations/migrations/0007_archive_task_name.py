"""The nightly archive run's task is now named like its command and service:
archive_conversations. The schedule row that 0006 seeded follows the rename."""

from __future__ import annotations

import importlib

from django.db import migrations
from django.utils import timezone

OLD_TASK = "conversations.tasks.archive_old_conversations"
NEW_TASK = "conversations.tasks.archive_conversations"


def rename(apps, schema_editor) -> None:
    _retask(apps, OLD_TASK, NEW_TASK)


def rename_back(apps, schema_editor) -> None:
    _retask(apps, NEW_TASK, OLD_TASK)


def _retask(apps, old: str, new: str) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(task=old).update(task=new):
        # What PeriodicTask.save() would do (a queryset update does not): a
        # running beat sees the change and reloads its schedule.
        PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def schedule(apps, schema_editor) -> None:
    """What 0006 and this migration leave, idempotently (the test suite
    re-seeds with it after a flush)."""
    importlib.import_module("conversations.migrations.0006_archive_schedule").schedule(
        apps, schema_editor
    )
    rename(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0006_archive_schedule")]

    operations = [migrations.RunPython(rename, rename_back)]
