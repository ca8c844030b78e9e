"""Reads of the dashboard: every figure comes from the rollups (a few
thousand rows per day at most), never from a scan of conversation_log; the
log is touched only by index probes (the newest low-confidence turns, each
robeing's last turn)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts import selectors as account_selectors
from analytics.models import (
    ConfidenceRollup,
    FleetConfidenceRollup,
    FleetQuestionRollup,
    FleetTurnRollup,
    QuestionRollup,
    RobeingDayRollup,
    TurnRollup,
)
from analytics.services import day_start
from conversations import selectors as conversation_selectors
from stats import selectors as stats_selectors

DEFAULT_PERIOD_DAYS = 7
TOP_INTENTS = 10
FREQUENT_QUESTIONS = 20
LATEST_LOW_CONFIDENCE = 10


@dataclass(frozen=True)
class Period:
    """Seoul days since..until, inclusive, for one robeing or all (None)."""

    since: dt.date
    until: dt.date
    robeing_id: str | None = None
    low_confidence_below: Decimal = Decimal("0.5")

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        length = dt.timedelta(days=self.days)
        return Period(self.since - length, self.until - length, self.robeing_id)


def period_default(*, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last DEFAULT_PERIOD_DAYS Seoul days, today included."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def period_resolve(
    *,
    robeing: str | None,
    since: dt.date | None,
    until: dt.date | None,
    low_confidence_below: Decimal,
) -> Period:
    """A period from a validated query: missing ends default to the last 7
    days; an unknown robeing is NotFound (404)."""
    if robeing:
        account_selectors.robeing_get(robeing_id=robeing)
    default_since, default_until = period_default()
    until = until or (
        since + dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1) if since else default_until
    )
    since = since or until - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return Period(since, until, robeing or None, low_confidence_below)


# For all robeings, the fleet's own tables: a few thousand rows for 90 days
# where the per-robeing ones hold hundreds of thousands.
_FLEET = {
    TurnRollup: FleetTurnRollup,
    ConfidenceRollup: FleetConfidenceRollup,
    QuestionRollup: FleetQuestionRollup,
}


def _rows(model: type, period: Period) -> QuerySet:
    if period.robeing_id is None and model in _FLEET:
        model = _FLEET[model]
    rows = model.objects.filter(day__gte=period.since, day__lte=period.until)
    return rows.filter(robeing_id=period.robeing_id) if period.robeing_id else rows


def overview(*, period: Period) -> dict[str, Any]:
    """Every figure of the dashboard, as the analytics API returns it."""
    daily = _daily(period)
    total = sum(day["turns"] for day in daily)
    previous = _total(period.previous())
    return {
        "robeing": period.robeing_id,
        "since": period.since,
        "until": period.until,
        "time_zone": settings.TIME_ZONE,
        "turns": total,
        "previous_turns": previous,
        "change": (total / previous - 1) if previous else None,
        "daily": daily,
        "heatmap": _heatmap(period),
        "top_intents": _top_intents(period, total),
        "frequent_questions": _frequent_questions(period),
        "low_confidence": _low_confidence(period, total),
        "robeings": _activity(period),
    }


def _total(period: Period) -> int:
    return _rows(TurnRollup, period).aggregate(turns=Sum("turns"))["turns"] or 0


def _daily(period: Period) -> list[dict[str, Any]]:
    counts = dict(
        _rows(TurnRollup, period)
        .values("day")
        .annotate(turns=Sum("turns"))
        .values_list("day", "turns")
    )
    days = (period.since + dt.timedelta(days=n) for n in range(period.days))
    return [{"date": day, "turns": counts.get(day, 0)} for day in days]


def _heatmap(period: Period) -> list[list[int]]:
    grid = [[0] * 24 for _ in range(7)]
    rows = (
        _rows(TurnRollup, period)
        .values("day", "hour")
        .annotate(turns=Sum("turns"))
        .values_list("day", "hour", "turns")
    )
    for day, hour, turns in rows:
        grid[day.weekday()][hour] += turns  # Monday is 0
    return grid


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _top_intents(period: Period, total: int) -> list[dict[str, Any]]:
    rows = (
        _rows(TurnRollup, period)
        .values("intent")
        .annotate(turns=Sum("turns"))
        .order_by("-turns", "intent")
        .values_list("intent", "turns")[:TOP_INTENTS]
    )
    return [
        {"intent": intent, "turns": turns, "share": _share(turns, total)} for intent, turns in rows
    ]


def _frequent_questions(period: Period) -> list[dict[str, Any]]:
    rows = (
        _rows(QuestionRollup, period)
        .values("key")
        .annotate(turns=Sum("turns"))
        .order_by("-turns", "key")
        .values_list("key", "turns")[:FREQUENT_QUESTIONS]
    )
    top = list(rows)
    # The text once per question, from any of its rows (they all hold the same).
    texts = dict(
        _rows(QuestionRollup, period)
        .filter(key__in=[key for key, _ in top])
        .values_list("key", "text")
    )
    return [{"text": texts[key], "turns": turns} for key, turns in top]


def _low_confidence(period: Period, total: int) -> dict[str, Any]:
    below = period.low_confidence_below
    turns = (
        _rows(ConfidenceRollup, period)
        .filter(bucket__lt=int(below * 100))
        .aggregate(turns=Sum("turns"))["turns"]
        or 0
    )
    latest = conversation_selectors.low_confidence_latest(
        since=day_start(period.since),
        until=day_start(period.until + dt.timedelta(days=1)),
        below=float(below),
        robeing_id=period.robeing_id,
        limit=LATEST_LOW_CONFIDENCE,
    )
    return {"below": float(below), "turns": turns, "share": _share(turns, total), "latest": latest}


def _activity(period: Period) -> list[dict[str, Any]]:
    robeing_ids = {period.robeing_id} if period.robeing_id else None
    growth = stats_selectors.fleet_growth(robeing_ids=robeing_ids)
    in_period = dict(
        _rows(RobeingDayRollup, period)
        .values("robeing_id")
        .annotate(turns=Sum("turns"))
        .values_list("robeing_id", "turns")
    )
    last = conversation_selectors.last_turn_times(robeing_ids=[row["robeing_id"] for row in growth])
    return [
        {
            "robeing_id": row["robeing_id"],
            "stats_id": row["id"],
            "level": row["level"],
            "experience": row["experience"],
            "total_conversations": row["total_conversations"],
            "unspent_points": row["unspent_points"],
            "turns": in_period.get(row["robeing_id"], 0),
            "last_turn_at": last.get(row["robeing_id"]),
        }
        for row in growth
    ]
