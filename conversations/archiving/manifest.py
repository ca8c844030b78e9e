"""The manifest row of an archive: finding it, its lock, pointing it at a new
generation (step 2) and finishing the steps after that (3 and 4)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations import services as conversation_services
from conversations.archiving import files
from conversations.models import ArchivedEvent, ArchiveState, ArchiveSubject, ConversationArchive
from core.errors import NotFound
from jobs import services as job_services

logger = logging.getLogger(__name__)

ROBEING_LOCK_WAIT_SECONDS = 120

# progress(robeing_id, period, done, total): called after each batch.
Progress = Callable[[str, dt.date, int, int], None]


def archive_locked(robeing_id: str) -> AbstractContextManager[job_services.Lease]:
    """The lock every writer of one robeing's archives holds (the archive job,
    restore, erasure). A writer waits for another to finish, up to
    ROBEING_LOCK_WAIT_SECONDS, rather than fail at once."""
    return job_services.locked(f"archive:{robeing_id}", wait_seconds=ROBEING_LOCK_WAIT_SECONDS)


def archive_get(
    *, archive_id: int | None = None, robeing_id: str = "", period: dt.date | None = None
) -> ConversationArchive:
    try:
        if archive_id is not None:
            return ConversationArchive.objects.get(id=archive_id)
        return ConversationArchive.objects.get(robeing_id=robeing_id, period=period)
    except ConversationArchive.DoesNotExist:
        what = f"id {archive_id}" if archive_id is not None else f"{robeing_id} {period:%Y-%m}"
        raise NotFound(f"No archive {what}.", code="archive_not_found") from None


def archive_is_held(archive: ConversationArchive, now: dt.datetime) -> bool:
    """Whether archiving must leave this month in the hot table for now."""
    if archive.state == ArchiveState.RESTORING:
        return True  # restore_archive has to finish first
    return archive.state == ArchiveState.RESTORED and bool(
        archive.hold_until and archive.hold_until > now
    )


def archive_holds_file(archive: ConversationArchive | None) -> bool:
    return bool(
        archive and archive.path and archive.state in (ArchiveState.DELETING, ArchiveState.COMPLETE)
    )


def next_generation(archive: ConversationArchive | None) -> int:
    return (archive.generation if archive else 0) + 1


def generation_commit(
    robeing_id: str,
    period: dt.date,
    archive: ConversationArchive | None,
    written: files.WrittenFile,
    *,
    state: str,
    also: Callable[[], None] | None = None,
) -> ConversationArchive:
    """Step 2: point the manifest row at the new file, in one transaction with
    its subject index (and `also`, the caller's own bookkeeping). After this
    the previous file is garbage."""
    now = timezone.now()
    values = _generation_values(archive, written, state=state, now=now)
    with transaction.atomic():
        if archive is None:
            archive = ConversationArchive.objects.create(
                robeing_id=robeing_id, period=period, created_at=now, **values
            )
        else:
            for name, value in values.items():
                setattr(archive, name, value)
            archive.save()
        _subjects_replace(archive, written)
        if also:
            also()
    return archive


def _generation_values(
    archive: ConversationArchive | None, written: files.WrittenFile, *, state: str, now: dt.datetime
) -> dict:
    return {
        "state": state,
        "generation": next_generation(archive),
        "path": written.path if written.row_count else "",
        "replaced_path": archive.path if archive else "",
        "row_count": written.row_count,
        "first_id": written.first_id,
        "last_id": written.last_id,
        "first_at": written.first_at,
        "last_at": written.last_at,
        "sha256": written.sha256 if written.row_count else "",
        "size_bytes": written.size_bytes if written.row_count else 0,
        "updated_at": now,
        "restored_at": None,
        "hold_until": None,
    }


def _subjects_replace(archive: ConversationArchive, written: files.WrittenFile) -> None:
    archive.subjects.all().delete()
    ArchiveSubject.objects.bulk_create(
        ArchiveSubject(
            archive=archive,
            user_id=uuid.UUID(user_id) if user_id else None,
            slack_user_id=slack_user_id,
            turns=turns,
        )
        for (user_id, slack_user_id), turns in written.subjects.items()
    )


def archive_settle(
    archive: ConversationArchive,
    *,
    batch_size: int | None = None,
    lease: job_services.Lease | None = None,
    progress: Progress | None = None,
) -> ConversationArchive:
    """Finish the steps after a manifest commit (3 and 4). Idempotent.
    The caller holds the robeing's archive lock."""
    if archive.replaced_path:
        files.archive_storage().delete(archive.replaced_path)  # no error if already gone
        ConversationArchive.objects.filter(id=archive.id).update(replaced_path="")
        archive.replaced_path = ""
    if archive.state == ArchiveState.DELETING:
        deleted = _hot_turns_delete(
            archive,
            batch_size=batch_size or settings.ARCHIVE_BATCH_SIZE,
            lease=lease,
            progress=progress,
        )
        ConversationArchive.objects.filter(id=archive.id).update(
            state=ArchiveState.COMPLETE, updated_at=timezone.now()
        )
        archive.state = ArchiveState.COMPLETE
        logger.info("archive %s: %d turns removed from the hot table", archive, deleted)
    return archive


def _hot_turns_delete(
    archive: ConversationArchive,
    *,
    batch_size: int,
    lease: job_services.Lease | None,
    progress: Progress | None,
) -> int:
    """Step 4: delete from the hot table exactly the turns the file holds."""
    deleted = 0
    for records in files.archive_read_batches(archive.path, batch_size):
        deleted += conversation_services.conversation_turns_archive_delete(
            ids=[r["id"] for r in records], archive_id=archive.id
        )
        if lease:
            lease.renew()
        if progress:
            progress(archive.robeing_id, archive.period, deleted, archive.row_count)
    return deleted


def archived_events_backfill(*, batch_size: int = 5000) -> int:
    """Record the event ids of every archived turn (ArchivedEvent), for
    archives written before archiving recorded them itself. Idempotent: an
    event already recorded is pointed at the archive that holds it now.
    Returns how many events it recorded."""
    recorded = 0
    for archive in ConversationArchive.objects.exclude(path="").order_by("id"):
        with archive_locked(archive.robeing_id):
            archive.refresh_from_db()
            if not archive_holds_file(archive):
                continue
            for records in files.archive_read_batches(archive.path, batch_size):
                markers = [
                    ArchivedEvent(
                        robeing_id=archive.robeing_id,
                        event_id=record["event_id"],
                        turn_id=record["id"],
                        archive=archive,
                    )
                    for record in records
                    if record.get("event_id")
                ]
                ArchivedEvent.objects.bulk_create(
                    markers,
                    update_conflicts=True,
                    unique_fields=["robeing_id", "event_id"],
                    update_fields=["turn_id", "archive"],
                )
                recorded += len(markers)
    return recorded
