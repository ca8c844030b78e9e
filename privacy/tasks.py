"""Celery entry points of privacy: thin wrappers around privacy.services."""

from __future__ import annotations

from jobs.tasks import maintenance_task
from privacy import services

PRIVACY_TASK = "privacy.tasks.process_privacy_requests"


@maintenance_task(
    name=PRIVACY_TASK,
    # Every step is idempotent and recorded: a re-delivered run resumes.
    acks_late=True,
    soft_time_limit=60 * 60,
    time_limit=60 * 60 + 300,
)
def process_privacy_requests() -> dict:
    # The service holds the locks "privacy-job" and "archive-job".
    return services.privacy_requests_process()
