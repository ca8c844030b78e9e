"""Counted turns wherever they are now, hot or archived: what rebuilding the
dashboard's rollups from scratch must read, since history keeps its counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from conversations import selectors
from conversations.archiving import files, manifest
from conversations.counted import CountedTurn, archived_record_counted
from conversations.models import ArchiveState, ConversationArchive, ConversationLog


def counted_turns_everywhere(
    *, since: dt.datetime, until: dt.datetime, robeing_ids: set[str] | None = None
) -> Iterator[CountedTurn]:
    """Every turn the stats aggregation has counted with a timestamp in
    [since, until), each once: first those in the archives of the months the
    range touches, then those in the hot table.

    Hold the lock `archive-job` while reading, so that the nightly job does not
    move turns from one place to the other in between. An archive a killed run
    left half moved (DELETING) is finished first; one half restored
    (RESTORING) has turns in both places, so its hot copies are skipped.
    """
    in_both: set[int] = set()
    for archive in _archives_touching(since, until, robeing_ids):
        with manifest.archive_locked(archive.robeing_id) as lease:
            archive.refresh_from_db()
            if archive.state == ArchiveState.DELETING:
                archive = manifest.archive_settle(archive, lease=lease)
            if not archive.path or archive.state == ArchiveState.RESTORED:
                continue
            restoring = archive.state == ArchiveState.RESTORING
            for record in files.archive_read(archive.path):
                if restoring:
                    in_both.add(record["id"])
                moment = files.parse_time(record["timestamp"])
                if archived_record_counted(record) and since <= moment < until:
                    yield CountedTurn.from_record(record)
    for turn in selectors.conversation_turns_counted(
        since=since, until=until, robeing_ids=robeing_ids
    ):
        if turn.id not in in_both:
            yield turn


def _archives_touching(
    since: dt.datetime, until: dt.datetime, robeing_ids: set[str] | None
) -> list[ConversationArchive]:
    # Archive months are Seoul months, named by their first day.
    first = timezone.localtime(since).date().replace(day=1)
    last = timezone.localtime(until - dt.timedelta(microseconds=1)).date().replace(day=1)
    archives = ConversationArchive.objects.filter(period__gte=first, period__lte=last).exclude(
        path=""
    )
    if robeing_ids is not None:
        archives = archives.filter(robeing_id__in=robeing_ids)
    return list(archives.order_by("robeing_id", "period"))


def first_turn_day() -> dt.date | None:
    """The Seoul day of the oldest turn, hot or archived (None without turns)."""
    oldest = ConversationLog.objects.order_by("timestamp").values_list("timestamp", flat=True)[:1]
    archived = (
        ConversationArchive.objects.exclude(path="")
        .order_by("first_at")
        .values_list("first_at", flat=True)[:1]
    )
    moments = [moment for moment in [*oldest, *archived] if moment is not None]
    return timezone.localtime(min(moments)).date() if moments else None
