"""CSV export of the log browser: every row of what the filtered list shows.

The admin builds the queryset (conversations.admin, through the list's own
ChangeList, so the two cannot disagree); this module writes it out and keeps
the audit row (ConversationExport) that says who exported what, and when.

Memory stays flat whatever the size: rows come from a server-side cursor
(QuerySet.iterator, CHUNK_ROWS at a time) and leave as CSV in chunks of about
FLUSH_CHARS characters. On PostgreSQL the read runs in a transaction of its
own: outside one Django declares the cursor WITH HOLD, and PostgreSQL then
computes the whole result before the first row can leave. Not on SQLite: its
transactions here take the write lock at BEGIN (IMMEDIATE), which would stop
the worker for as long as the download lasts, and its cursor streams anyway.

The file starts with a UTF-8 byte order mark: without it Excel reads UTF-8 as
the local code page and Korean text comes out garbled. A text cell that
starts with = + - @ (or a tab or carriage return) is one a spreadsheet would
run as a formula; it gets a leading apostrophe, as OWASP advises.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from conversations.models import ChannelType, ConversationExport, ConversationLog

CHUNK_ROWS = 2_000  # rows per fetch from the server-side cursor
FLUSH_CHARS = 64 * 1024  # CSV characters per chunk handed to the server
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# Column headers (translated when an export starts) in the order of a row.
HEADERS = (
    _("ID"),
    _("time"),
    _("robeing"),
    _("channel"),
    _("channel type"),
    _("thread"),
    _("person"),
    _("Slack user"),
    _("message"),
    _("response"),
    _("intent"),
    _("confidence"),
)


def conversation_export_start(
    *, user_id: Any, filters: Mapping[str, Sequence[str]]
) -> ConversationExport:
    """The audit row of a download that is about to start."""
    plain = {key: vals[0] if len(vals) == 1 else list(vals) for key, vals in filters.items()}
    return ConversationExport.objects.create(exported_by_id=user_id, filters=plain)


def conversation_export_finish(*, export_id: int, row_count: int, finished: bool) -> None:
    """How many rows went out; finished only when the last one did."""
    ConversationExport.objects.filter(id=export_id).update(
        row_count=row_count, finished_at=timezone.now() if finished else None
    )


def conversation_export_csv(
    *, export: ConversationExport, turns: QuerySet[ConversationLog]
) -> Iterator[bytes]:
    """The CSV of `turns` in their order, in chunks of bytes, for a
    StreamingHttpResponse; the audit row is completed when the stream ends.

    Headers, channel type labels and the time zone are read here, in the
    request, not while the response is sent, when its language is gone."""
    header = [capfirst(str(name)) for name in HEADERS]
    labels = {value: str(label) for value, label in ChannelType.choices}
    row = _row_writer(timezone.get_current_timezone(), labels)
    return _stream(export.id, turns, header, row)


def _stream(
    export_id: int,
    turns: QuerySet[ConversationLog],
    header: list[str],
    row: Callable[[tuple], list[Any]],
) -> Iterator[bytes]:
    written = sent = 0
    finished = False
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    try:
        with _read_transaction():
            buffer.write(BOM)
            writer.writerow(header)
            for values in turns.values_list(*COLUMNS).iterator(chunk_size=CHUNK_ROWS):
                writer.writerow(row(values))
                written += 1
                if buffer.tell() >= FLUSH_CHARS:
                    sent = written  # handed to the server with this chunk
                    yield _drain(buffer)
            sent = written
            yield _drain(buffer)
        finished = True
    finally:
        # Also when the client goes away mid-download (the generator is closed):
        # the audit then says how many rows had left, and not finished.
        conversation_export_finish(export_id=export_id, row_count=sent, finished=finished)


def _read_transaction() -> contextlib.AbstractContextManager[Any]:
    return transaction.atomic() if connection.vendor == "postgresql" else contextlib.nullcontext()


def _drain(buffer: io.StringIO) -> bytes:
    chunk = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return chunk


# What a row reads: the columns shown and the user's name, nothing else. Plain
# tuples, not model instances: building each turn with its metadata JSON and
# its user cost three times the CSV writing.
COLUMNS = (
    "id", "timestamp", "robeing_id", "channel_id", "channel_type", "thread_ts",
    "user__display_name", "user__email", "slack_user_id", "message", "response", "intent",
    "confidence",
)  # fmt: skip


def _row_writer(zone: dt.tzinfo, channel_types: dict[str, str]) -> Callable[[tuple], list[Any]]:
    def row(values: tuple) -> list[Any]:
        (id_, timestamp, robeing, channel, channel_type, thread, name, email, slack_user,
         message, response, intent, confidence) = values  # fmt: skip
        return [
            id_,
            timestamp.astimezone(zone).strftime(TIME_FORMAT),
            _cell(robeing),
            _cell(channel),
            channel_types.get(channel_type, _cell(channel_type)),
            _cell(thread),
            _cell(name or email or ""),  # User.__str__: the display name, else the email
            _cell(slack_user),
            _cell(message),
            _cell(response),
            _cell(intent),
            "" if confidence is None else confidence,
        ]

    return row


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
