"""Restore: an archive's turns back into the hot table with their ids, then its
file removed (`restore_archive`, the service of the command of that name)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations import services
from conversations.archiving import files, manifest
from conversations.counted import archived_record_counted
from conversations.models import (
    ArchivedEvent,
    ArchiveState,
    ConversationArchive,
    ConversationLog,
)
from core.errors import Conflict
from jobs import services as job_services

logger = logging.getLogger(__name__)


@dataclass
class RestoreResult:
    archive: ConversationArchive
    restored: int = 0
    already_present: int = 0


def restore_archive(
    *,
    archive_id: int,
    hold_days: int | None = None,
    batch_size: int | None = None,
    progress: manifest.Progress | None = None,
) -> RestoreResult:
    """Bring an archive's turns back into the hot table with their ids, then
    remove the file. Idempotent and resumable: turns already back are skipped,
    and the file goes only once every one of its turns is in the table. The
    month then stays in the hot table for `hold_days` before archiving may
    take it again."""
    batch_size = batch_size or settings.ARCHIVE_BATCH_SIZE
    hold_days = settings.ARCHIVE_RESTORE_HOLD_DAYS if hold_days is None else hold_days
    archive = manifest.archive_get(archive_id=archive_id)
    # Also "archive-job": an erasure must not run between the turns coming back
    # and the file going (it could miss both), nor an archive run take them again.
    with (
        job_services.locked("archive-job", wait_seconds=manifest.ROBEING_LOCK_WAIT_SECONDS),
        manifest.archive_locked(archive.robeing_id) as lease,
    ):
        archive = manifest.archive_settle(manifest.archive_get(archive_id=archive_id), lease=lease)
        result = RestoreResult(archive=archive)
        if archive.state == ArchiveState.RESTORED or not archive.path:
            return result  # nothing (left) to bring back
        _turns_bring_back(result, batch_size=batch_size, lease=lease, progress=progress)
        _file_release(archive, hold_days=hold_days)
        archive.refresh_from_db()
        result.archive = manifest.archive_settle(archive, lease=lease)
    logger.info(
        "archive %s restored: %d turns back, %d were already there",
        archive,
        result.restored,
        result.already_present,
    )
    return result


def _turns_bring_back(
    result: RestoreResult,
    *,
    batch_size: int,
    lease: job_services.Lease,
    progress: manifest.Progress | None,
) -> None:
    """Copy the file's turns into the hot table (state RESTORING meanwhile),
    counting in `result` those inserted and those already there."""
    archive = result.archive
    ConversationArchive.objects.filter(id=archive.id).update(
        state=ArchiveState.RESTORING, updated_at=timezone.now()
    )
    for records in files.archive_read_batches(archive.path, batch_size):
        inserted = _insert_missing(records)
        result.restored += inserted
        result.already_present += len(records) - inserted
        lease.renew()
        if progress:
            done = result.restored + result.already_present
            progress(archive.robeing_id, archive.period, done, archive.row_count)


def _file_release(archive: ConversationArchive, *, hold_days: int) -> None:
    """Every turn is back: the row lets go of the file (to be deleted as a
    replaced file) and holds the month in the hot table for `hold_days`."""
    now = timezone.now()
    with transaction.atomic():
        ConversationArchive.objects.filter(id=archive.id).update(
            state=ArchiveState.RESTORED,
            replaced_path=archive.path,
            path="",
            sha256="",
            size_bytes=0,
            restored_at=now,
            hold_until=now + timedelta(days=hold_days),
            updated_at=now,
        )
        archive.subjects.all().delete()


def _insert_missing(records: list[dict]) -> int:
    """INSERT the turns whose ids are not in the table; check that every one is
    there afterwards. A turn that cannot go back (its event id now belongs to
    another turn) stops the restore before the file is removed."""
    ids = [r["id"] for r in records]
    present = set(ConversationLog.objects.filter(id__in=ids).values_list("id", flat=True))
    missing = [r for r in records if r["id"] not in present]
    if missing:
        # The insert puts them on the aggregation's backlog; they were counted
        # before they left, and counting them again would award their XP twice.
        # One transaction, so no run can claim them in between.
        with transaction.atomic():
            ConversationLog.objects.bulk_create(
                [files.turn_from_record(r) for r in missing], ignore_conflicts=True
            )
            services.conversation_turns_mark_counted(
                ids=[r["id"] for r in missing if archived_record_counted(r)]
            )
    # Hot again: a re-sent event now meets the hot table's own unique index.
    ArchivedEvent.objects.filter(turn_id__in=ids).delete()
    back = ConversationLog.objects.filter(id__in=ids).count()
    if back != len(ids):
        raise Conflict(
            f"{len(ids) - back} archived turns could not go back into the hot table "
            "(another turn has the same event id); the archive is kept.",
            code="restore_conflict",
        )
    return back - len(present)
