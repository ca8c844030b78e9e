"""Celery entry points of privacy: thin wrappers around privacy.services."""

from __future__ import annotations

from jobs.tasks import maintenance_task
from privacy import services

PRIVACY_TASK = services.PRIVACY_TASK


@maintenance_task(
    name=PRIVACY_TASK,
    # Every step is idempotent and recorded: a re-delivered run resumes.
    acks_late=True,
    soft_time_limit=60 * 60,
    time_limit=60 * 60 + 300,
)
def process_privacy_requests() -> dict[str, int]:
    # The service holds the locks "privacy-job" and "archive-job".
    done = services.privacy_requests_process()
    # Named for the run history and its metrics.
    return {
        "erasures_answered": done["erasures"],
        "exports_answered": done["exports"],
        "requests_failed": done["failed"],
        "exports_expired": done["expired"],
    }
