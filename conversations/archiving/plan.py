"""What an archive run would move: the turns past the retention window, by
robeing and month (Seoul time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from conversations.archiving import manifest
from conversations.counted import counted, uncounted
from conversations.models import ConversationArchive, ConversationLog


@dataclass(frozen=True)
class PlannedArchive:
    robeing_id: str
    period: dt.date
    turns: int  # turns that will move
    uncounted: int  # turns that wait for the stats aggregation first
    existing_turns: int  # turns already in this month's archive (merged in)


def archive_cutoff(*, older_than_days: int | None = None) -> dt.datetime:
    days = settings.ARCHIVE_AFTER_DAYS if older_than_days is None else older_than_days
    return timezone.now() - timedelta(days=days)


def archive_plan(*, cutoff: dt.datetime, robeing_id: str | None = None) -> list[PlannedArchive]:
    """What an archive run would move: turns older than `cutoff`, by robeing
    and month (Seoul time). Turns the stats aggregation has not counted yet
    wait for the next run, so archiving never takes XP away. Months held in
    the hot table after a restore are left out."""
    groups = _month_groups(cutoff, robeing_id)
    archives = {
        (a.robeing_id, a.period): a
        for a in ConversationArchive.objects.filter(
            robeing_id__in={g["robeing_id"] for g in groups}
        )
    }
    now = timezone.now()
    plan = []
    for group in groups:
        period = _as_period(group["month"])
        archive = archives.get((group["robeing_id"], period))
        if archive and manifest.archive_is_held(archive, now):
            continue
        plan.append(
            PlannedArchive(
                robeing_id=group["robeing_id"],
                period=period,
                turns=group["turns"],
                uncounted=group["uncounted"],
                existing_turns=archive.row_count if manifest.archive_holds_file(archive) else 0,
            )
        )
    return plan


def _month_groups(cutoff: dt.datetime, robeing_id: str | None) -> list[dict]:
    """Counted and uncounted turns older than `cutoff`, per robeing and month."""
    turns = ConversationLog.objects.filter(timestamp__lt=cutoff)
    if robeing_id:
        turns = turns.filter(robeing_id=robeing_id)
    return list(
        turns.annotate(month=TruncMonth("timestamp", tzinfo=timezone.get_current_timezone()))
        .values("robeing_id", "month")
        .annotate(
            turns=Count("id", filter=counted()),
            uncounted=Count("id", filter=uncounted()),
        )
        .order_by("robeing_id", "month")
    )


def _as_period(month: dt.date | dt.datetime) -> dt.date:
    if isinstance(month, dt.datetime):
        month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
    return month.replace(day=1)


def period_bounds(period: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as [start, end) in Seoul time."""
    tz = timezone.get_current_timezone()
    start = dt.datetime(period.year, period.month, 1, tzinfo=tz)
    following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, dt.datetime(following.year, following.month, 1, tzinfo=tz)
