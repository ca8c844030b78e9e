"""Writes to the growth engine.

Every change to a robeing's XP goes through `_award`, under a lock on that
robeing's stats row (SELECT ... FOR UPDATE), and is written to the XP ledger
with a unique source key in the same transaction. The lock serialises
concurrent awards to one robeing, so `experience` is always the ledger's sum;
the unique key makes a replayed task or aggregation batch add nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from conversations import services as conversation_services
from conversations.counted import CountedTurn
from core.errors import Conflict, FieldError, InvalidInput
from stats import achievements, rules
from stats.cache import stats_cache_invalidate
from stats.models import (
    Achievement,
    AchievementAward,
    AllocationMode,
    RobeingStats,
    TaskReport,
    TaskType,
    XPEvent,
)


@dataclass(frozen=True)
class Award:
    xp: int
    levels_gained: int
    points_granted: int


NO_AWARD = Award(0, 0, 0)


def stats_initialize(*, robeing_id: str) -> None:
    """Create the robeing's stats row if it has none (the seed's
    initialize_stats: INSERT ... ON CONFLICT DO NOTHING)."""
    RobeingStats.objects.bulk_create([RobeingStats(robeing_id=robeing_id)], ignore_conflicts=True)


def _locked_stats(robeing_id: str) -> RobeingStats:
    # The lock every XP change to this robeing takes: concurrent awards queue
    # here instead of both reading the old experience and one overwriting the other.
    locked = RobeingStats.objects.select_for_update()
    try:
        return locked.get(robeing_id=robeing_id)
    except RobeingStats.DoesNotExist:  # a robeing registered before stats existed
        stats_initialize(robeing_id=robeing_id)
        return locked.get(robeing_id=robeing_id)


def _award(stats: RobeingStats, *, amount: int, reason: str, source_key: str, stat: str) -> Award:
    """Add `amount` XP to locked `stats` (saved by the caller) and record it."""
    if amount <= 0:
        return NO_AWARD
    old_level = stats.level
    stats.experience += amount
    if stat:
        trained = stats.trained_xp_since_level
        trained[stat] = trained.get(stat, 0) + amount
    stats.level = rules.level_for_xp(stats.experience)
    gained = stats.level - old_level
    points = gained * rules.POINTS_PER_LEVEL
    if gained:
        _grant_points(stats, points)
    XPEvent.objects.create(
        robeing_id=stats.robeing_id,
        amount=amount,
        reason=reason,
        source_key=source_key,
        stat=stat,
        level_after=stats.level,
        experience_after=stats.experience,
    )
    return Award(amount, gained, points)


def _grant_points(stats: RobeingStats, points: int) -> None:
    mode = stats.allocation_mode
    if mode == AllocationMode.MANUAL:
        stats.unspent_points += points
        return
    current = stats.stat_values()
    if mode == AllocationMode.BALANCED:
        given = rules.allocate_balanced(current, points)
    else:
        given = rules.allocate_task_based(current, points, stats.trained_xp_since_level)
    for stat, extra in given.items():
        setattr(stats, f"{stat}_stat", current[stat] + extra)
    stats.trained_xp_since_level = {}


def _after_change(stats: RobeingStats, earned_before: set[str] | None = None) -> None:
    """Save locked `stats`, award badges it has newly earned (pass what it had
    earned before the change), and bump the cache version once committed."""
    stats.save()
    if earned_before is not None:
        _award_achievements(stats, achievements.earned(stats) - earned_before)
    robeing_id = stats.robeing_id
    transaction.on_commit(lambda: stats_cache_invalidate(robeing_id=robeing_id))


def _award_achievements(stats: RobeingStats, earned: set[str]) -> None:
    # Only badges this change earned: nothing to query on most awards, which
    # matters because it all happens while the robeing's row is locked.
    if not earned:
        return
    known = set(Achievement.objects.filter(key__in=earned).values_list("key", flat=True))
    AchievementAward.objects.bulk_create(
        [AchievementAward(robeing_id=stats.robeing_id, achievement_id=key) for key in known],
        ignore_conflicts=True,  # each badge once (unique constraint)
    )


def task_report_record(
    *, robeing_id: str, task_id: str, task_type: str, difficulty: int, succeeded: bool
) -> tuple[TaskReport, bool]:
    """Record a task and award its XP. Returns (report, created); a repeated
    task_id returns the first report and changes nothing."""
    kind = TaskType.objects.filter(name=task_type, is_active=True).first()  # before the lock
    if kind is None:
        # Refused before the replay check: a retry that names a type that does
        # not exist is as wrong as the first try would have been.
        raise InvalidInput.for_field("task_type", f"Unknown task type {task_type!r}.", "unknown")
    with transaction.atomic():
        stats = _locked_stats(robeing_id)
        existing = TaskReport.objects.filter(robeing_id=robeing_id, task_id=task_id).first()
        if existing is not None:
            return existing, False
        return _record_new_task(stats, kind, task_id, task_type, difficulty, succeeded), True


def _record_new_task(
    stats: RobeingStats,
    kind: TaskType,
    task_id: str,
    task_type: str,
    difficulty: int,
    succeeded: bool,
) -> TaskReport:
    if not rules.MIN_DIFFICULTY <= difficulty <= rules.MAX_DIFFICULTY:
        raise InvalidInput.for_field("difficulty", "Difficulty is 1 to 5.", "out_of_range")
    earned_before = achievements.earned(stats)
    xp = rules.task_xp(base_xp=kind.base_xp, difficulty=difficulty, succeeded=succeeded)
    award = _award(
        stats, amount=xp, reason=XPEvent.Reason.TASK, source_key=f"task:{task_id}", stat=kind.trains
    )
    _count_task(stats, succeeded)
    _after_change(stats, earned_before)
    return TaskReport.objects.create(
        robeing_id=stats.robeing_id,
        task_id=task_id,
        task_type=kind,
        difficulty=difficulty,
        outcome=TaskReport.Outcome.SUCCESS if succeeded else TaskReport.Outcome.FAILURE,
        xp_awarded=award.xp,
        levels_gained=award.levels_gained,
        points_granted=award.points_granted,
        level_after=stats.level,
    )


def _count_task(stats: RobeingStats, succeeded: bool) -> None:
    if succeeded:
        stats.successful_tasks += 1
        stats.success_streak += 1
    else:
        stats.failed_tasks += 1
        stats.success_streak = 0


@transaction.atomic
def stats_allocate(*, robeing_id: str, points: dict[str, int]) -> RobeingStats:
    """Spend unspent points (manual mode) on the named stats, all or nothing."""
    stats = _locked_stats(robeing_id)
    unknown = sorted(set(points) - set(rules.STATS))
    if unknown:
        raise InvalidInput.for_field(f"points.{unknown[0]}", "Unknown stat.", "unknown")
    negative = sorted(stat for stat, n in points.items() if n < 0)
    if negative:
        raise InvalidInput.for_field(
            f"points.{negative[0]}", "Points cannot be negative.", "negative"
        )
    wanted = sum(points.values())
    if wanted > stats.unspent_points:
        # A well-formed request the robeing's current state cannot meet: 409.
        raise Conflict(
            f"{wanted} points asked, {stats.unspent_points} available.",
            errors=[FieldError("points", "too_many", "More points than are unspent.")],
            code="not_enough_points",
        )
    for stat, n in points.items():
        setattr(stats, f"{stat}_stat", getattr(stats, f"{stat}_stat") + n)
    stats.unspent_points -= wanted
    _after_change(stats)
    return stats


@transaction.atomic
def stats_set_allocation_mode(*, robeing_id: str, mode: str) -> RobeingStats:
    if mode not in AllocationMode.values:
        raise InvalidInput.for_field("allocation_mode", f"Unknown mode {mode!r}.", "unknown")
    stats = _locked_stats(robeing_id)
    stats.allocation_mode = mode
    _after_change(stats)
    return stats


# Steps a higher app adds to each aggregation batch (analytics: its rollups).
_counted_turn_steps: list[Callable[[list[CountedTurn]], None]] = []


def on_turns_counted(step: Callable[[list[CountedTurn]], None]) -> None:
    """Run `step(turns)` inside every aggregation batch's transaction, with the
    turns it claimed: exactly once per turn, as the claim is."""
    if step not in _counted_turn_steps:
        _counted_turn_steps.append(step)


@dataclass(frozen=True)
class AggregationResult:
    turns: int
    batches: int
    backlog_left: bool


def conversation_stats_aggregate(
    *, batch_size: int = 1000, max_batches: int = 100
) -> AggregationResult:
    """Count new conversation turns into each robeing's stats (seed 6.2).

    Each batch is one transaction: claim up to `batch_size` uncounted turns, add
    them to `total_conversations` and award their XP (STATS_XP_PER_TURN each)
    under the ledger key `turns:<first id>`. A crash rolls the batch back, claim
    included; an overlapping run claims other rows. Cost grows with the new
    turns only. Stops after `max_batches` so one run stays bounded; the result
    says whether a backlog is left for the next run.
    """
    turns = batches = 0
    while batches < max_batches:
        claimed = _aggregate_batch(batch_size)
        if not claimed:
            return AggregationResult(turns, batches, backlog_left=False)
        turns += claimed
        batches += 1
        if claimed < batch_size:
            return AggregationResult(turns, batches, backlog_left=False)
    return AggregationResult(turns, batches, backlog_left=True)


@transaction.atomic
def _aggregate_batch(batch_size: int) -> int:
    claimed = conversation_services.conversation_turns_claim_for_stats(limit=batch_size)
    counts = Counter(turn.robeing_id for turn in claimed)
    first_ids: dict[str, int] = {}
    for turn in claimed:
        first_ids[turn.robeing_id] = min(turn.id, first_ids.get(turn.robeing_id, turn.id))
    # Sorted: every run locks stats rows in the same order, so two runs cannot deadlock.
    for robeing_id in sorted(counts):
        stats = _locked_stats(robeing_id)
        earned_before = achievements.earned(stats)
        stats.total_conversations += counts[robeing_id]
        _award(
            stats,
            amount=counts[robeing_id] * settings.STATS_XP_PER_TURN,
            reason=XPEvent.Reason.CONVERSATIONS,
            source_key=f"turns:{first_ids[robeing_id]}",
            stat="",
        )
        _after_change(stats, earned_before)
    # In this transaction: what is built from the turns (the dashboard's
    # rollups) is committed with their claim, or rolled back with it.
    for step in _counted_turn_steps:
        step(claimed)
    return len(claimed)


@dataclass(frozen=True)
class Drift:
    robeing_id: str
    experience: int
    ledger: int


def stats_verify(*, repair: bool = False) -> list[Drift]:
    """Robeings whose experience differs from their ledger sum. With repair, set
    experience (and the level it implies) from the ledger, under the row lock."""

    sums = dict(
        XPEvent.objects.values("robeing_id")
        .annotate(total=Sum("amount"))
        .values_list("robeing_id", "total")
    )
    drifts = [
        Drift(s.robeing_id, s.experience, sums.get(s.robeing_id, 0))
        for s in RobeingStats.objects.only("robeing_id", "experience")
        if s.experience != sums.get(s.robeing_id, 0)
    ]
    if repair:
        for drift in drifts:
            _repair(drift.robeing_id)
    return drifts


@transaction.atomic
def _repair(robeing_id: str) -> None:
    stats = _locked_stats(robeing_id)
    ledger = XPEvent.objects.filter(robeing_id=robeing_id).aggregate(total=Sum("amount"))["total"]
    stats.experience = ledger or 0
    stats.level = rules.level_for_xp(stats.experience)
    _after_change(stats)
