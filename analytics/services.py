"""Writes of the dashboard's rollups.

`rollups_add` runs inside each stats aggregation batch, in the transaction
that claims the batch's turns (installed by AnalyticsConfig.ready), so a turn
is added exactly once: a crash rolls both back, a re-run finds nothing new.
`rollups_forget` runs inside each erasure step, in the transaction that
deletes the person's turns. `rollups_rebuild` recomputes a period from the
turns themselves (hot and archived) under the aggregation's and the archive
job's locks, for a backfill and for `--repair`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from analytics.models import (
    ConfidenceRollup,
    QuestionRollup,
    TurnRollup,
)
from analytics.questions import TEXT_MAX_CHARS, question_key, question_normalise
from conversations.archiving import reads as archive_reads
from conversations.counted import CountedTurn
from jobs import services as job_services

# What the turn rollup counts as low confidence; the page's own threshold is
# read from the confidence buckets.
LOW_CONFIDENCE_BELOW = 0.5
# Both locks a rebuild holds: no aggregation adds to the rollups and no
# archiving or erasure moves turns while it recounts them.
REBUILD_LOCKS = ("stats-aggregation", "archive-job")
LOCK_WAIT_SECONDS = 60


def local_day_hour(moment: dt.datetime, zone: dt.tzinfo | None = None) -> tuple[dt.date, int]:
    local = moment.astimezone(zone or timezone.get_current_timezone())  # TIME_ZONE: Asia/Seoul
    return local.date(), local.hour


def confidence_bucket(confidence: float) -> int:
    """The hundredth a confidence falls in: 0.37 -> 37, 1.0 -> 99. The epsilon
    keeps 0.29 (28.999... times 100 in binary) in bucket 29, so that "below t"
    from buckets equals `confidence < t` in SQL."""
    return min(99, math.floor(confidence * 100 + 1e-9))


TurnKey = tuple[str, dt.date, int, str, str]  # robeing, day, hour, intent, channel type
BucketKey = tuple[str, dt.date, int]  # robeing, day, bucket
QuestionKey = tuple[str, dt.date, str]  # robeing, day, text key


@dataclass
class Rollups:
    """Rollup rows built from turns in memory, before they are written."""

    # [turns, low-confidence turns, confidence sum, turns with a confidence]
    turns: dict[TurnKey, list] = field(default_factory=dict)
    buckets: dict[BucketKey, int] = field(default_factory=dict)
    # [text, turns]
    questions: dict[QuestionKey, list] = field(default_factory=dict)
    # Looked up once: per turn, the lookup cost more than the rest of add().
    zone: dt.tzinfo = field(default_factory=timezone.get_current_timezone)

    def add(self, turn: CountedTurn) -> None:
        day, hour = local_day_hour(turn.timestamp, self.zone)
        row = self.turns.setdefault(
            (turn.robeing_id, day, hour, turn.intent, turn.channel_type), [0, 0, 0.0, 0]
        )
        row[0] += 1
        if turn.confidence is not None:
            row[1] += turn.confidence < LOW_CONFIDENCE_BELOW
            row[2] += turn.confidence
            row[3] += 1
            key = (turn.robeing_id, day, confidence_bucket(turn.confidence))
            self.buckets[key] = self.buckets.get(key, 0) + 1
        text = question_normalise(turn.message)
        if text:
            question = self.questions.setdefault(
                (turn.robeing_id, day, question_key(text)), [text[:TEXT_MAX_CHARS], 0]
            )
            question[1] += 1

    def extend(self, turns: Iterable[CountedTurn]) -> Rollups:
        for turn in turns:
            self.add(turn)
        return self


@dataclass(frozen=True)
class _Upsert:
    """Adding rows to one rollup table: one row per statement (SQLite) or every
    row in one statement, as arrays (PostgreSQL). Literal SQL in parts, so the
    two forms share their INSERT and ON CONFLICT text."""

    insert: str  # INSERT INTO table (columns)
    values: str  # VALUES (%s, ...): one row
    arrays: str  # SELECT * FROM unnest(%s::type[], ...): every row
    conflict: str  # ON CONFLICT (...) DO UPDATE SET ...

    @property
    def one_row(self) -> str:
        return self.insert + self.values + self.conflict

    @property
    def all_rows(self) -> str:
        return self.insert + self.arrays + self.conflict


_TURNS_UPSERT = _Upsert(
    "INSERT INTO analytics_turn_rollup (robeing_id, day, hour, intent, channel_type, turns,"
    " low_confidence_turns, confidence_sum, confidence_turns)",
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
    " SELECT * FROM unnest(%s::text[], %s::date[], %s::int[], %s::text[], %s::text[],"
    " %s::int[], %s::int[], %s::float8[], %s::int[])",
    " ON CONFLICT (robeing_id, day, hour, intent, channel_type) DO UPDATE SET"
    " turns = analytics_turn_rollup.turns + excluded.turns,"
    " low_confidence_turns = analytics_turn_rollup.low_confidence_turns"
    " + excluded.low_confidence_turns,"
    " confidence_sum = analytics_turn_rollup.confidence_sum + excluded.confidence_sum,"
    " confidence_turns = analytics_turn_rollup.confidence_turns + excluded.confidence_turns",
)
_BUCKETS_UPSERT = _Upsert(
    "INSERT INTO analytics_confidence_rollup (robeing_id, day, bucket, turns)",
    " VALUES (%s, %s, %s, %s)",
    " SELECT * FROM unnest(%s::text[], %s::date[], %s::int[], %s::int[])",
    " ON CONFLICT (robeing_id, day, bucket) DO UPDATE SET"
    " turns = analytics_confidence_rollup.turns + excluded.turns",
)
_QUESTIONS_UPSERT = _Upsert(
    "INSERT INTO analytics_question_rollup (robeing_id, day, key, text, turns)",
    " VALUES (%s, %s, %s, %s, %s)",
    " SELECT * FROM unnest(%s::text[], %s::date[], %s::text[], %s::text[], %s::int[])",
    " ON CONFLICT (robeing_id, day, key) DO UPDATE SET"
    " turns = analytics_question_rollup.turns + excluded.turns",
)
_FLEET_TURNS_UPSERT = _Upsert(
    "INSERT INTO analytics_fleet_turn_rollup (day, hour, intent, turns)",
    " VALUES (%s, %s, %s, %s)",
    " SELECT * FROM unnest(%s::date[], %s::int[], %s::text[], %s::int[])",
    " ON CONFLICT (day, hour, intent) DO UPDATE SET"
    " turns = analytics_fleet_turn_rollup.turns + excluded.turns",
)
_FLEET_BUCKETS_UPSERT = _Upsert(
    "INSERT INTO analytics_fleet_confidence_rollup (day, bucket, turns)",
    " VALUES (%s, %s, %s)",
    " SELECT * FROM unnest(%s::date[], %s::int[], %s::int[])",
    " ON CONFLICT (day, bucket) DO UPDATE SET"
    " turns = analytics_fleet_confidence_rollup.turns + excluded.turns",
)
_FLEET_QUESTIONS_UPSERT = _Upsert(
    "INSERT INTO analytics_fleet_question_rollup (day, key, text, turns)",
    " VALUES (%s, %s, %s, %s)",
    " SELECT * FROM unnest(%s::date[], %s::text[], %s::text[], %s::int[])",
    " ON CONFLICT (day, key) DO UPDATE SET"
    " turns = analytics_fleet_question_rollup.turns + excluded.turns",
)
_ROBEING_DAYS_UPSERT = _Upsert(
    "INSERT INTO analytics_robeing_day_rollup (robeing_id, day, turns)",
    " VALUES (%s, %s, %s)",
    " SELECT * FROM unnest(%s::text[], %s::date[], %s::int[])",
    " ON CONFLICT (robeing_id, day) DO UPDATE SET"
    " turns = analytics_robeing_day_rollup.turns + excluded.turns",
)


def _sum_into(target: dict, key: tuple, amount: int) -> None:
    target[key] = target.get(key, 0) + amount


def _fleet_rows(rollups: Rollups) -> list[tuple[_Upsert, list[tuple]]]:
    """The whole fleet's increments from a batch's per-robeing rows."""
    turns: dict = {}
    robeing_days: dict = {}
    for (robeing_id, day, hour, intent, _), values in rollups.turns.items():
        _sum_into(turns, (day, hour, intent), values[0])
        _sum_into(robeing_days, (robeing_id, day), values[0])
    buckets: dict = {}
    for (_, day, bucket), count in rollups.buckets.items():
        _sum_into(buckets, (day, bucket), count)
    questions: dict = {}
    for (_, day, key), (text, count) in rollups.questions.items():
        questions.setdefault((day, key), [text, 0])[1] += count
    return [
        (_FLEET_TURNS_UPSERT, [(*key, turns[key]) for key in sorted(turns)]),
        (_FLEET_BUCKETS_UPSERT, [(*key, buckets[key]) for key in sorted(buckets)]),
        (_FLEET_QUESTIONS_UPSERT, [(*key, *questions[key]) for key in sorted(questions)]),
        (_ROBEING_DAYS_UPSERT, [(*key, robeing_days[key]) for key in sorted(robeing_days)]),
    ]


@dataclass(frozen=True)
class _FleetTable:
    """A fleet table and the GROUP BY of the per-robeing table it sums."""

    name: str
    delete: str  # its rows of a day range
    stored: str  # its rows of a day range, as `summed` gives them
    summed: str  # the per-robeing rows of a day range, summed over robeings
    insert: str  # INSERT INTO it (columns), followed by `summed`
    day_at: int  # where the day is in a row of `stored` and `summed`


_FLEET_TABLES = [
    _FleetTable(
        "analytics_fleet_turn_rollup",
        "DELETE FROM analytics_fleet_turn_rollup WHERE day BETWEEN %s AND %s",
        "SELECT day, hour, intent, turns FROM analytics_fleet_turn_rollup"
        " WHERE day BETWEEN %s AND %s",
        "SELECT day, hour, intent, SUM(turns) FROM analytics_turn_rollup"
        " WHERE day BETWEEN %s AND %s GROUP BY day, hour, intent",
        "INSERT INTO analytics_fleet_turn_rollup (day, hour, intent, turns) ",
        0,
    ),
    _FleetTable(
        "analytics_fleet_confidence_rollup",
        "DELETE FROM analytics_fleet_confidence_rollup WHERE day BETWEEN %s AND %s",
        "SELECT day, bucket, turns FROM analytics_fleet_confidence_rollup"
        " WHERE day BETWEEN %s AND %s",
        "SELECT day, bucket, SUM(turns) FROM analytics_confidence_rollup"
        " WHERE day BETWEEN %s AND %s GROUP BY day, bucket",
        "INSERT INTO analytics_fleet_confidence_rollup (day, bucket, turns) ",
        0,
    ),
    _FleetTable(
        "analytics_fleet_question_rollup",
        "DELETE FROM analytics_fleet_question_rollup WHERE day BETWEEN %s AND %s",
        "SELECT day, key, text, turns FROM analytics_fleet_question_rollup"
        " WHERE day BETWEEN %s AND %s",
        "SELECT day, key, MIN(text), SUM(turns) FROM analytics_question_rollup"
        " WHERE day BETWEEN %s AND %s GROUP BY day, key",
        "INSERT INTO analytics_fleet_question_rollup (day, key, text, turns) ",
        0,
    ),
    _FleetTable(
        "analytics_robeing_day_rollup",
        "DELETE FROM analytics_robeing_day_rollup WHERE day BETWEEN %s AND %s",
        "SELECT robeing_id, day, turns FROM analytics_robeing_day_rollup"
        " WHERE day BETWEEN %s AND %s",
        "SELECT robeing_id, day, SUM(turns) FROM analytics_turn_rollup"
        " WHERE day BETWEEN %s AND %s GROUP BY robeing_id, day",
        "INSERT INTO analytics_robeing_day_rollup (robeing_id, day, turns) ",
        1,
    ),
]


def fleet_refresh(*, first: dt.date, last: dt.date) -> None:
    """Recompute the fleet tables for days first..last from the per-robeing
    rollups (after a rebuild, a repair or an erasure). Call it in the
    transaction that changed them."""
    with connection.cursor() as cursor:
        for table in _FLEET_TABLES:
            cursor.execute(table.delete, [first, last])
            cursor.execute(table.insert + table.summed, [first, last])


def rollups_add(turns: list[CountedTurn]) -> None:
    """Add newly counted turns to the rollups. Call it in the transaction that
    claims them (the stats aggregation does)."""
    if turns:
        _write(Rollups().extend(turns))


def _write(rollups: Rollups, *, with_fleet: bool = True) -> None:
    # Sorted keys: two batches adding to the same rows lock them in the same
    # order and cannot deadlock.
    tables = [
        (_TURNS_UPSERT, [(*key, *rollups.turns[key]) for key in sorted(rollups.turns)]),
        (_BUCKETS_UPSERT, [(*key, rollups.buckets[key]) for key in sorted(rollups.buckets)]),
        (
            _QUESTIONS_UPSERT,
            [(*key, *rollups.questions[key]) for key in sorted(rollups.questions)],
        ),
    ]
    if with_fleet:
        tables += _fleet_rows(rollups)
    with connection.cursor() as cursor:
        for upsert, rows in tables:
            if not rows:
                continue
            if connection.vendor == "postgresql":
                # One statement per table, the rows as arrays: a batch of 1,000
                # turns may add 1,000 question rows, and as many statements
                # would cost more than the claim itself.
                cursor.execute(
                    upsert.all_rows, [list(column) for column in zip(*rows, strict=True)]
                )
            else:
                cursor.executemany(upsert.one_row, rows)


def rollups_forget(turns: list[CountedTurn]) -> None:
    """Take erased turns out of every rollup, their text first of all (a
    question row nobody else asked disappears). Call it in the transaction
    that deletes them, so a resumed erasure never takes them out twice."""
    if not turns:
        return
    gone = Rollups().extend(turns)
    for key in sorted(gone.turns):
        robeing_id, day, hour, intent, channel_type = key
        turns_, low, confidence_sum, confidence_turns = gone.turns[key]
        row = TurnRollup.objects.filter(
            robeing_id=robeing_id, day=day, hour=hour, intent=intent, channel_type=channel_type
        )
        _subtract(row, turns=turns_, low_confidence_turns=low, confidence_turns=confidence_turns)
        row.update(confidence_sum=_minus("confidence_sum", confidence_sum))
    for (robeing_id, day, bucket), count in sorted(gone.buckets.items()):
        row = ConfidenceRollup.objects.filter(robeing_id=robeing_id, day=day, bucket=bucket)
        _subtract(row, turns=count)
    for (robeing_id, day, key), (_, count) in sorted(gone.questions.items()):
        row = QuestionRollup.objects.filter(robeing_id=robeing_id, day=day, key=key)
        _subtract(row, turns=count)
    # A row of nobody's turns any more says nothing, and may still hold text.
    days = {key[1] for key in gone.turns}
    for model in (TurnRollup, ConfidenceRollup, QuestionRollup):
        model.objects.filter(turns=0, day__in=days).delete()
    for day in sorted(days):
        fleet_refresh(first=day, last=day)


def _subtract(rows, **amounts: int) -> None:
    rows.update(**{name: _minus(name, amount) for name, amount in amounts.items()})


def _minus(name: str, amount: float) -> Greatest:
    # Never below zero, even for a row a rebuild already recounted without them.
    return Greatest(F(name) - amount, Value(0))


@dataclass(frozen=True)
class RebuildResult:
    turns: int
    rows: int


def rollups_rebuild(
    *,
    since: dt.date,
    until: dt.date,
    robeing_ids: set[str] | None = None,
    progress: Callable[[dt.date, int], None] | None = None,
) -> RebuildResult:
    """Recount Seoul days since..until (inclusive) from the counted turns, hot
    and archived, replacing what the rollups hold for them; one transaction
    per month. Raises JobAlreadyRunning if the aggregation or the archive job
    keeps its lock for more than LOCK_WAIT_SECONDS."""
    turns = rows = 0
    with _rebuild_locks():
        for first, last in _months(since, until):
            built = _rebuild_range(first, last, robeing_ids, progress)
            turns += built[0]
            rows += built[1]
    return RebuildResult(turns, rows)


@contextmanager
def _rebuild_locks() -> Iterator[None]:
    with ExitStack() as held:
        for name in REBUILD_LOCKS:
            held.enter_context(job_services.locked(name, wait_seconds=LOCK_WAIT_SECONDS))
        yield


def _months(since: dt.date, until: dt.date) -> list[tuple[dt.date, dt.date]]:
    ranges, first = [], since
    while first <= until:
        next_month = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        last = min(until, next_month - dt.timedelta(days=1))
        ranges.append((first, last))
        first = next_month
    return ranges


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), timezone.get_current_timezone())


def _rebuild_range(
    first: dt.date,
    last: dt.date,
    robeing_ids: set[str] | None,
    progress: Callable[[dt.date, int], None] | None,
) -> tuple[int, int]:
    rollups = _recount(first, last, robeing_ids, progress)
    counted = _total(rollups.turns)
    with transaction.atomic():
        for model in (TurnRollup, ConfidenceRollup, QuestionRollup):
            stale = model.objects.filter(day__gte=first, day__lte=last)
            if robeing_ids is not None:
                stale = stale.filter(robeing_id__in=robeing_ids)
            stale.delete()
        _write(rollups, with_fleet=False)
        fleet_refresh(first=first, last=last)
    if progress:
        progress(last, counted)
    return counted, len(rollups.turns) + len(rollups.buckets) + len(rollups.questions)


@dataclass(frozen=True)
class Difference:
    """One robeing's day where the rollups and a recount disagree."""

    robeing_id: str
    day: dt.date
    tables: tuple[str, ...]  # which rollups differ: turns, confidence, questions
    stored_turns: int
    counted_turns: int


def rollups_verify(
    *,
    since: dt.date,
    until: dt.date,
    robeing_ids: set[str] | None = None,
    repair: bool = False,
    progress: Callable[[dt.date, int], None] | None = None,
) -> list[Difference]:
    """Recount Seoul days since..until from the turns (hot and archived) and
    compare with the rollups, per robeing and day. With repair, rebuild each
    robeing's differing days from the recount. Holds the same locks as a
    rebuild, so the aggregation cannot add turns half way through."""
    differences: list[Difference] = []
    with _rebuild_locks():
        for first, last in _months(since, until):
            counted = _recount(first, last, robeing_ids, progress)
            stored = _stored(first, last, robeing_ids)
            found = _compare(_by_day(stored), _by_day(counted))
            if repair:
                for robeing_id, days in _days_by_robeing(found).items():
                    for day in days:
                        _rebuild_range(day, day, {robeing_id}, None)
            fleet = _fleet_differences(first, last)
            if repair:
                with transaction.atomic():
                    for day in sorted({difference.day for difference in fleet}):
                        fleet_refresh(first=day, last=day)
            differences += found + fleet
    return differences


FLEET = "(fleet)"  # the robeing a difference in the whole fleet's tables names


def _fleet_differences(first: dt.date, last: dt.date) -> list[Difference]:
    """Days whose fleet rows are not the sum of the per-robeing rows."""
    tables: dict[dt.date, list[str]] = {}
    turns: dict[dt.date, list[int]] = {}  # day -> [stored, summed], from the turn table
    with connection.cursor() as cursor:
        for table in _FLEET_TABLES:
            cursor.execute(table.stored, [first, last])
            stored = set(cursor.fetchall())
            cursor.execute(table.summed, [first, last])
            summed = set(cursor.fetchall())
            for day in sorted({row[table.day_at] for row in stored ^ summed}):
                tables.setdefault(day, []).append(table.name)
            if table is _FLEET_TABLES[0]:  # the turn table: the turns to report
                for index, rows in enumerate((stored, summed)):
                    for row in rows:
                        turns.setdefault(row[table.day_at], [0, 0])[index] += row[-1]
    return [
        Difference(FLEET, day, tuple(tables[day]), *turns.get(day, [0, 0]))
        for day in sorted(tables)
    ]


def _recount(
    first: dt.date,
    last: dt.date,
    robeing_ids: set[str] | None,
    progress: Callable[[dt.date, int], None] | None,
) -> Rollups:
    rollups, counted = Rollups(), 0
    for turn in archive_reads.counted_turns_everywhere(
        since=day_start(first),
        until=day_start(last + dt.timedelta(days=1)),
        robeing_ids=robeing_ids,
    ):
        rollups.add(turn)
        counted += 1
        if progress and counted % 10_000 == 0:
            progress(first, counted)
    return rollups


def _stored(first: dt.date, last: dt.date, robeing_ids: set[str] | None) -> Rollups:
    def rows(model, *fields):
        found = model.objects.filter(day__gte=first, day__lte=last)
        if robeing_ids is not None:
            found = found.filter(robeing_id__in=robeing_ids)
        return found.values_list(*fields).iterator()

    stored = Rollups()
    for robeing_id, day, hour, intent, channel, *values in rows(
        TurnRollup, "robeing_id", "day", "hour", "intent", "channel_type",
        "turns", "low_confidence_turns", "confidence_sum", "confidence_turns",
    ):  # fmt: skip
        stored.turns[(robeing_id, day, hour, intent, channel)] = values
    for robeing_id, day, bucket, turns in rows(
        ConfidenceRollup, "robeing_id", "day", "bucket", "turns"
    ):
        stored.buckets[(robeing_id, day, bucket)] = turns
    for robeing_id, day, key, text, turns in rows(
        QuestionRollup, "robeing_id", "day", "key", "text", "turns"
    ):
        stored.questions[(robeing_id, day, key)] = [text, turns]
    return stored


_DayRollups = dict[tuple[str, dt.date], dict[str, dict]]


def _by_day(rollups: Rollups) -> _DayRollups:
    days: _DayRollups = {}

    def of(robeing_id: str, day: dt.date) -> dict[str, dict]:
        return days.setdefault((robeing_id, day), {"turns": {}, "confidence": {}, "questions": {}})

    for (robeing_id, day, *rest), values in rollups.turns.items():
        of(robeing_id, day)["turns"][tuple(rest)] = values
    for (robeing_id, day, bucket), turns in rollups.buckets.items():
        of(robeing_id, day)["confidence"][bucket] = turns
    for (robeing_id, day, key), (_, turns) in rollups.questions.items():
        of(robeing_id, day)["questions"][key] = turns
    return days


def _compare(stored: _DayRollups, counted: _DayRollups) -> list[Difference]:
    empty = {"turns": {}, "confidence": {}, "questions": {}}
    differences = []
    for robeing_id, day in sorted(stored.keys() | counted.keys()):
        mine = stored.get((robeing_id, day), empty)
        truth = counted.get((robeing_id, day), empty)
        tables = tuple(
            name for name in ("turns", "confidence", "questions") if not _same(name, mine, truth)
        )
        if tables:
            differences.append(
                Difference(robeing_id, day, tables, _total(mine["turns"]), _total(truth["turns"]))
            )
    return differences


def _same(table: str, stored: dict, counted: dict) -> bool:
    if table != "turns":
        return stored[table] == counted[table]
    mine, truth = stored["turns"], counted["turns"]
    if mine.keys() != truth.keys():
        return False
    # Integers exactly; the confidence sum to rounding (it was added in another order).
    return all(
        mine[key][0:2] == truth[key][0:2]
        and mine[key][3] == truth[key][3]
        and math.isclose(mine[key][2], truth[key][2], rel_tol=1e-9, abs_tol=1e-6)
        for key in truth
    )


def _total(turn_rows: dict) -> int:
    return sum(values[0] for values in turn_rows.values())


def _days_by_robeing(differences: list[Difference]) -> dict[str, list[dt.date]]:
    days: dict[str, list[dt.date]] = {}
    for difference in differences:
        days.setdefault(difference.robeing_id, []).append(difference.day)
    return days
