"""Named locks with an expiry: no two runs of one job at once, and no two
writers of one archive at once, across every worker process and machine.

A lock is a row in `job_lock`, taken by one atomic upsert that succeeds only
when the row is absent or expired. It works the same on PostgreSQL and SQLite
(the embedded default, which has no advisory locks) and survives a killed
holder: the row simply expires. Long work renews its lease as it goes.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import Error as DjangoDatabaseError
from django.db import connection
from django.utils import timezone

from core.errors import exception_summary
from core.metrics import counter, histogram
from jobs.models import JobLock, JobRun
from jobs.selectors import job_label

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 10 * 60


class JobAlreadyRunning(Exception):
    """Another process holds the lock (and it has not expired)."""

    def __init__(self, name: str, holder: str | None) -> None:
        self.name, self.holder = name, holder
        super().__init__(f"{name!r} is locked by {holder or 'another process'}")


class LockLost(Exception):
    """The lease expired and someone else took the lock: stop writing."""


class Lease:
    """A held lock. `renew()` it at least once per `ttl`; long work does so
    after each batch and stops (LockLost) if the lease was taken over."""

    def __init__(self, name: str, token: str, ttl: float) -> None:
        self.name, self.token, self.ttl = name, token, ttl
        self._renewed = time.monotonic()

    def renew(self, *, force: bool = False) -> None:
        # At most one UPDATE per tenth of the ttl: renewing after each small
        # batch must not double the cost of the batch.
        if not force and time.monotonic() - self._renewed < self.ttl / 10:
            return
        expires = timezone.now() + timedelta(seconds=self.ttl)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE job_lock SET expires_at = %s WHERE name = %s AND holder = %s",
                [expires, self.name, self.token],
            )
            if cursor.rowcount != 1:
                raise LockLost(f"lost the lock {self.name!r}")
        self._renewed = time.monotonic()


def lock_try_acquire(*, name: str, ttl: float = DEFAULT_TTL_SECONDS) -> Lease | None:
    """Take the lock if it is free or expired; None if someone holds it."""
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    expires = now + timedelta(seconds=ttl)
    # One statement: the row is inserted, or taken over only if it has expired.
    # RETURNING yields a row exactly when this call got the lock.
    sql = (
        "INSERT INTO job_lock (name, holder, acquired_at, expires_at) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
        "WHERE job_lock.expires_at < %s RETURNING holder"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [name, token, now, expires, now])
        row = cursor.fetchone()
        if row and row[0] == token:
            return Lease(name, token, ttl)
        # A holder on this machine whose process is gone (killed, OOM) will
        # never release or renew: take over now instead of waiting for expiry.
        # Conditional on the dead holder still being the holder, so two
        # processes doing this at once cannot both win.
        holder = lock_holder(name=name)
        if holder and _is_dead_local_holder(holder):
            cursor.execute(
                "UPDATE job_lock SET holder = %s, acquired_at = %s, expires_at = %s "
                "WHERE name = %s AND holder = %s",
                [token, now, expires, name, holder],
            )
            if cursor.rowcount == 1:
                logger.warning("lock %s: took over from %s, which has died", name, holder)
                return Lease(name, token, ttl)
    return None


def _is_dead_local_holder(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, owned by someone else
    return False


def lock_release(lease: Lease) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM job_lock WHERE name = %s AND holder = %s", [lease.name, lease.token]
        )


def lock_holder(*, name: str) -> str | None:
    """Who holds an unexpired lock, if anyone."""
    lock = JobLock.objects.filter(name=name, expires_at__gte=timezone.now()).first()
    return lock.holder if lock else None


@contextmanager
def locked(
    name: str, *, ttl: float = DEFAULT_TTL_SECONDS, wait_seconds: float = 0
) -> Iterator[Lease]:
    """Hold the lock `name` for the block. Raises JobAlreadyRunning when it is
    held elsewhere, at once or after waiting up to `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    while (lease := lock_try_acquire(name=name, ttl=ttl)) is None:
        if time.monotonic() >= deadline:
            raise JobAlreadyRunning(name, lock_holder(name=name))
        time.sleep(0.2)
    try:
        yield lease
    finally:
        try:
            lock_release(lease)
        except Exception:  # the connection may be gone; the lease then expires
            logger.warning("could not release lock %s; it expires by itself", name)


# --- Run history --------------------------------------------------------------

job_runs = counter(
    "robeing_job_runs", "Runs of each scheduled job, by how they ended.", ["job", "outcome"]
)
job_duration = histogram(
    "robeing_job_duration_seconds",
    "How long each run of a job took, by how it ended.",
    ["job", "outcome"],
    # From an empty aggregation (ms) to a night's archive (hours).
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 3 * 3600),
)
job_items = counter(
    "robeing_job_items",
    "What the runs of each job did: turns counted, turns archived, requests answered, ...",
    ["job", "item"],
)

# A run's outcomes, by a shorter name.
Outcome = JobRun.Outcome


class RunHandle:
    """The run being recorded; the job puts what it did into `counts`."""

    def __init__(self, run: JobRun) -> None:
        self.run = run
        self.counts: dict[str, int] = {}


def job_run_start(
    *,
    job: str,
    trigger: str = "celery",
    task_id: str = "",
    attempt: int = 0,
    request_id: str = "",
    lost_after_seconds: float | None = None,
) -> JobRun:
    """Record that a run began. Runs of the same job still "running" after
    `lost_after_seconds` (the task's hard time limit) can no longer end on
    their own: their worker died. They are closed as failed, so the history
    never shows a run that goes on forever."""
    now = timezone.now()
    if lost_after_seconds is not None:
        JobRun.objects.filter(
            job=job,
            outcome=Outcome.RUNNING,
            trigger="celery",  # a command by hand has no time limit to outlive
            started_at__lt=now - timedelta(seconds=lost_after_seconds),
        ).update(
            outcome=Outcome.FAILED,
            error="No end was recorded: the worker died or was killed.",
        )
    return JobRun.objects.create(
        job=job,
        started_at=now,
        trigger=trigger,
        task_id=task_id[:64],
        attempt=min(attempt, 32767),
        request_id=request_id[:128],
    )


def job_run_finish(
    run: JobRun,
    *,
    outcome: str,
    counts: dict[str, int] | None = None,
    error: BaseException | None = None,
) -> None:
    """Record how a run ended, count it in the job metrics and prune the
    job's history. A database that is away (often why the run failed) costs
    the record, never the job's own outcome: that is logged and re-raised by
    the caller."""
    run.finished_at = timezone.now()
    run.outcome = outcome
    run.counts = {name: int(value) for name, value in (counts or {}).items() if value >= 0}
    # The type and where it was raised; the message, which can quote data, is
    # in the log's traceback.
    run.error = _error_text(error)
    try:
        run.save(update_fields=["finished_at", "outcome", "counts", "error"])
        job_runs_prune(job=run.job)
    except DjangoDatabaseError:  # also InterfaceError: a connection gone
        logger.warning("the end of job run %s (%s) could not be recorded", run.pk, outcome)
    job_run_count(run)


def _error_text(error: BaseException | None) -> str:
    if error is None:
        return ""
    if isinstance(error, JobAlreadyRunning):  # the lock and its holder: no data
        return str(error)
    return exception_summary(error)


def job_run_count(run: JobRun) -> None:
    """The run in the job metrics. Never fails the job: a metrics file that
    cannot be written costs a log line."""
    label = job_label(run.job)
    try:
        job_runs.labels(label, run.outcome).inc()
        job_duration.labels(label, run.outcome).observe(run.duration_seconds or 0.0)
        for item, value in run.counts.items():
            job_items.labels(label, item).inc(value)
    except OSError:
        logger.warning("job metrics could not be written", exc_info=True)


def job_runs_prune(*, job: str) -> int:
    """Keep the newest JOB_RUN_HISTORY_PER_JOB runs of `job`, and its newest
    success whatever its age."""
    keep = settings.JOB_RUN_HISTORY_PER_JOB
    runs = JobRun.objects.filter(job=job)
    if runs.count() <= keep:
        return 0
    newest = runs.order_by("-started_at", "-id").values("id")[:keep]
    newest_ok = runs.filter(outcome=Outcome.OK).order_by("-finished_at").values("id")[:1]
    deleted, _ = runs.exclude(id__in=newest).exclude(id__in=newest_ok).delete()
    return deleted


@contextmanager
def job_run_recorded(
    job: str,
    *,
    will_retry: Callable[[BaseException], bool] = lambda error: False,
    **start: Any,
) -> Iterator[RunHandle]:
    """Record the run of `job` around the block (`start`: job_run_start's
    keywords). The block sets `handle.counts`. A JobAlreadyRunning ends it as
    locked, an error for which `will_retry` says yes as retried, any other
    error as failed; every error is re-raised."""
    handle = RunHandle(job_run_start(job=job, **start))
    try:
        yield handle
    except JobAlreadyRunning as busy:
        job_run_finish(handle.run, outcome=Outcome.LOCKED, error=busy)
        raise
    except BaseException as error:
        outcome = Outcome.RETRIED if will_retry(error) else Outcome.FAILED
        job_run_finish(handle.run, outcome=outcome, counts=handle.counts, error=error)
        raise
    job_run_finish(handle.run, outcome=Outcome.OK, counts=handle.counts)
