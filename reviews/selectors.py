"""Reads: the review inbox, a turn's reviews and flags, intent suggestions and
the training-data export.

The inbox and the export read conversation_log (a layer below) and shape
every query for its indexes: newest first by (timestamp, id), low confidence
through the partial index on `confidence < 0.5`, an intent through
(intent, timestamp, id); flagged and reviewed turns come by id from this
app's own small tables.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import orjson
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import selectors as account_selectors
from conversations.masking import mask_pii
from conversations.models import ConversationLog
from core.errors import NotFound
from reviews.models import TurnFlag, TurnReview, TurnReviewHistory

DEFAULT_THRESHOLD = 0.5
INTENT_SUGGESTIONS = 200
# Intents change slowly; the list is read on every review page.
INTENT_CACHE_SECONDS = 300
EXPORT_BATCH = 2_000

Turns = QuerySet[ConversationLog]
People = tuple[set[uuid.UUID], set[str]]


# --- The erasure rule, installed by privacy -----------------------------------------


def _nobody_pending() -> People:
    return set(), set()


# Everyone with an erasure request not done yet, as (user ids, Slack user ids).
# privacy (above this app) installs its rule from PrivacyConfig.ready(); until
# an erasure has run, their turns are still in the log and must not leave it
# as training data.
_erasure_pending: Callable[[], People] = _nobody_pending


def set_erasure_pending_rule(rule: Callable[[], People]) -> None:
    global _erasure_pending
    _erasure_pending = rule


def people_pending_erasure() -> People:
    return _erasure_pending()


# --- One turn and what operators said about it ----------------------------------------


def turn_get(*, turn_id: int) -> ConversationLog:
    turn = ConversationLog.objects.select_related("user").filter(id=turn_id).first()
    if turn is None:
        raise NotFound(f"No turn {turn_id} in the log.", code="turn_not_found")
    return turn


def reviews_of_turn(*, turn_id: int) -> QuerySet[TurnReview]:
    return (
        TurnReview.objects.filter(turn_id=turn_id)
        .select_related("reviewer")
        .order_by("-updated_at", "-id")
    )


def review_history_of_turn(*, turn_id: int) -> QuerySet[TurnReviewHistory]:
    return (
        TurnReviewHistory.objects.filter(turn_id=turn_id)
        .select_related("reviewer")
        .order_by("-recorded_at", "-id")
    )


def flags_of_turn(*, turn_id: int) -> QuerySet[TurnFlag]:
    return (
        TurnFlag.objects.filter(turn_id=turn_id)
        .select_related("flagged_by")
        .order_by("-created_at")
    )


@dataclass
class TurnMarks:
    """What the inbox shows of a turn's reviews and flags."""

    flags: int = 0
    verdicts: list[str] = field(default_factory=list)  # newest review first


def turn_marks(*, turn_ids: Iterable[int]) -> dict[int, TurnMarks]:
    """Flags and verdicts of one page of turns: two indexed queries, whatever
    the page holds."""
    ids = list(turn_ids)
    marks = {turn_id: TurnMarks() for turn_id in ids}
    flagged = TurnFlag.objects.filter(turn_id__in=ids).values_list("turn_id", flat=True)
    for turn_id in flagged:
        marks[turn_id].flags += 1
    reviews = (
        TurnReview.objects.filter(turn_id__in=ids)
        .order_by("turn_id", "-updated_at", "-id")
        .values_list("turn_id", "verdict")
    )
    for turn_id, verdict in reviews:
        marks[turn_id].verdicts.append(verdict)
    return marks


# --- The inbox ------------------------------------------------------------------------


def inbox_low_confidence(turns: Turns, *, below: float = DEFAULT_THRESHOLD) -> Turns:
    # A literal bound the planner can match against the partial index
    # `WHERE confidence < 0.5` (any bound up to 0.5 implies it).
    return turns.filter(confidence__lt=below)


def inbox_flagged(turns: Turns) -> Turns:
    return turns.filter(id__in=TurnFlag.objects.values("turn_id"))


def inbox_reviewed(turns: Turns) -> Turns:
    return turns.filter(id__in=TurnReview.objects.values("turn_id"))


def inbox_unreviewed(turns: Turns) -> Turns:
    # NOT IN over the small review table: one hashed set checked per row read
    # in index order, so the page still stops after its 50 rows.
    return turns.exclude(id__in=TurnReview.objects.values("turn_id"))


def known_intents(*, limit: int = INTENT_SUGGESTIONS) -> list[str]:
    """Distinct non-empty intents, logged or given by reviewers, for the review
    form's suggestions; at most `limit`, alphabetical."""
    key = f"reviews:known-intents:{limit}"
    intents = cache.get(key)
    if intents is None:
        logged = _logged_intents(limit)
        reviewed = TurnReview.objects.exclude(correct_intent="").values_list(
            "correct_intent", flat=True
        )
        intents = sorted({*logged, *reviewed.distinct()[:limit]})[:limit]
        cache.set(key, intents, INTENT_CACHE_SECONDS)
    return intents


# A "loose index scan": each step jumps to the next larger intent through the
# (intent, timestamp, id) index, so the cost is one probe per distinct intent,
# not a read of ten million rows.
_LOOSE_INTENT_SCAN = """
WITH RECURSIVE intents(intent) AS (
    (SELECT intent FROM conversation_log WHERE intent > '' ORDER BY intent LIMIT 1)
    UNION ALL
    SELECT (SELECT c.intent FROM conversation_log c
            WHERE c.intent > intents.intent ORDER BY c.intent LIMIT 1)
    FROM intents WHERE intents.intent IS NOT NULL
)
SELECT intent FROM intents WHERE intent IS NOT NULL LIMIT %s
"""


def _logged_intents(limit: int) -> list[str]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOOSE_INTENT_SCAN, [limit])
            return [row[0] for row in cursor.fetchall()]
    turns = ConversationLog.objects.exclude(intent="").order_by("intent")
    return list(turns.values_list("intent", flat=True).distinct()[:limit])


# --- The training-data export ----------------------------------------------------------


def seoul_day_bounds(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `since`, start of the day after `until`) in the operators'
    time zone (TIME_ZONE, Asia/Seoul)."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(since, dt.time(), zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
    return start, end


_TURN_FIELDS = ("id", "robeing_id", "timestamp", "message", "response", "intent", "confidence")


def training_examples_count(
    *, since: dt.date, until: dt.date, robeing_ids: list[str], reviewed_only: bool
) -> int:
    """How many lines an export will hold, give or take turns that arrive or
    leave meanwhile (for a progress bar: one COUNT over the period's range)."""
    if reviewed_only:
        return _reviewed_in_period(since, until, robeing_ids).values("turn_id").distinct().count()
    return _turns_in_period(since, until, robeing_ids).count()


def training_examples(
    *,
    since: dt.date,
    until: dt.date,
    robeing_ids: list[str],
    reviewed_only: bool = False,
    batch_size: int = EXPORT_BATCH,
) -> Iterator[dict]:
    """One dict per turn of the period (oldest first; robeing by robeing when
    some are named), with its latest review's intent and verdict.

    Read in keyset batches, so a million turns cost the memory of one batch.
    Turns of anyone with an open erasure request are left out. Message and
    response are masked again: a robeing may have had masking switched off
    when the turn was stored, and masking masked text changes nothing.
    """
    pending = people_pending_erasure()
    unwanted = account_selectors.person_filter(user_ids=pending[0], slack_user_ids=pending[1])
    batches = (
        _reviewed_turn_batches(since, until, robeing_ids, unwanted, batch_size)
        if reviewed_only
        else _period_turn_batches(since, until, robeing_ids, unwanted, batch_size)
    )
    for rows in batches:
        latest = _latest_reviews(rows)
        for row in rows:
            yield _example(row, latest.get(row[0]))


def _turns_in_period(since: dt.date, until: dt.date, robeing_ids: list[str]) -> Turns:
    start, end = seoul_day_bounds(since, until)
    turns = ConversationLog.objects.filter(timestamp__gte=start, timestamp__lt=end)
    return turns.filter(robeing_id__in=robeing_ids) if robeing_ids else turns


def _reviewed_in_period(
    since: dt.date, until: dt.date, robeing_ids: list[str]
) -> QuerySet[TurnReview]:
    start, end = seoul_day_bounds(since, until)
    reviews = TurnReview.objects.filter(turn_timestamp__gte=start, turn_timestamp__lt=end)
    return reviews.filter(robeing_id__in=robeing_ids) if robeing_ids else reviews


def _period_turn_batches(
    since: dt.date, until: dt.date, robeing_ids: list[str], unwanted: Q, batch_size: int
) -> Iterator[list[tuple]]:
    # One robeing at a time: each walk is then one range scan of
    # conv_robeing_time_idx (or of conv_time_idx for all robeings).
    for robeing_id in robeing_ids or [None]:
        turns = _turns_in_period(since, until, [robeing_id] if robeing_id else [])
        yield from _keyset_walk(turns.exclude(unwanted), "timestamp", "id", batch_size)


def _reviewed_turn_batches(
    since: dt.date, until: dt.date, robeing_ids: list[str], unwanted: Q, batch_size: int
) -> Iterator[list[tuple]]:
    # Driven by the small review table. A reviewed turn archived meanwhile is
    # no longer in the hot table, and is not exported.
    reviews = _reviewed_in_period(since, until, robeing_ids)
    for keys in _keyset_walk(reviews, "turn_timestamp", "turn_id", batch_size, fields=()):
        turns = ConversationLog.objects.filter(id__in=[key[1] for key in keys])
        yield list(turns.exclude(unwanted).order_by("timestamp", "id").values_list(*_TURN_FIELDS))


def _keyset_walk(
    rows: QuerySet,
    time_field: str,
    id_field: str,
    batch_size: int,
    fields: tuple[str, ...] = _TURN_FIELDS,
) -> Iterator[list[tuple]]:
    """Rows in (time, id) order, `batch_size` at a time, as tuples that start
    with (time, id) when `fields` is empty. Each batch starts where the last
    one stopped (no OFFSET), so every batch costs the same however far the
    walk has gone."""
    columns = fields or (time_field, id_field)
    time_at, id_at = columns.index(time_field), columns.index(id_field)
    ordered = rows.order_by(time_field, id_field).values_list(*columns)
    if not fields:
        ordered = ordered.distinct()  # several reviews of one turn: the turn once
    after: tuple[dt.datetime, int] | None = None
    while True:
        page = ordered
        if after is not None:
            # time >= t AND NOT (time = t AND id <= i): the range scan starts at t.
            page = page.filter(**{f"{time_field}__gte": after[0]}).exclude(
                Q(**{time_field: after[0], f"{id_field}__lte": after[1]})
            )
        batch = list(page[:batch_size])
        if batch:
            yield batch
        if len(batch) < batch_size:
            return
        after = (batch[-1][time_at], batch[-1][id_at])


def _latest_reviews(rows: list[tuple]) -> dict[int, tuple[str, str]]:
    """(correct intent, verdict) of the newest review of each turn of a batch.
    Looked up by the batch's time span on review_time_idx, not by a list of
    2,000 ids: the query stays small, and reviews are few per span."""
    if not rows:
        return {}
    ids = {row[0] for row in rows}
    times = [row[2] for row in rows]
    reviews = (
        TurnReview.objects.filter(turn_timestamp__gte=min(times), turn_timestamp__lte=max(times))
        .order_by("turn_id", "-updated_at", "-id")
        .values_list("turn_id", "correct_intent", "verdict")
    )
    latest: dict[int, tuple[str, str]] = {}
    for turn_id, correct_intent, verdict in reviews:
        if turn_id in ids:
            latest.setdefault(turn_id, (correct_intent, verdict))
    return latest


def training_jsonl_chunks(
    examples: Iterable[dict], chunk_bytes: int = 64 * 1024
) -> Iterator[bytes]:
    """The examples as JSON Lines (UTF-8, UTC times with "Z"), in chunks of
    about `chunk_bytes`: a streamed download then writes a few large pieces
    instead of a million small ones."""
    chunk = bytearray()
    for example in examples:
        chunk += orjson.dumps(example, option=orjson.OPT_UTC_Z)
        chunk += b"\n"
        if len(chunk) >= chunk_bytes:
            yield bytes(chunk)
            chunk.clear()
    if chunk:
        yield bytes(chunk)


def _example(row: tuple, review: tuple[str, str] | None) -> dict:
    turn_id, robeing_id, timestamp, message, response, intent, confidence = row
    return {
        "id": turn_id,
        "robeing_id": robeing_id,
        "timestamp": timestamp,
        "message": mask_pii(message).text,
        "response": mask_pii(response).text,
        "intent": intent,
        "confidence": confidence,
        # A reviewer who leaves the intent empty lets the logged one stand.
        "reviewed_intent": (review[0] or intent) if review else None,
        "verdict": review[1] if review else None,
    }
