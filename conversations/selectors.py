"""Reads of conversation_log."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import BooleanField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.models import Robeing
from conversations.counted import (
    CLAIMED_MESSAGE_CHARS,
    COUNTED_TURN_FIELDS,
    CountedTurn,
    counted,
)
from conversations.models import CONVERSATION_LOG_FIELDS, ConversationLog, UncountedTurn
from settings_app import selectors as settings_selectors

# An admin thread page shows a window of this many turns around the turn:
# up to 25 before and 25 after it (more on one side when the other runs out).
# A DM's unthreaded turns share thread_ts "" and grow without end; 500 rows
# made a 238 KB page, and the list shows the whole conversation anyway.
THREAD_PAGE_MAX_TURNS = 51
# Context turns when nothing else says how many (the API's historical default).
CONTEXT_TURNS_FALLBACK = 20


def _fallback_context_turns(*, robeing_id: str) -> int:
    return CONTEXT_TURNS_FALLBACK


# How many turns a robeing's context holds by default, called as
# rule(robeing_id=...). The growth engine (stats, above this app) installs its
# rule, 10 + memory_stat, from its AppConfig.ready().
_context_turns_default: Callable[..., int] = _fallback_context_turns


def set_context_turns_default(rule: Callable[..., int]) -> None:
    global _context_turns_default
    _context_turns_default = rule


def conversation_history(
    *,
    robeing_id: str,
    user_id: uuid.UUID | None = None,
    slack_user_id: str | None = None,
    channel_id: str | None = None,
    thread_ts: str | None = None,
    intent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[ConversationLog]:
    """A robeing's turns, newest first (index conv_robeing_time_idx)."""
    filters = Q(robeing_id=robeing_id)
    for field, value in (
        ("user_id", user_id),
        ("slack_user_id", slack_user_id),
        ("channel_id", channel_id),
        ("thread_ts", thread_ts),
        ("intent", intent),
    ):
        if value is not None:
            filters &= Q(**{field: value})
    if since is not None:
        filters &= Q(timestamp__gte=since)
    if until is not None:
        filters &= Q(timestamp__lt=until)
    return ConversationLog.objects.filter(filters).order_by("-timestamp", "-id")


def conversation_context(
    *,
    robeing_id: str,
    channel_id: str,
    thread_ts: str,
    limit: int,
    fields: Sequence[str],
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """The last `limit` turns of one conversation (none older than `since`),
    oldest first, ready to be continued (conv_thread_time_idx: one range scan).
    Each turn is a dict of `fields`: the endpoint renders them as they come,
    and building model instances for up to 100 rows is most of its time."""
    newest_first = ConversationLog.objects.filter(
        robeing_id=robeing_id, channel_id=channel_id, thread_ts=thread_ts
    )
    if since is not None:
        newest_first = newest_first.filter(timestamp__gte=since)
    rows = list(newest_first.order_by("-timestamp", "-id").values(*fields)[:limit])
    rows.reverse()
    return rows


def conversation_thread(*, turn: ConversationLog) -> list[ConversationLog]:
    """The conversation `turn` belongs to, in order (admin): all of it, or when
    it is longer than THREAD_PAGE_MAX_TURNS, that many turns around `turn`
    (a DM's unthreaded turns share thread_ts "" and grow without end).
    Two range scans on conv_thread_time_idx, whatever the length."""
    same = ConversationLog.objects.filter(
        robeing_id=turn.robeing_id, channel_id=turn.channel_id, thread_ts=turn.thread_ts
    ).select_related("user")
    earlier = Q(timestamp__lt=turn.timestamp) | Q(timestamp=turn.timestamp, id__lt=turn.id)
    limit = THREAD_PAGE_MAX_TURNS
    before = list(same.filter(earlier).order_by("-timestamp", "-id")[: limit - 1])
    after = list(same.exclude(earlier).order_by("timestamp", "id")[:limit])  # starts at `turn`
    # Half the page each side, more on one side when the other runs out.
    keep_before = min(len(before), max(limit // 2, limit - len(after)))
    return [*reversed(before[:keep_before]), *after[: limit - keep_before]]


# Terms up to this long go through the gram index (migration 0009): pg_trgm
# takes no trigram from them. The term is one gram of its own (a character or
# a pair): the planner then estimates its share from the index's element
# statistics, and walks the time index for a common word, the gram index for
# a rare one. (All three grams of a pair, multiplied as if independent, made
# 회의 look 40 times rarer than it is.)
GRAM_TERM_MAX_CHARS = 2
_GRAMS_MATCH = (
    "conv_search_grams(conversation_log.message || ' ' || conversation_log.response)"
    " @> ARRAY[lower(%s)]"
)


def conversation_search(
    queryset: QuerySet[ConversationLog], term: str
) -> QuerySet[ConversationLog]:
    """Substring search over message and response, exact match on Slack user
    and thread ids. On PostgreSQL `icontains` is served by the trigram GIN
    indexes on UPPER(message) and UPPER(response) (migration 0002), and a term
    of one or two characters, which has no trigram, by the gram index (0009)."""
    term = term.strip()
    if not term:
        return queryset
    exact = Q(slack_user_id=term) | Q(thread_ts=term)
    text = Q(message__icontains=term) | Q(response__icontains=term)
    if len(term) <= GRAM_TERM_MAX_CHARS and connection.vendor == "postgresql":
        # Two conditions, both true of every match: the first finds the rows
        # through the indexes, the second (cheap) is the exact test. Kept
        # apart, so that a row read another way never computes its grams
        # before icontains has said yes.
        grams = Q(RawSQL(_GRAMS_MATCH, [term], output_field=BooleanField()))
        queryset = queryset.filter(grams | exact)
    return queryset.filter(text | exact)


def context_window(*, robeing_id: str, requested: int | None) -> tuple[int, datetime]:
    """How many turns, and from how far back, the context endpoint returns.

    The count is what the bot asked for, else the installed default (stats:
    10 + memory_stat, seed 3.3.2), never more than the robeing's
    `max_memory_size` setting; turns older than `memory_ttl_days` are left out
    (settings, seed 4.3).
    """
    system = settings_selectors.settings_get(robeing_id=robeing_id).values["system_settings"]
    wanted = requested or _context_turns_default(robeing_id=robeing_id)
    since = timezone.now() - timedelta(days=system["memory_ttl_days"])
    return min(wanted, system["max_memory_size"]), since


def conversation_turns_of_subject(
    *, user_ids: set[uuid.UUID], slack_user_ids: set[str], batch_size: int = 2000
) -> Iterator[dict]:
    """Every hot turn of one person, all columns, oldest id first; read in
    keyset batches so that a person with a million turns costs flat memory."""
    match = account_selectors.person_filter(user_ids=user_ids, slack_user_ids=slack_user_ids)
    last_id = 0
    while True:
        rows = list(
            ConversationLog.objects.filter(match, id__gt=last_id)
            .order_by("id")
            .values_list(*CONVERSATION_LOG_FIELDS)[:batch_size]
        )
        for row in rows:
            yield dict(zip(CONVERSATION_LOG_FIELDS, row, strict=True))
        if len(rows) < batch_size:
            return
        last_id = rows[-1][0]


def conversation_turns_counted(
    *, since: datetime, until: datetime, robeing_ids: set[str] | None = None
) -> Iterator[CountedTurn]:
    """Every hot turn the stats aggregation has counted with a timestamp in
    [since, until), of these robeings (all when None), streamed (a server-side
    cursor on PostgreSQL): what a rebuild or a check of the dashboard's
    rollups reads."""
    turns = ConversationLog.objects.filter(counted(), timestamp__gte=since, timestamp__lt=until)
    if robeing_ids is not None:
        turns = turns.filter(robeing_id__in=robeing_ids)
    rows = (
        turns.annotate(message_start=Substr("message", 1, CLAIMED_MESSAGE_CHARS))
        .values_list(*COUNTED_TURN_FIELDS, "message_start")
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        yield CountedTurn.from_row(row)


def last_turn_times(*, robeing_ids: list[str]) -> dict[str, datetime]:
    """Each robeing's newest turn time: one index probe per robeing
    (conv_robeing_time_idx), not a GROUP BY over the log."""
    newest = (
        ConversationLog.objects.filter(robeing_id=OuterRef("robeing_id"))
        .order_by("-timestamp", "-id")
        .values("timestamp")[:1]
    )
    rows = (
        Robeing.objects.filter(robeing_id__in=robeing_ids)
        .annotate(last=Subquery(newest))
        .values_list("robeing_id", "last")
    )
    return {robeing_id: last for robeing_id, last in rows if last is not None}


def low_confidence_latest(
    *,
    since: datetime,
    until: datetime,
    below: float,
    robeing_id: str | None = None,
    limit: int = 10,
) -> list[int]:
    """Ids of the newest turns in [since, until) with a confidence below
    `below`, newest first."""
    turns = ConversationLog.objects.filter(
        timestamp__gte=since, timestamp__lt=until, confidence__lt=below
    )
    if robeing_id is not None:
        turns = turns.filter(robeing_id=robeing_id)
    return list(turns.order_by("-timestamp", "-id").values_list("id", flat=True)[:limit])


def uncounted_oldest_ingested_at() -> datetime | None:
    """When the oldest turn the stats aggregation has not counted yet was
    stored: the aggregation's lag is now minus this. Two index probes."""
    oldest = UncountedTurn.objects.order_by("turn_id").values_list("turn_id", flat=True).first()
    if oldest is None:
        return None
    return ConversationLog.objects.filter(id=oldest).values_list("created_at", flat=True).first()
