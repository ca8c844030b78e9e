"""Reads of the growth engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.metrics import cache_requests
from stats import rules
from stats.cache import stats_cache_get, stats_cache_set, stats_cache_version
from stats.models import AchievementAward, Feature, RobeingStats, XPEvent

# Context turns by default = CONTEXT_BASE_TURNS + memory_stat, at most the cap
# (seed 3.3.2: a better memory keeps a longer context). A new robeing (memory
# 10) gets 20, the API's historical default.
CONTEXT_BASE_TURNS = 10
CONTEXT_MAX_TURNS = 100


def stats_summary(*, robeing_id: str) -> dict[str, Any]:
    """Everything the stats endpoint shows, served from the versioned cache."""
    version = stats_cache_version(robeing_id=robeing_id)
    if version is None:  # the cache is away: the database answers
        cache_requests.labels("stats", "unavailable").inc()
        return _stats_summary_uncached(robeing_id)
    cached = stats_cache_get(robeing_id=robeing_id, version=version)
    if cached is not None:
        cache_requests.labels("stats", "hit").inc()
        return cached
    cache_requests.labels("stats", "miss").inc()
    summary = _stats_summary_uncached(robeing_id)
    stats_cache_set(robeing_id=robeing_id, version=version, value=summary)
    return summary


def _stats_summary_uncached(robeing_id: str) -> dict[str, Any]:
    stats = RobeingStats.objects.filter(robeing_id=robeing_id).first()
    if stats is None:
        stats = RobeingStats(robeing_id=robeing_id)  # defaults; created on first award
    next_level_xp = rules.xp_for_level(stats.level + 1)
    return {
        "robeing_id": robeing_id,
        "level": stats.level,
        "experience": stats.experience,
        "xp_to_next_level": next_level_xp - stats.experience,
        "next_level_at": next_level_xp,
        "stats": stats.stat_values(),
        "unspent_points": stats.unspent_points,
        "allocation_mode": stats.allocation_mode,
        "total_conversations": stats.total_conversations,
        "successful_tasks": stats.successful_tasks,
        "failed_tasks": stats.failed_tasks,
        "unlocked_features": [
            {"key": f.key, "name": f.name, "min_level": f.min_level}
            for f in Feature.objects.filter(min_level__lte=stats.level)
        ],
        "achievements": [
            {"key": a.achievement_id, "name": a.achievement.name, "awarded_at": a.awarded_at}
            for a in AchievementAward.objects.filter(robeing_id=robeing_id)
            .select_related("achievement")
            .order_by("awarded_at", "id")
        ],
    }


def context_turns_default(*, robeing_id: str) -> int:
    memory = stats_summary(robeing_id=robeing_id)["stats"]["memory"]
    return min(CONTEXT_BASE_TURNS + memory, CONTEXT_MAX_TURNS)


def xp_events(*, robeing_id: str) -> QuerySet[XPEvent]:
    return XPEvent.objects.filter(robeing_id=robeing_id).order_by("-created_at", "-id")


def xp_per_day(*, robeing_id: str, since: dt.date, until: dt.date) -> list[tuple[dt.date, int]]:
    """XP gained on each day from `since` to `until` (both included, Seoul
    days), days without XP as 0, oldest first.

    Summed in the database, one row per day, over the ledger's (robeing,
    created_at) index: the cost follows the period's events, not the ledger.
    """
    seoul = timezone.get_default_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=seoul)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=seoul)
    sums = dict(
        XPEvent.objects.filter(robeing_id=robeing_id, created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=seoul))
        .values("day")
        .annotate(xp=Sum("amount"))
        .order_by()
        .values_list("day", "xp")
    )
    days = (since + dt.timedelta(days=n) for n in range((until - since).days + 1))
    return [(day, sums.get(day, 0)) for day in days]


def stats_fleet_highest() -> int:
    """The highest value any stat of any robeing has: the scale of the stat
    bars, so that a bar's length compares across the fleet. One row per
    robeing, so the five MAX()es read a small table."""
    highest = RobeingStats.objects.aggregate(*(Max(f"{stat}_stat") for stat in rules.STATS))
    return max((value for value in highest.values() if value is not None), default=0)


def achievements_of(*, robeing_id: str) -> QuerySet[AchievementAward]:
    return (
        AchievementAward.objects.filter(robeing_id=robeing_id)
        .select_related("achievement")
        .order_by("awarded_at", "id")
    )


def fleet_growth(*, robeing_ids: set[str] | None = None) -> list[dict[str, Any]]:
    """Level, XP, conversations and unspent points of every robeing (or
    these), one query on the small stats table: the dashboard's activity table."""
    rows = RobeingStats.objects.order_by("robeing_id")
    if robeing_ids is not None:
        rows = rows.filter(robeing_id__in=robeing_ids)
    return list(
        rows.values(
            "id", "robeing_id", "level", "experience", "total_conversations", "unspent_points"
        )
    )
