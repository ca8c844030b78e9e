"""The schedules that migrations put in django-celery-beat's tables, and how
a beat that was down catches up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from robeing_site.celery import app

pytestmark = pytest.mark.django_db

AGGREGATION = "stats.tasks.aggregate_conversation_stats"
ARCHIVE = "conversations.tasks.archive_conversations"
PRIVACY = "privacy.tasks.process_privacy_requests"


def test_migrate_leaves_every_job_scheduled_and_enabled():
    scheduled = {task.task: task for task in PeriodicTask.objects.filter(enabled=True)}

    assert {AGGREGATION, ARCHIVE, PRIVACY} <= set(scheduled)
    assert (scheduled[AGGREGATION].interval.every, scheduled[AGGREGATION].interval.period) == (
        5,
        "minutes",
    )
    nightly = scheduled[ARCHIVE].crontab
    assert (nightly.minute, nightly.hour, str(nightly.timezone)) == ("30", "3", "Asia/Seoul")
    assert scheduled[PRIVACY].interval.every == 10


def test_every_scheduled_task_is_a_task_the_workers_know():
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    for task in PeriodicTask.objects.exclude(task="celery.backend_cleanup"):
        assert task.task in app.tasks, task.task


def test_beat_loads_the_schedules_from_the_database():
    # django-celery-beat loads a crontab entry only within the hour before it is
    # due; move the nightly run to this hour so that it is among them.
    nightly = PeriodicTask.objects.get(task=ARCHIVE).crontab
    nightly.hour = str(timezone.localtime(timezone.now(), nightly.timezone).hour)
    nightly.save()
    scheduler = DatabaseScheduler(app=app, lazy=True)

    tasks = {entry.task for entry in scheduler.all_as_schedule().values()}

    assert {AGGREGATION, ARCHIVE, PRIVACY} <= tasks


def test_a_beat_that_was_down_for_days_runs_a_missed_night_once_not_once_per_night():
    task = PeriodicTask.objects.get(task=ARCHIVE)
    task.last_run_at = timezone.now() - dt.timedelta(days=3)
    task.save()

    entry = ModelEntry(task, app=app)
    assert entry.is_due().is_due  # it runs when beat comes back...
    after_the_run = next(entry)
    assert not after_the_run.is_due().is_due  # ...and then waits for the next night
    # A message no worker took in time is dropped rather than piling up.
    assert entry.options["expires"] == 12 * 60 * 60


def test_every_job_drops_runs_no_worker_took_in_time():
    # Each just under the job's own interval: a run that waited that long is
    # stale, and the next one is already on its way.
    expected_seconds = {AGGREGATION: 4 * 60, PRIVACY: 9 * 60, ARCHIVE: 12 * 60 * 60}

    expires = {
        name: ModelEntry(PeriodicTask.objects.get(task=name), app=app).options.get("expires")
        for name in expected_seconds
    }

    assert expires == expected_seconds
