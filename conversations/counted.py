"""A turn as the stats aggregation counts it: what the aggregation, and what
it feeds (the dashboard's rollups), need of a turn, and nothing more."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from conversations.models import UncountedTurn

# The message is cut here: a rollup keys questions by their start, and a
# claimed batch must not carry 1,000 copies of a 40,000-character text.
CLAIMED_MESSAGE_CHARS = 1000
COUNTED_TURN_FIELDS = ("id", "robeing_id", "timestamp", "intent", "channel_type", "confidence")


@dataclass(frozen=True)
class CountedTurn:
    """A turn as the aggregation counts it (and an erasure un-counts it)."""

    id: int
    robeing_id: str
    timestamp: dt.datetime
    intent: str
    channel_type: str
    confidence: float | None
    message: str  # at most CLAIMED_MESSAGE_CHARS

    @classmethod
    def from_row(cls, row: tuple) -> CountedTurn:
        turn_id, robeing_id, moment, intent, channel_type, confidence, message = row
        return cls(turn_id, robeing_id, _aware(moment), intent, channel_type, confidence, message)

    @classmethod
    def from_record(cls, record: dict) -> CountedTurn:
        """From an archive line (every column, times as ISO strings)."""
        return cls(
            record["id"],
            record["robeing_id"],
            _aware(record["timestamp"]),
            record["intent"],
            record["channel_type"],
            record["confidence"],
            record["message"][:CLAIMED_MESSAGE_CHARS],
        )


def counted() -> Exists:
    """A filter on ConversationLog: the turns the aggregation has counted
    (those off its backlog). The backlog is small, so this is a cheap anti-join."""
    return ~Exists(UncountedTurn.objects.filter(turn_id=OuterRef("id")))


def uncounted() -> Exists:
    """A filter on ConversationLog: the turns still on the aggregation's backlog."""
    return Exists(UncountedTurn.objects.filter(turn_id=OuterRef("id")))


def archived_record_counted(record: dict) -> bool:
    """Whether an archive line is a counted turn. Archiving takes counted turns
    only; lines written while a turn carried its own stats_counted_at say so
    in it, later lines have no such key."""
    return record.get("stats_counted_at", True) is not None


def _aware(value: dt.datetime | str) -> dt.datetime:
    # SQLite hands raw cursors text; PostgreSQL an aware datetime.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
