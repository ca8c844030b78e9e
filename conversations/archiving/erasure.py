"""A person in the archives: rewriting the archives that hold their turns
without them (erasure), and reading those turns out (an access request)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator

from django.db.models import QuerySet

from accounts import selectors as account_selectors
from conversations.archiving import files, manifest
from conversations.counted import CountedTurn, archived_record_counted
from conversations.models import ArchivedEvent, ArchiveState, ConversationArchive
from jobs import services as job_services

logger = logging.getLogger(__name__)


def archives_erase_subject(
    *,
    user_ids: set[uuid.UUID],
    slack_user_ids: set[str],
    on_archive: Callable[[int, list[CountedTurn]], None] | None = None,
) -> tuple[int, int]:
    """Rewrite every archive that holds a turn of this person without those
    turns (a new generation, verified, then the manifest switched and the old
    file deleted). Other archives are not touched. Idempotent: once rewritten,
    an archive no longer lists the person. `on_archive(turns_removed,
    counted_turns)` (how many went, and those of them the stats aggregation
    had counted) is called inside each archive's commit transaction, so a
    count kept there is exact even if the run is killed. Returns (archives, turns removed)."""
    wanted_users = {str(u) for u in user_ids}
    wanted_slack = {s for s in slack_user_ids if s}
    archives = turns = 0
    for archive_id, robeing_id in _archives_of_subject(user_ids, wanted_slack).values_list(
        "id", "robeing_id"
    ):
        with manifest.archive_locked(robeing_id) as lease:
            removed = _archive_rewrite_without(
                archive_id, wanted_users, wanted_slack, lease=lease, on_archive=on_archive
            )
        if removed is not None:
            archives += 1
            turns += removed
    return archives, turns


def _archive_rewrite_without(
    archive_id: int,
    user_ids: set[str],
    slack_user_ids: set[str],
    *,
    lease: job_services.Lease,
    on_archive: Callable[[int, list[CountedTurn]], None] | None,
) -> int | None:
    """Rewrite one archive without the person's turns; how many went, or None
    if the archive holds no file (any more). The caller holds its lock."""
    archive = manifest.archive_settle(manifest.archive_get(archive_id=archive_id), lease=lease)
    # A half-restored archive (RESTORING) counts too: restore_archive
    # would otherwise bring the person's turns back from it later.
    if not archive.path or archive.state == ArchiveState.RESTORED:
        return None
    gone: list[CountedTurn] = []
    erased_ids: list[int] = []

    def kept() -> Iterator[dict]:
        for record in files.archive_read(archive.path):
            if not _is_subject(record, user_ids, slack_user_ids):
                yield record
                continue
            erased_ids.append(record["id"])
            if archived_record_counted(record):
                gone.append(CountedTurn.from_record(record))

    written = files.archive_file_write(
        archive.robeing_id, archive.period, manifest.next_generation(archive), kept()
    )
    removed = archive.row_count - written.row_count
    archive = manifest.generation_commit(
        archive.robeing_id,
        archive.period,
        archive,
        written,
        state=archive.state,  # COMPLETE stays COMPLETE, RESTORING stays RESTORING
        also=(lambda: on_archive(removed, gone)) if on_archive else None,
    )
    # Their event ids go too: nothing of the turn is kept, and re-sent it is new.
    ArchivedEvent.objects.filter(turn_id__in=erased_ids).delete()
    manifest.archive_settle(archive, lease=lease)
    logger.info("archive %s rewritten without one person's %d turns", archive, removed)
    return removed


def archived_turns_of_subject(
    *, user_ids: set[uuid.UUID], slack_user_ids: set[str]
) -> Iterator[dict]:
    """Every archived turn of one person (for an access request), streamed."""
    wanted_users = {str(u) for u in user_ids}
    wanted_slack = {s for s in slack_user_ids if s}
    for archive in _archives_of_subject(user_ids, wanted_slack):
        with manifest.archive_locked(archive.robeing_id):
            archive.refresh_from_db()
            if not manifest.archive_holds_file(archive):
                continue
            for record in files.archive_read(archive.path):
                if _is_subject(record, wanted_users, wanted_slack):
                    yield record


def _archives_of_subject(
    user_ids: set[uuid.UUID], slack_user_ids: set[str]
) -> QuerySet[ConversationArchive]:
    match = account_selectors.person_filter(
        user_ids=user_ids,
        slack_user_ids=slack_user_ids,
        user_field="subjects__user_id",
        slack_user_field="subjects__slack_user_id",
    )
    return (
        ConversationArchive.objects.filter(match)
        .exclude(path="")
        .distinct()
        .order_by("robeing_id", "period")
    )


def _is_subject(record: dict, user_ids: set[str], slack_user_ids: set[str]) -> bool:
    return (record.get("user_id") or None) in user_ids or (
        record.get("slack_user_id") or None
    ) in slack_user_ids
