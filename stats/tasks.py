"""Celery entry points: thin wrappers that call stats.services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from stats import services

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,  # safe: a re-delivered run only claims what is still uncounted
    ignore_result=True,
)
def aggregate_conversation_stats() -> int:
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
        # Bounded runs that re-queue themselves: a huge backlog never becomes one
        # huge transaction or one task that outlives its time limit.
        aggregate_conversation_stats.delay()
    return result.turns
