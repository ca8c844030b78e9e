"""Named locks with an expiry, in the database every process already shares."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobLock(models.Model):
    """One row per held lock. A holder that dies stops renewing it, so the
    lock frees itself at `expires_at` instead of blocking the job forever."""

    name = models.CharField(_("name"), max_length=200, primary_key=True)
    # host:pid:random, so an operator can tell which process holds it.
    holder = models.CharField(_("holder"), max_length=200)
    acquired_at = models.DateTimeField(_("acquired"))
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        db_table = "job_lock"
        verbose_name = _("job lock")
        verbose_name_plural = _("job locks")

    def __str__(self) -> str:
        return self.name


class JobRun(models.Model):
    """One run of a scheduled job: when, how it ended, what it did.

    Written by `jobs.services` around every job (the Celery task and its
    management command alike) and kept for a bounded number of runs per job
    (JOB_RUN_HISTORY_PER_JOB); the newest successful run of a job is never
    pruned, so "last success" stays known however many failures follow."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("running")
        OK = "ok", _("succeeded")
        LOCKED = "locked", _("refused: already running")
        RETRIED = "retried", _("failed, will retry")
        FAILED = "failed", _("failed")

    job = models.CharField(_("job"), max_length=200)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING
    )
    # What the run did, by name: {"turns_counted": 120}, {"turns_archived": 5000, ...}.
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # The exception's type and message for a failed or retried run.
    error = models.TextField(_("error"), blank=True)
    # "celery" (beat or a queued task) or "command" (manage.py by hand).
    trigger = models.CharField(_("started by"), max_length=16, default="celery")
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    # 0 for the first delivery, 1 for the first retry, ...
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    # The HTTP request that queued the run, if one did (its X-Request-ID).
    request_id = models.CharField(_("request id"), max_length=128, blank=True)

    class Meta:
        db_table = "job_run"
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ("-started_at", "-id")
        indexes = [
            # The admin's list per job and the pruning, newest first.
            models.Index(fields=("job", "-started_at", "-id"), name="job_run_job_time_idx"),
            # "Last success of each job": one probe per job.
            models.Index(
                fields=("job", "-finished_at"),
                name="job_run_job_ok_idx",
                condition=models.Q(outcome="ok"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
