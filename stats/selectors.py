"""Reads of the growth engine."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

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
    cached = stats_cache_get(robeing_id=robeing_id, version=version)
    if cached is not None:
        return cached
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


def xp_history(*, robeing_id: str, limit: int = 5000) -> list[tuple]:
    """(time, XP after) of the most recent `limit` ledger events, oldest first."""
    rows = (
        XPEvent.objects.filter(robeing_id=robeing_id)
        .order_by("-created_at", "-id")
        .values_list("created_at", "experience_after")[:limit]
    )
    return list(reversed(rows))


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
