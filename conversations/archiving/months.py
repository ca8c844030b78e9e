"""Archiving: one robeing's month (`archive_month`), and the run over every
month that is due (`archive_conversations`, the nightly job and its command)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from conversations.archiving import files, manifest, plan
from conversations.counted import counted
from conversations.models import (
    CONVERSATION_LOG_FIELDS,
    ArchiveState,
    ConversationArchive,
    ConversationLog,
)
from jobs import services as job_services

logger = logging.getLogger(__name__)

_TIMESTAMP = CONVERSATION_LOG_FIELDS.index("timestamp")


@dataclass
class ArchiveRunResult:
    archives_written: int = 0
    turns_archived: int = 0
    turns_waiting_for_stats: int = 0
    unfinished_finished: int = 0
    stray_files_removed: int = 0
    periods: list[tuple[str, dt.date, int]] = field(default_factory=list)

    def add(self, planned: plan.PlannedArchive, moved: int) -> None:
        if moved:
            self.archives_written += 1
            self.turns_archived += moved
            self.periods.append((planned.robeing_id, planned.period, moved))


def archive_conversations(
    *,
    older_than_days: int | None = None,
    robeing_id: str | None = None,
    batch_size: int | None = None,
    progress: manifest.Progress | None = None,
) -> ArchiveRunResult:
    """Move every turn older than the retention window into its monthly
    archive. Safe to run again and safe to kill: it first finishes whatever a
    killed run left half done. Refuses to overlap another run (JobAlreadyRunning)."""
    batch_size = batch_size or settings.ARCHIVE_BATCH_SIZE
    progress = progress or _log_progress()
    result = ArchiveRunResult()
    with job_services.locked("archive-job") as job_lease:
        result.unfinished_finished = archives_finish_unfinished(batch_size=batch_size)
        cutoff = plan.archive_cutoff(older_than_days=older_than_days)
        for planned in plan.archive_plan(cutoff=cutoff, robeing_id=robeing_id):
            result.turns_waiting_for_stats += planned.uncounted
            if not planned.turns:
                continue
            moved = archive_month(
                planned=planned, cutoff=cutoff, batch_size=batch_size, progress=progress
            )
            job_lease.renew()
            result.add(planned, moved)
        result.stray_files_removed = archive_files_sweep()
    logger.info(
        "archive run: %d turns into %d archives; %d turns wait for the stats aggregation",
        result.turns_archived,
        result.archives_written,
        result.turns_waiting_for_stats,
    )
    return result


def _log_progress(every: int = 50_000) -> manifest.Progress:
    """Progress as log lines (the Celery worker's log): one per `every` turns."""
    logged: dict[tuple[str, dt.date], int] = {}

    def log(robeing_id: str, period: dt.date, done: int, total: int) -> None:
        key = (robeing_id, period)
        if done - logged.get(key, 0) >= every or (done >= total and key in logged):
            logged[key] = done
            logger.info("archive %s %s: %d/%d turns", robeing_id, f"{period:%Y-%m}", done, total)

    return log


def archive_month(
    *,
    planned: plan.PlannedArchive,
    cutoff: dt.datetime,
    batch_size: int | None = None,
    progress: manifest.Progress | None = None,
) -> int:
    """Move one robeing's month (as planned, up to `cutoff`) into its archive:
    steps 1 to 4, merging the turns already archived. Returns how many turns
    moved: 0 if they left since the plan, or if the month is held in the hot
    table. The caller holds `archive-job`."""
    batch_size = batch_size or settings.ARCHIVE_BATCH_SIZE
    with manifest.archive_locked(planned.robeing_id) as lease:
        archive = ConversationArchive.objects.filter(
            robeing_id=planned.robeing_id, period=planned.period
        ).first()
        if archive is not None:
            archive = manifest.archive_settle(archive, batch_size=batch_size, lease=lease)
            if manifest.archive_is_held(archive, timezone.now()):
                return 0
        written, existing = _month_write(
            planned, archive, cutoff=cutoff, batch_size=batch_size, lease=lease, progress=progress
        )
        moved = written.row_count - existing
        if moved <= 0:  # the turns left (erased, archived) between the plan and now
            files.archive_storage().delete(written.path)
            return 0
        archive = manifest.generation_commit(
            planned.robeing_id, planned.period, archive, written, state=ArchiveState.DELETING
        )
        manifest.archive_settle(archive, batch_size=batch_size, lease=lease)
    logger.info("archive %s: %d turns archived (%d in the file)", archive, moved, archive.row_count)
    return moved


def _month_write(
    planned: plan.PlannedArchive,
    archive: ConversationArchive | None,
    *,
    cutoff: dt.datetime,
    batch_size: int,
    lease: job_services.Lease,
    progress: manifest.Progress | None,
) -> tuple[files.WrittenFile, int]:
    """Step 1 for a month: the next generation holds the turns already
    archived, then the hot turns up to `cutoff`. Returns it and how many
    turns it took from the current file."""
    # Read after settling: an erasure may have rewritten the file since the plan.
    existing = archive.row_count if manifest.archive_holds_file(archive) else 0
    kept = files.archive_read(archive.path) if existing else iter(())
    start, end = plan.period_bounds(planned.period)

    def report(done: int) -> None:
        lease.renew()
        if progress:  # of what this run moves: merged turns are not counted again
            progress(planned.robeing_id, planned.period, done, planned.turns)

    new_turns = _hot_turns(
        planned.robeing_id, start, min(end, cutoff), batch_size=batch_size, on_batch=report
    )
    written = files.archive_file_write(
        planned.robeing_id,
        planned.period,
        manifest.next_generation(archive),
        itertools.chain(kept, new_turns),
    )
    return written, existing


def _hot_turns(
    robeing_id: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    batch_size: int,
    on_batch: Callable[[int], None],
) -> Iterator[dict]:
    """A robeing's counted turns in [start, end), in (timestamp, id) order,
    read in keyset batches along conv_robeing_time_idx: each batch is one
    index range scan, whatever the month's size. A turn committed behind the
    reading position is simply left for the next run."""
    turns = ConversationLog.objects.filter(
        counted(), robeing_id=robeing_id, timestamp__gte=start, timestamp__lt=end
    ).order_by("timestamp", "id")
    after: tuple[dt.datetime, int] | None = None
    done = 0
    while True:
        rows = list(_after(turns, after).values_list(*CONVERSATION_LOG_FIELDS)[:batch_size])
        for row in rows:
            yield dict(zip(CONVERSATION_LOG_FIELDS, row, strict=True))
        if len(rows) < batch_size:
            on_batch(done + len(rows))
            return
        done += len(rows)
        after = (rows[-1][_TIMESTAMP], rows[-1][0])
        on_batch(done)


def _after(turns: QuerySet, after: tuple[dt.datetime, int] | None) -> QuerySet:
    """The turns past the keyset position (timestamp, id)."""
    if after is None:
        return turns
    return turns.filter(
        Q(timestamp__gt=after[0]) | Q(timestamp=after[0], id__gt=after[1]),
        timestamp__gte=after[0],  # lets the index range start here
    )


def archives_finish_unfinished(*, batch_size: int | None = None) -> int:
    """Finish what killed runs left: turns still to delete from the hot table
    (DELETING) and previous generations' files still to delete. Returns how
    many archives it touched. Unfinished restores are left to restore_archive,
    and reported."""
    batch_size = batch_size or settings.ARCHIVE_BATCH_SIZE
    touched = 0
    pending = ConversationArchive.objects.filter(
        Q(state=ArchiveState.DELETING) | ~Q(replaced_path="")
    ).values_list("id", "robeing_id")
    for archive_id, robeing_id in pending:
        with manifest.archive_locked(robeing_id) as lease:
            archive = ConversationArchive.objects.get(id=archive_id)
            logger.info("archive %s: finishing what an interrupted run left", archive)
            manifest.archive_settle(archive, batch_size=batch_size, lease=lease)
            touched += 1
    for archive in ConversationArchive.objects.filter(state=ArchiveState.RESTORING):
        logger.warning(
            "archive %s (id %d) is half restored: run `manage.py restore_archive %d` again",
            archive,
            archive.id,
            archive.id,
        )
    return touched


def archive_files_sweep() -> int:
    """Delete archive files no manifest row points at: a generation written by
    a run killed before its commit, whose month then had nothing left to
    archive (so no later run overwrote it). Call it only while holding
    `archive-job` (archive runs, the privacy job and restore take it): beside a
    running archive job it could delete a new file before its commit."""
    referenced = set()
    for path, replaced in ConversationArchive.objects.values_list("path", "replaced_path"):
        referenced |= {path, replaced}
    removed = 0
    for path in files.archive_files():
        if path not in referenced:
            files.archive_storage().delete(path)
            removed += 1
            logger.warning("archive file %s belonged to no archive; removed", path)
    return removed
