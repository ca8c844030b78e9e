"""Writes to conversation_log.

Ingestion is the hottest path in the system: a single turn costs one INSERT
(the API key and the Slack-user lookup are cached), and a batch of up to 1,000
turns one multi-row INSERT. Idempotency rests on the unique constraint on
(robeing_id, event_id): `INSERT ... ON CONFLICT DO NOTHING RETURNING` inserts
the first copy of an event, and a retry, concurrent or not, finds the original.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Literal

import orjson
import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Substr
from django.utils import timezone
from psycopg.types.json import Jsonb, set_json_dumps

from accounts import selectors as account_selectors
from conversations.counted import CLAIMED_MESSAGE_CHARS, COUNTED_TURN_FIELDS, CountedTurn
from conversations.masking import mask_pii
from conversations.models import ArchivedEvent, ConversationLog, UncountedTurn
from conversations.schemas import TurnIn
from core.errors import FieldError, InvalidInput
from settings_app import selectors as settings_selectors

# Columns written at ingestion, in INSERT order.
_INSERT_FIELDS = [
    ConversationLog._meta.get_field(name)
    for name in (
        "robeing", "channel_id", "message", "response", "intent", "confidence", "timestamp",
        "user", "slack_user_id", "thread_ts", "channel_type", "metadata", "event_id", "created_at",
    )
]  # fmt: skip
PII_METADATA_KEY = "pii_masked"


@dataclass
class TurnOutcome:
    status: Literal["created", "duplicate", "error"]
    turn: ConversationLog | None = None
    errors: list[FieldError] | None = None


def conversation_turn_record(*, robeing_id: str, turn: TurnIn) -> tuple[ConversationLog, bool]:
    """Store one turn. Returns (row, created); a repeated event_id returns the
    original row and created=False."""
    outcome = conversation_turns_record(robeing_id=robeing_id, turns=[turn])[0]
    if outcome.status == "error":
        raise InvalidInput("Invalid input.", errors=outcome.errors)
    return outcome.turn, outcome.status == "created"


def conversation_turns_record(*, robeing_id: str, turns: list[TurnIn]) -> list[TurnOutcome]:
    """Store many turns in one INSERT; one outcome per turn, in order.

    Turns naming an unknown user_id are reported as errors and the rest stored.
    """
    now = timezone.now()
    unknown_users = _unknown_user_ids({t.user_id for t in turns if t.user_id})
    slack_users = account_selectors.user_ids_for_slack_users(
        slack_user_ids={t.slack_user_id for t in turns if t.slack_user_id and not t.user_id}
    )
    masking = pii_masking_enabled(robeing_id=robeing_id)
    outcomes: list[TurnOutcome | None] = [None] * len(turns)
    pending: list[tuple[int, ConversationLog]] = []
    for index, turn in enumerate(turns):
        if turn.user_id in unknown_users:
            error = FieldError("user_id", "unknown_user", f"No user with id {turn.user_id}.")
            outcomes[index] = TurnOutcome("error", errors=[error])
            continue
        row = _row_from_turn(robeing_id, turn, now, slack_users, masking)
        pending.append((index, row))
    for index, original in _archived_originals(robeing_id, pending, now).items():
        outcomes[index] = TurnOutcome("duplicate", turn=original)
    pending = [(index, row) for index, row in pending if outcomes[index] is None]
    # In event id order: two copies of a batch in flight at once (a Slack retry
    # racing its original, items in another order) then take the unique index's
    # row locks in the same order, and one waits for the other instead of the
    # two deadlocking.
    pending.sort(key=lambda item: (item[1].event_id is None, item[1].event_id or ""))
    inserted = _insert_ignoring_duplicates(robeing_id, [row for _, row in pending])
    for (index, _), outcome in zip(pending, inserted, strict=True):
        outcomes[index] = outcome
    return outcomes  # type: ignore[return-value]


def _archived_originals(
    robeing_id: str, pending: list[tuple[int, ConversationLog]], now: dt.datetime
) -> dict[int, ConversationLog]:
    """The originals of re-sent events whose turns were archived, by index.

    Only turns old enough to have been archived are looked up (a day of
    margin on ARCHIVE_AFTER_DAYS), so today's traffic pays nothing for it."""
    horizon = now - dt.timedelta(days=max(settings.ARCHIVE_AFTER_DAYS - 1, 0))
    wanted = {
        row.event_id: index for index, row in pending if row.event_id and row.timestamp < horizon
    }
    if not wanted:
        return {}
    found = {}
    markers = ArchivedEvent.objects.filter(robeing_id=robeing_id, event_id__in=wanted)
    for marker in markers.select_related("archive"):
        original = _archived_original(marker)
        if original is not None:
            found[wanted[marker.event_id]] = original
    return found


def _archived_original(marker: ArchivedEvent) -> ConversationLog | None:
    # Restored since (back in the hot table), or in its archive's file; read
    # whole, but this is a re-sent event of months ago, not the daily path.
    hot = ConversationLog.objects.filter(
        robeing_id=marker.robeing_id, event_id=marker.event_id
    ).first()
    if hot is not None:
        return hot
    from conversations.archiving import files  # the archiving package uses this module

    if marker.archive.path:
        for record in files.archive_read(marker.archive.path):
            if record["id"] == marker.turn_id:
                return files.turn_from_record(record)
    marker.delete()  # erased or restored meanwhile: the event is new again
    return None


def pii_masking_enabled(*, robeing_id: str) -> bool:
    """Whether PII is masked at ingestion for this robeing (on by default;
    `system_settings.pii_masking`, read from the settings cache)."""
    return settings_selectors.setting_value(
        robeing_id=robeing_id, category="system_settings", key="pii_masking"
    )


def _unknown_user_ids(user_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    known = account_selectors.existing_user_ids(user_ids=user_ids)
    return user_ids - known


def _row_from_turn(
    robeing_id: str,
    turn: TurnIn,
    now: dt.datetime,
    slack_users: dict[str, uuid.UUID],
    masking: bool,
) -> ConversationLog:
    message, response, metadata = turn.message, turn.response, dict(turn.metadata)
    metadata.pop(PII_METADATA_KEY, None)  # Reserved: only the server writes it.
    if masking:
        message, response, metadata = _masked(message, response, metadata)
    return ConversationLog(
        robeing_id=robeing_id,
        channel_id=turn.channel_id,
        message=message,
        response=response,
        intent=turn.intent,
        confidence=turn.confidence,
        # Stored in UTC anyway; normalising here makes the 201 body equal a re-read.
        timestamp=turn.timestamp.astimezone(dt.UTC) if turn.timestamp else now,
        user_id=turn.user_id or slack_users.get(turn.slack_user_id),
        slack_user_id=turn.slack_user_id,
        thread_ts=turn.thread_ts,
        channel_type=turn.channel_type,
        metadata=metadata,
        event_id=turn.event_id,
        created_at=now,
    )


def _masked(message: str, response: str, metadata: dict) -> tuple[str, str, dict]:
    masked_message = mask_pii(message)
    masked_response = mask_pii(response)
    counts = dict(masked_message.counts)
    for kind, count in masked_response.counts.items():
        counts[kind] = counts.get(kind, 0) + count
    if counts:
        metadata[PII_METADATA_KEY] = counts
    return masked_message.text, masked_response.text, metadata


def _insert_ignoring_duplicates(robeing_id: str, rows: list[ConversationLog]) -> list[TurnOutcome]:
    """INSERT all rows, skipping those whose (robeing_id, event_id) exists; then
    fetch the originals of the skipped ones. One statement on PostgreSQL and
    on SQLite."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        # One statement is atomic by itself; BEGIN/COMMIT would add two round trips.
        if len(rows) == 1:
            return [_insert_one_or_find_original(robeing_id, rows[0])]
        return _match_outcomes(robeing_id, rows, _insert_unnest(rows))
    return _match_outcomes(robeing_id, rows, _insert_json_rows(rows))


# PostgreSQL: one column array per field, unnested into rows. The statement text
# is the same for 1 or 1,000 turns, so psycopg prepares it once per connection
# (server-side binding) and PostgreSQL stops re-parsing and re-planning it; and
# nothing has to splice 14,000 placeholders into a query string.
# Written out, not assembled: SQL text is never built from strings at run time.
_INSERT_COLUMNS = (
    "robeing_id, channel_id, message, response, intent, confidence, timestamp, user_id, "
    "slack_user_id, thread_ts, channel_type, metadata, event_id, created_at"
)
_UNNEST_SQL = (
    "INSERT INTO conversation_log (" + _INSERT_COLUMNS + ") "
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], "
    "%s::float8[], %s::timestamptz[], %s::uuid[], %s::text[], %s::text[], %s::text[], "
    "%s::jsonb[], %s::text[], %s::timestamptz[]) "
    "ON CONFLICT DO NOTHING RETURNING id, event_id"
)
# The single turn. Slack retries an event it thinks was lost, so a retry
# must be cheap too: when the INSERT stores nothing, the original is read by
# the unique key (conv_robeing_event_uniq) with a second prepared statement
# that brings back every column. (One statement doing both cost PostgreSQL more
# CPU per new turn than the retry's second round trip saves.)
_ONE_ROW_SQL = (
    "INSERT INTO conversation_log (" + _INSERT_COLUMNS + ") "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
_ROW_COLUMNS = "id, " + _INSERT_COLUMNS
_ORIGINAL_SQL = (
    "SELECT " + _ROW_COLUMNS + " FROM conversation_log WHERE robeing_id = %s AND event_id = %s"
)
# The statements above and _INSERT_FIELDS must name the same columns in order,
# and a row read back whole must have every column of the model.
assert _INSERT_COLUMNS.split(", ") == [f.column for f in _INSERT_FIELDS]
assert set(_ROW_COLUMNS.split(", ")) == {f.column for f in ConversationLog._meta.concrete_fields}
_METADATA_INDEX = [f.name for f in _INSERT_FIELDS].index("metadata")


def _insert_unnest(rows: list[ConversationLog]) -> list[tuple[int, str | None]]:
    columns = [[getattr(row, f.attname) for row in rows] for f in _INSERT_FIELDS]
    columns[_METADATA_INDEX] = [Jsonb(value) for value in columns[_METADATA_INDEX]]
    return _execute_prepared(_UNNEST_SQL, columns)


def _insert_one_or_find_original(robeing_id: str, row: ConversationLog) -> TurnOutcome:
    # The single-turn hot path: prepared statements, one round trip for a new turn.
    values = [getattr(row, f.attname) for f in _INSERT_FIELDS]
    values[_METADATA_INDEX] = Jsonb(values[_METADATA_INDEX])
    inserted = _execute_prepared(_ONE_ROW_SQL, values)
    if inserted:
        row.id = inserted[0][0]
        row._state.adding = False
        return TurnOutcome("created", turn=row)
    # A new statement, so a new snapshot: an original committed concurrently,
    # after the INSERT waited for it, is seen.
    original = _execute_prepared(_ORIGINAL_SQL, [robeing_id, row.event_id])
    if not original:
        return _original_vanished()
    return TurnOutcome("duplicate", turn=_model_from_columns(original[0]))


def _model_from_columns(values: list) -> ConversationLog:
    by_column = dict(zip(_ROW_COLUMNS.split(", "), values, strict=True))
    # Django loads jsonb as text and parses it in the field, as here.
    by_column["metadata"] = orjson.loads(by_column["metadata"])
    return ConversationLog.from_db(connection.alias, list(by_column), list(by_column.values()))


def _execute_prepared(sql: str, params: list) -> list[tuple]:
    connection.ensure_connection()

    # A plain psycopg cursor binds parameters server-side, and prepare=True
    # makes psycopg prepare the statement on its first use on this connection
    # and reuse it after, so PostgreSQL skips parsing and planning it. (Django
    # turns psycopg's automatic preparation off, for connection poolers, and
    # its ClientCursor binds client-side and cannot prepare.) Same connection,
    # so the same transaction as everything else.
    # Django's error wrapping, as its cursors have: errors arrive as Django's
    # exceptions, and a broken connection is flagged, so that the end of the
    # request closes it instead of handing it to the next request.
    def run(sql: str, params: list, many: bool, context: dict) -> list[tuple]:
        connection.validate_no_broken_transaction()
        with connection.wrap_database_errors:
            cursor = _server_binding_cursor()
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchall()

    # Through Django's execute wrappers, as its own cursors do, so query timing
    # (debug_mode) and any instrumentation still see this statement.
    for wrapper in reversed(connection.execute_wrappers):
        run = functools.partial(wrapper, run)
    return run(sql, params, False, {"connection": connection, "cursor": None})


def _server_binding_cursor() -> psycopg.Cursor:
    """This thread's connection's psycopg cursor, made once and reused: making
    one (its adapters and loaders) cost as much as binding the INSERT. Kept on
    Django's connection object, so a reconnect gets a new one."""
    raw = connection.connection
    cursor = getattr(connection, "_robeing_server_binding_cursor", None)
    if cursor is None or cursor.closed or cursor.connection is not raw:
        cursor = psycopg.Cursor(raw)
        set_json_dumps(orjson.dumps, context=cursor)  # metadata: not the stdlib encoder
        connection._robeing_server_binding_cursor = cursor
    return cursor


# SQLite has no arrays: the batch arrives as one JSON parameter, an array of
# rows, each row an array of the columns in _INSERT_COLUMNS order, unpacked by
# json_each (WHERE true: SQLite's grammar needs it before ON CONFLICT). One
# literal statement whatever the batch's size, and no cap on bound parameters.
_JSON_ROWS_SQL = (
    "INSERT INTO conversation_log (" + _INSERT_COLUMNS + ") "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), "
    "json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'), "
    "json_extract(value, '$[8]'), json_extract(value, '$[9]'), json_extract(value, '$[10]'), "
    "json_extract(value, '$[11]'), json_extract(value, '$[12]'), json_extract(value, '$[13]') "
    "FROM json_each(%s) WHERE true "
    "ON CONFLICT DO NOTHING RETURNING id, event_id"
)
assert len(_INSERT_FIELDS) == 14  # one json_extract per column above


def _insert_json_rows(rows: list[ConversationLog]) -> list[tuple[int, str | None]]:
    """The batch as one statement, for backends without arrays (SQLite). Each
    value is what the field stores (get_db_prep_save: times and metadata as
    text), so json_extract hands the column what an ORM insert would."""
    values = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in _INSERT_FIELDS]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.execute(_JSON_ROWS_SQL, [orjson.dumps(values).decode()])
        return cursor.fetchall()


def _match_outcomes(
    robeing_id: str, rows: list[ConversationLog], returned: list[tuple[int, str | None]]
) -> list[TurnOutcome]:
    # Rows with an event_id are matched by it. Rows without one cannot conflict,
    # so they all come back, in input order (the guarantee bulk_create uses too).
    ids_by_event = {event_id: row_id for row_id, event_id in returned if event_id is not None}
    ids_without_event = iter(row_id for row_id, event_id in returned if event_id is None)
    outcomes: list[TurnOutcome] = []
    duplicates: dict[str, list[int]] = {}
    for position, row in enumerate(rows):
        if row.event_id is None:
            row.id = next(ids_without_event)
        elif row.event_id in ids_by_event:
            row.id = ids_by_event.pop(row.event_id)  # first copy in this request wins
        else:
            duplicates.setdefault(row.event_id, []).append(position)
            outcomes.append(TurnOutcome("duplicate"))
            continue
        row._state.adding = False
        outcomes.append(TurnOutcome("created", turn=row))
    if duplicates:
        originals = ConversationLog.objects.filter(
            robeing_id=robeing_id, event_id__in=list(duplicates)
        )
        for original in originals:
            for position in duplicates.pop(original.event_id):
                outcomes[position].turn = original
    for positions in duplicates.values():
        for position in positions:
            outcomes[position] = _original_vanished()
    return outcomes


def _original_vanished() -> TurnOutcome:
    # An original that vanished between the INSERT and the SELECT (erased in
    # between) cannot be returned; say so rather than pretend it was stored.
    error = FieldError("event_id", "conflict", "The original turn was deleted; retry.")
    return TurnOutcome("error", errors=[error])


# Parameters: how many turns, how much of each message. One statement: the
# backlog rows are taken (locked, SKIP LOCKED: a concurrent run takes the next
# ones instead of waiting for these) and deleted, and their turns read.
_CLAIM_SQL = (
    "WITH claimed AS ("
    " DELETE FROM conversation_uncounted WHERE turn_id IN ("
    "  SELECT turn_id FROM conversation_uncounted ORDER BY turn_id LIMIT %s"
    "  FOR UPDATE SKIP LOCKED)"
    " RETURNING turn_id)"
    " SELECT id, robeing_id, timestamp, intent, channel_type, confidence, substr(message, 1, %s)"
    " FROM conversation_log WHERE id IN (SELECT turn_id FROM claimed) ORDER BY id"
)


def conversation_turns_claim_for_stats(*, limit: int) -> list[CountedTurn]:
    """Take up to `limit` uncounted turns off the backlog and return them. Call
    it inside the transaction that records what they add up to: if that
    transaction rolls back, the claim does too and the turns stay uncounted.

    Exactly once, also with overlapping runs: a turn's backlog row is deleted
    by one claim only (on PostgreSQL the others skip the rows it has locked).
    Turns that commit late, with lower ids than turns already counted, are
    still on the backlog and are found by the next run. A backlog row whose
    turn is gone is dropped with nothing to count.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, [limit, CLAIMED_MESSAGE_CHARS])
            return [CountedTurn.from_row(row) for row in cursor.fetchall()]
    # SQLite has no DELETE in a WITH, and one writer at a time: read, then delete.
    ids = list(UncountedTurn.objects.order_by("turn_id").values_list("turn_id", flat=True)[:limit])
    if not ids:
        return []
    UncountedTurn.objects.filter(turn_id__in=ids).delete()
    rows = (
        ConversationLog.objects.filter(id__in=ids)
        .annotate(message_start=Substr("message", 1, CLAIMED_MESSAGE_CHARS))
        .values_list(*COUNTED_TURN_FIELDS, "message_start")
        .order_by("id")
    )
    return [CountedTurn.from_row(row) for row in rows]


@dataclass(frozen=True)
class ErasedTurns:
    """What one erasure batch deleted: how many turns, and those of them the
    aggregation had counted (whatever was built from them must forget them)."""

    deleted: int
    counted: list[CountedTurn]


def conversation_turns_erase_batch(
    *, user_ids: set[uuid.UUID], slack_user_ids: set[str], limit: int
) -> ErasedTurns:
    """Delete up to `limit` hot turns of one person (by user id or Slack user
    id). Called until it deletes nothing, each call its own short statement
    (conv_user_time_idx and conv_slack_user_idx find the rows); run it in the
    transaction that records what it removed."""
    match = account_selectors.person_filter(user_ids=user_ids, slack_user_ids=slack_user_ids)
    rows = list(
        ConversationLog.objects.select_for_update()
        .filter(match)
        .annotate(message_start=Substr("message", 1, CLAIMED_MESSAGE_CHARS))
        .values_list(*COUNTED_TURN_FIELDS, "message_start")[:limit]
    )
    if not rows:
        return ErasedTurns(0, [])
    ids = [row[0] for row in rows]
    # Taking the turns off the backlog first says exactly which of them were
    # counted: a claim running now holds the rows it took, so this DELETE
    # waits for it and then finds them gone (counted); the rows it takes are
    # out of every later claim's reach (uncounted, never to be counted).
    waiting = _backlog_remove(ids)
    deleted = conversation_turns_delete(ids=ids)
    counted = [CountedTurn.from_row(row) for row in rows if row[0] not in waiting]
    return ErasedTurns(deleted, counted)


def _backlog_remove(ids: list[int]) -> set[int]:
    """Take these turns off the aggregation's backlog; the ids that were on it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM conversation_uncounted WHERE turn_id = ANY(%s) RETURNING turn_id",
                [ids],
            )
            return {row[0] for row in cursor.fetchall()}
    waiting = set(UncountedTurn.objects.filter(turn_id__in=ids).values_list("turn_id", flat=True))
    UncountedTurn.objects.filter(turn_id__in=waiting).delete()
    return waiting


def conversation_turns_mark_counted(*, ids: list[int]) -> None:
    """Take these turns off the backlog without counting them: turns that come
    back from an archive, which the aggregation counted before they left."""
    _backlog_remove(ids)


def conversation_turns_archive_delete(*, ids: list[int], archive_id: int) -> int:
    """Archiving's last step for one batch: delete these hot turns and their
    backlog rows, and remember their event ids (ArchivedEvent) so that a
    re-sent event is still a duplicate; one statement, so all or nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH moved AS (DELETE FROM conversation_log WHERE id = ANY(%s)"
                " RETURNING id, robeing_id, event_id),"
                " off_backlog AS (DELETE FROM conversation_uncounted WHERE turn_id = ANY(%s)),"
                " marked AS (INSERT INTO conversation_archived_event"
                " (robeing_id, event_id, turn_id, archive_id)"
                " SELECT robeing_id, event_id, id, %s FROM moved WHERE event_id IS NOT NULL"
                " ON CONFLICT (robeing_id, event_id) DO UPDATE"
                " SET turn_id = EXCLUDED.turn_id, archive_id = EXCLUDED.archive_id)"
                " SELECT count(*) FROM moved",
                [ids, ids, archive_id],
            )
            return cursor.fetchone()[0]
    with transaction.atomic():
        markers = [
            ArchivedEvent(robeing_id=robeing, event_id=event, turn_id=turn, archive_id=archive_id)
            for turn, robeing, event in ConversationLog.objects.filter(id__in=ids)
            .exclude(event_id=None)
            .values_list("id", "robeing_id", "event_id")
        ]
        ArchivedEvent.objects.bulk_create(
            markers,
            update_conflicts=True,
            unique_fields=["robeing_id", "event_id"],
            update_fields=["turn_id", "archive"],
        )
        return conversation_turns_delete(ids=ids)


def conversation_turns_delete(*, ids: list[int]) -> int:
    """Delete these hot turns in one short statement (row locks are held for a
    moment only), and their backlog rows; returns how many turns were still
    there."""
    if connection.vendor == "postgresql":
        # One array parameter, not thousands of placeholders to splice and parse.
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH off_backlog AS (DELETE FROM conversation_uncounted WHERE turn_id = ANY(%s))"
                " DELETE FROM conversation_log WHERE id = ANY(%s)",
                [ids, ids],
            )
            return cursor.rowcount
    UncountedTurn.objects.filter(turn_id__in=ids).delete()
    return ConversationLog.objects.filter(id__in=ids).delete()[0]
