"""How every scheduled maintenance job runs under Celery.

Each job's task is a thin wrapper made with `maintenance_task`: it calls the
app function that the management command calls too, under a named lock so
that two runs never overlap (a second one is refused and logged, not queued
behind the first), and it retries transient database errors with exponential
backoff and jitter.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import structlog
from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from jobs import services as job_services

logger = logging.getLogger(__name__)

# A lost connection, a failover, a serialization failure: worth another try.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)
REFUSED = "refused: already running"


def maintenance_task(*, name: str, acks_late: bool, **options: Any) -> Callable:
    """Declare a maintenance task. `acks_late=True` only for jobs that are
    idempotent and resumable: a worker that dies mid-run then leaves the
    message to be delivered again, and the rerun finishes the work.

    The job takes its named lock itself (`job_services.locked`), so that its
    management command is covered too; a run that finds the job busy is
    refused and logged. Every run is recorded in the job-run history (and
    its metrics) with the counts the job returns as a dict."""

    def decorate(run: Callable[..., Any]) -> Any:
        @functools.wraps(run)
        def task(self: Task, *args: Any, **kwargs: Any) -> Any:
            def will_retry(error: BaseException) -> bool:
                return (
                    isinstance(error, TRANSIENT_DATABASE_ERRORS)
                    and self.request.retries < self.max_retries
                )

            try:
                with job_services.job_run_recorded(
                    name,
                    task_id=self.request.id or "",
                    attempt=self.request.retries,
                    # Bound by django-structlog from the headers of the request
                    # that queued the task; empty for beat's runs.
                    request_id=structlog.contextvars.get_contextvars().get("request_id", ""),
                    lost_after_seconds=options.get("time_limit"),
                    will_retry=will_retry,
                ) as recorded:
                    result = run(*args, **kwargs)
                    recorded.counts = result if isinstance(result, dict) else {}
                    return result
            except job_services.JobAlreadyRunning as busy:
                logger.warning("%s not started: %s", name, busy)
                return REFUSED

        return shared_task(
            name=name,
            bind=True,
            acks_late=acks_late,
            # A worker killed mid-task (OOM, SIGKILL) must not lose an acked-late
            # message either; without this Celery acks it on failure.
            reject_on_worker_lost=acks_late,
            autoretry_for=TRANSIENT_DATABASE_ERRORS,
            retry_backoff=5,  # 5 s, 10 s, 20 s, ... with jitter
            retry_backoff_max=600,
            retry_jitter=True,
            max_retries=5,
            ignore_result=True,
            **options,
        )(task)

    return decorate
