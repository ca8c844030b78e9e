"""Reads of the job-run history: how each scheduled job is doing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Min
from django_celery_beat.models import PeriodicTask

from jobs.models import JobRun

# How late a job may be before it counts as overdue: twice its interval.
OVERDUE_AFTER_INTERVALS = 2


@dataclass(frozen=True)
class JobStatus:
    job: str  # the task name
    name: str  # the schedule's name ("" for a job with no schedule)
    enabled: bool
    interval: timedelta | None  # None: no schedule, or one with no fixed rhythm
    last_run: JobRun | None
    last_success_at: datetime | None
    first_run_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        """Not succeeded within twice its interval: since its last success, or
        since its first recorded run for a job that never succeeded. A job
        with no run at all is not overdue yet ("never run" instead)."""
        since = self.last_success_at or self.first_run_at
        if not self.enabled or self.interval is None or since is None:
            return False
        return now - since > OVERDUE_AFTER_INTERVALS * self.interval

    @property
    def failing(self) -> bool:
        return self.last_run is not None and self.last_run.outcome == JobRun.Outcome.FAILED

    def needs_attention(self, now: datetime) -> bool:
        """What the admin marks red: the last run failed, or it is overdue."""
        return self.failing or self.overdue(now)


def schedule_interval(task: PeriodicTask) -> timedelta | None:
    """The time between two runs of a schedule: exact for an interval, the
    average for a crontab (a nightly job: 24 hours)."""
    if task.interval_id is not None:
        return task.interval.schedule.run_every
    if task.crontab_id is not None:
        cron = task.crontab.schedule
        per_day = len(cron.minute) * len(cron.hour)
        if len(cron.day_of_month) == 31 and len(cron.month_of_year) == 12:
            return timedelta(days=7) / (per_day * len(cron.day_of_week))
        return timedelta(days=365) / (per_day * len(cron.day_of_month) * len(cron.month_of_year))
    return None  # solar and one-off (clocked) schedules


def job_statuses() -> list[JobStatus]:
    """Every scheduled job and every job with recorded runs, by name."""
    schedules = {
        task.task: task
        for task in PeriodicTask.objects.select_related("interval", "crontab").exclude(
            task="celery.backend_cleanup"
        )
    }
    summary = {
        row["job"]: row
        for row in JobRun.objects.values("job").annotate(
            first_run_at=Min("started_at"), last_id=Max("id")
        )
    }
    last_success = dict(
        JobRun.objects.filter(outcome=JobRun.Outcome.OK)
        .values("job")
        .annotate(at=Max("finished_at"))
        .values_list("job", "at")
    )
    last_runs = JobRun.objects.in_bulk([row["last_id"] for row in summary.values()])
    statuses = []
    for job in sorted(set(schedules) | set(summary)):
        schedule = schedules.get(job)
        row = summary.get(job)
        statuses.append(
            JobStatus(
                job=job,
                name=schedule.name if schedule else "",
                enabled=bool(schedule and schedule.enabled),
                interval=schedule_interval(schedule) if schedule else None,
                last_run=last_runs.get(row["last_id"]) if row else None,
                last_success_at=last_success.get(job),
                first_run_at=row["first_run_at"] if row else None,
            )
        )
    return statuses


def job_label(job: str) -> str:
    """A task name without its module (`stats.tasks.aggregate_conversation_stats`
    -> `aggregate_conversation_stats`): the run list's and the metrics' label."""
    return job.rsplit(".", 1)[-1]
