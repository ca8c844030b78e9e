"""Celery entry points of conversations: thin wrappers around the archive services."""

from __future__ import annotations

from conversations.archiving import months
from jobs.tasks import maintenance_task

ARCHIVE_TASK = "conversations.tasks.archive_conversations"


@maintenance_task(
    name=ARCHIVE_TASK,
    # Idempotent and resumable: a re-delivered run finishes what a dead one left.
    acks_late=True,
    # A run over a big backlog may take long; the soft limit leaves it time to
    # stop between batches, and the next night's run carries on.
    soft_time_limit=3 * 60 * 60,
    time_limit=3 * 60 * 60 + 300,
)
def archive_conversations() -> dict[str, int]:
    # The service holds the lock "archive-job", so the command and the task never overlap.
    result = months.archive_conversations()
    return {"turns_archived": result.turns_archived, "archives_written": result.archives_written}
