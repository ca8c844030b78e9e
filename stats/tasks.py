"""Celery entry points: thin wrappers that call stats.services."""

from __future__ import annotations

import logging

from django.conf import settings

from jobs import services as job_services
from jobs.tasks import maintenance_task
from stats import services

logger = logging.getLogger(__name__)


@maintenance_task(
    name="stats.tasks.aggregate_conversation_stats",
    acks_late=True,  # safe: a re-delivered run only claims what is still uncounted
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
)
def aggregate_conversation_stats() -> dict[str, int]:
    # Overlapping runs would be correct (each turn is claimed once) but wasteful.
    with job_services.locked("stats-aggregation"):
        result = services.conversation_stats_aggregate(
            batch_size=settings.STATS_AGGREGATION_BATCH_SIZE,
            max_batches=settings.STATS_AGGREGATION_MAX_BATCHES,
        )
    logger.info(
        "stats aggregation: %d turns in %d batches%s",
        result.turns,
        result.batches,
        "; backlog left, re-queued" if result.backlog_left else "",
    )
    if result.backlog_left:
        # Bounded runs that re-queue themselves (after the lock is released): a
        # huge backlog never becomes one huge transaction or one task that
        # outlives its time limit.
        aggregate_conversation_stats.delay()
    return {"turns_counted": result.turns, "batches": result.batches}
