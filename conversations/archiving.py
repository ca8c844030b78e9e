"""Services: moving old turns out of conversation_log into monthly archives,
bringing them back, and rewriting archives without a person's turns.

The rule everything here keeps: every turn is in exactly one place, the hot
table or the file its archive's manifest row points at, except for a moment
that the manifest row records (state DELETING or RESTORING, or a
`replaced_path` still to delete), which the next run finishes. So a run killed
at any point loses nothing and, once the next run is through, duplicates
nothing:

1. write the next generation of the file under a new name (a temporary file,
   then the storage), read it back from the storage, and compare the count of
   lines and the SHA-256 of the bytes; a file a dead run left under that name
   is simply overwritten, since no manifest row points at it;
2. commit the manifest row: it now points at the new file (state DELETING);
3. delete the previous generation's file;
4. delete from the hot table, in batches of ARCHIVE_BATCH_SIZE ids read back
   from the new file, exactly the turns the file holds; then state COMPLETE.

Memory stays flat however large a month is: turns are read in keyset batches,
files are streamed through gzip and a temporary file, never held whole.

Writers of one robeing's archives (the archive job, restore, erasure) take
the lock `archive:<robeing_id>`; the job as a whole takes `archive-job`.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import itertools
import logging
import tempfile
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, Any

import orjson
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import (
    CONVERSATION_LOG_FIELDS,
    ArchiveState,
    ArchiveSubject,
    ConversationArchive,
    ConversationLog,
)
from core.errors import ApplicationError, Conflict, NotFound
from core.storage import file_save
from jobs import services as job_services

logger = logging.getLogger(__name__)

ARCHIVE_FORMAT_VERSION = 1
ROBEING_LOCK_WAIT_SECONDS = 120

# progress(robeing_id, period, done, total): called after each batch.
Progress = Callable[[str, dt.date, int, int], None]


class ArchiveVerificationFailed(ApplicationError):
    status_code = 500
    code = "archive_verification_failed"


def archive_storage() -> Storage:
    return storages["archives"]


def archive_lock_name(robeing_id: str) -> str:
    return f"archive:{robeing_id}"


# --- Planning ---------------------------------------------------------------


@dataclass(frozen=True)
class PlannedArchive:
    robeing_id: str
    period: dt.date
    turns: int  # turns that will move
    uncounted: int  # turns that wait for the stats aggregation first
    existing_turns: int  # turns already in this month's archive (merged in)


def archive_cutoff(*, older_than_days: int | None = None) -> dt.datetime:
    days = settings.ARCHIVE_AFTER_DAYS if older_than_days is None else older_than_days
    return timezone.now() - timedelta(days=days)


def archive_plan(*, cutoff: dt.datetime, robeing_id: str | None = None) -> list[PlannedArchive]:
    """What an archive run would move: turns older than `cutoff`, by robeing
    and month (Seoul time). Turns the stats aggregation has not counted yet
    wait for the next run, so archiving never takes XP away. Months held in
    the hot table after a restore are left out."""
    turns = ConversationLog.objects.filter(timestamp__lt=cutoff)
    if robeing_id:
        turns = turns.filter(robeing_id=robeing_id)
    groups = list(
        turns.annotate(month=TruncMonth("timestamp", tzinfo=timezone.get_current_timezone()))
        .values("robeing_id", "month")
        .annotate(
            turns=Count("id", filter=Q(stats_counted_at__isnull=False)),
            uncounted=Count("id", filter=Q(stats_counted_at__isnull=True)),
        )
        .order_by("robeing_id", "month")
    )
    manifests = {
        (a.robeing_id, a.period): a
        for a in ConversationArchive.objects.filter(
            robeing_id__in={g["robeing_id"] for g in groups}
        )
    }
    now = timezone.now()
    plan = []
    for group in groups:
        period = _as_period(group["month"])
        manifest = manifests.get((group["robeing_id"], period))
        if manifest and _held(manifest, now):
            continue
        plan.append(
            PlannedArchive(
                robeing_id=group["robeing_id"],
                period=period,
                turns=group["turns"],
                uncounted=group["uncounted"],
                existing_turns=manifest.row_count if _holds_file(manifest) else 0,
            )
        )
    return plan


def _held(manifest: ConversationArchive, now: dt.datetime) -> bool:
    if manifest.state == ArchiveState.RESTORING:
        return True  # restore_archive has to finish first
    return manifest.state == ArchiveState.RESTORED and bool(
        manifest.hold_until and manifest.hold_until > now
    )


def _holds_file(manifest: ConversationArchive | None) -> bool:
    return bool(
        manifest
        and manifest.path
        and manifest.state in (ArchiveState.DELETING, ArchiveState.COMPLETE)
    )


def _as_period(month: dt.date | dt.datetime) -> dt.date:
    if isinstance(month, dt.datetime):
        month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
    return month.replace(day=1)


def _period_bounds(period: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(period.year, period.month, 1, tzinfo=tz)
    following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, dt.datetime(following.year, following.month, 1, tzinfo=tz)


# --- The archive run ----------------------------------------------------------


@dataclass
class ArchiveRunResult:
    archives_written: int = 0
    turns_archived: int = 0
    turns_waiting_for_stats: int = 0
    unfinished_finished: int = 0
    stray_files_removed: int = 0
    periods: list[tuple[str, dt.date, int]] = field(default_factory=list)


def conversations_archive(
    *,
    older_than_days: int | None = None,
    robeing_id: str | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> ArchiveRunResult:
    """Move every turn older than the retention window into its monthly
    archive. Safe to run again and safe to kill: it first finishes whatever a
    killed run left half done. Refuses to overlap another run (JobAlreadyRunning)."""
    batch_size = batch_size or settings.ARCHIVE_BATCH_SIZE
    progress = progress or _log_progress()
    result = ArchiveRunResult()
    with job_services.locked("archive-job") as job_lease:
        result.unfinished_finished = archives_finish_unfinished(batch_size=batch_size)
        cutoff = archive_cutoff(older_than_days=older_than_days)
        for planned in archive_plan(cutoff=cutoff, robeing_id=robeing_id):
            result.turns_waiting_for_stats += planned.uncounted
            if not planned.turns:
                continue
            with job_services.locked(
                archive_lock_name(planned.robeing_id), wait_seconds=ROBEING_LOCK_WAIT_SECONDS
            ) as lease:
                moved = _archive_period(
                    planned, cutoff=cutoff, batch_size=batch_size, lease=lease, progress=progress
                )
            job_lease.renew()
            if moved:
                result.archives_written += 1
                result.turns_archived += moved
                result.periods.append((planned.robeing_id, planned.period, moved))
        result.stray_files_removed = archive_files_sweep()
    logger.info(
        "archive run: %d turns into %d archives; %d turns wait for the stats aggregation",
        result.turns_archived,
        result.archives_written,
        result.turns_waiting_for_stats,
    )
    return result


def _log_progress(every: int = 50_000) -> Progress:
    """Progress as log lines (the Celery worker's log): one per `every` turns."""
    logged: dict[tuple[str, dt.date], int] = {}

    def log(robeing_id: str, period: dt.date, done: int, total: int) -> None:
        key = (robeing_id, period)
        if done - logged.get(key, 0) >= every or (done >= total and key in logged):
            logged[key] = done
            logger.info("archive %s %s: %d/%d turns", robeing_id, f"{period:%Y-%m}", done, total)

    return log


def archive_files_sweep() -> int:
    """Delete archive files no manifest row points at: a generation written by
    a run killed before its commit, whose month then had nothing left to
    archive (so no later run overwrote it). Call it only while holding
    `archive-job` (archive runs, the privacy job and restore take it): beside a
    running archive job it could delete a new file before its commit."""
    storage = archive_storage()
    referenced = set()
    for path, replaced in ConversationArchive.objects.values_list("path", "replaced_path"):
        referenced |= {path, replaced}
    removed = 0
    try:
        robeings = storage.listdir("conversations")[0]
    except FileNotFoundError:
        return 0
    for robeing_id in robeings:
        for month in storage.listdir(f"conversations/{robeing_id}")[0]:
            folder = f"conversations/{robeing_id}/{month}"
            for name in storage.listdir(folder)[1]:
                path = f"{folder}/{name}"
                if name.endswith(".jsonl.gz") and path not in referenced:
                    storage.delete(path)
                    removed += 1
                    logger.warning("archive file %s belonged to no archive; removed", path)
    return removed


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
        with job_services.locked(
            archive_lock_name(robeing_id), wait_seconds=ROBEING_LOCK_WAIT_SECONDS
        ) as lease:
            archive = ConversationArchive.objects.get(id=archive_id)
            logger.info("archive %s: finishing what an interrupted run left", archive)
            archive_settle(archive, batch_size=batch_size, lease=lease)
            touched += 1
    for archive in ConversationArchive.objects.filter(state=ArchiveState.RESTORING):
        logger.warning(
            "archive %s (id %d) is half restored: run `manage.py restore_archive %d` again",
            archive,
            archive.id,
            archive.id,
        )
    return touched


def archive_settle(
    archive: ConversationArchive,
    *,
    batch_size: int | None = None,
    lease: job_services.Lease | None = None,
    progress: Progress | None = None,
) -> ConversationArchive:
    """Finish the steps after a manifest commit (3 and 4 above). Idempotent.
    The caller holds the robeing's archive lock."""
    batch_size = batch_size or settings.ARCHIVE_BATCH_SIZE
    if archive.replaced_path:
        archive_storage().delete(archive.replaced_path)  # no error if already gone
        ConversationArchive.objects.filter(id=archive.id).update(replaced_path="")
        archive.replaced_path = ""
    if archive.state == ArchiveState.DELETING:
        deleted = 0
        for ids in _batched((r["id"] for r in archive_read(archive.path)), batch_size):
            deleted += conversation_services.conversation_turns_delete(ids=ids)
            if lease:
                lease.renew()
            if progress:
                progress(archive.robeing_id, archive.period, deleted, archive.row_count)
        ConversationArchive.objects.filter(id=archive.id).update(
            state=ArchiveState.COMPLETE, updated_at=timezone.now()
        )
        archive.state = ArchiveState.COMPLETE
        logger.info("archive %s: %d turns removed from the hot table", archive, deleted)
    return archive


def _archive_period(
    planned: PlannedArchive,
    *,
    cutoff: dt.datetime,
    batch_size: int,
    lease: job_services.Lease,
    progress: Progress | None,
) -> int:
    archive = ConversationArchive.objects.filter(
        robeing_id=planned.robeing_id, period=planned.period
    ).first()
    if archive is not None:
        archive = archive_settle(archive, batch_size=batch_size, lease=lease)
        if _held(archive, timezone.now()):
            return 0
    start, end = _period_bounds(planned.period)
    # Read after settling: an erasure may have rewritten the file since the plan.
    existing = archive.row_count if _holds_file(archive) else 0
    kept = archive_read(archive.path) if existing else iter(())
    total = planned.turns  # what this run moves; merged turns are not counted again

    def report(done: int) -> None:
        lease.renew()
        if progress:
            progress(planned.robeing_id, planned.period, done, total)

    new_turns = _hot_turns(
        planned.robeing_id, start, min(end, cutoff), batch_size=batch_size, on_batch=report
    )
    written = _write_generation(
        planned.robeing_id,
        planned.period,
        _next_generation(archive),
        itertools.chain(kept, new_turns),
    )
    moved = written.row_count - existing
    if moved <= 0:  # the turns left (erased, archived) between the plan and now
        archive_storage().delete(written.path)
        return 0
    archive = _commit_generation(
        planned.robeing_id, planned.period, archive, written, state=ArchiveState.DELETING
    )
    archive_settle(archive, batch_size=batch_size, lease=lease)
    logger.info("archive %s: %d turns archived (%d in the file)", archive, moved, archive.row_count)
    return moved


def _next_generation(archive: ConversationArchive | None) -> int:
    return (archive.generation if archive else 0) + 1


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
        robeing_id=robeing_id,
        timestamp__gte=start,
        timestamp__lt=end,
        stats_counted_at__isnull=False,
    ).order_by("timestamp", "id")
    after: tuple[dt.datetime, int] | None = None
    done = 0
    while True:
        page = turns
        if after is not None:
            page = page.filter(
                Q(timestamp__gt=after[0]) | Q(timestamp=after[0], id__gt=after[1]),
                timestamp__gte=after[0],  # lets the index range start here
            )
        rows = list(page.values_list(*CONVERSATION_LOG_FIELDS)[:batch_size])
        for row in rows:
            yield dict(zip(CONVERSATION_LOG_FIELDS, row, strict=True))
        if len(rows) < batch_size:
            on_batch(done + len(rows))
            return
        done += len(rows)
        last = rows[-1]
        after = (last[CONVERSATION_LOG_FIELDS.index("timestamp")], last[0])
        on_batch(done)


# --- Files ----------------------------------------------------------------------


@dataclass
class WrittenFile:
    path: str
    row_count: int = 0
    size_bytes: int = 0
    sha256: str = ""
    first_id: int | None = None
    last_id: int | None = None
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    subjects: Counter = field(default_factory=Counter)

    def add(self, record: dict) -> None:
        self.row_count += 1
        turn_id, at = record["id"], _parse_time(record["timestamp"])
        self.first_id = turn_id if self.first_id is None else min(self.first_id, turn_id)
        self.last_id = turn_id if self.last_id is None else max(self.last_id, turn_id)
        self.first_at = at if self.first_at is None else min(self.first_at, at)
        self.last_at = at if self.last_at is None else max(self.last_at, at)
        user_id = record.get("user_id")
        self.subjects[(str(user_id) if user_id else None, record.get("slack_user_id") or "")] += 1


def archive_path(robeing_id: str, period: dt.date, generation: int) -> str:
    return (
        f"conversations/{robeing_id}/{period:%Y-%m}/"
        f"{robeing_id}-{period:%Y-%m}.g{generation}.jsonl.gz"
    )


def _write_generation(
    robeing_id: str, period: dt.date, generation: int, records: Iterable[dict]
) -> WrittenFile:
    """Write records to the storage under this generation's name, then read
    the stored file back and check it (step 1)."""
    written = WrittenFile(path=archive_path(robeing_id, period, generation))
    with tempfile.TemporaryFile(prefix="robeing-archive-") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
            for record in records:
                gz.write(orjson.dumps(record) + b"\n")
                written.add(record)
        if written.row_count:
            _store(written, raw)
    if written.row_count:
        _verify(written)
    return written


def _store(written: WrittenFile, content: IO[bytes]) -> None:
    # A file under this name is what a killed run left: no manifest row points
    # at it (the row points at the previous generation), so it is replaced.
    saved = file_save(storage=archive_storage(), name=written.path, content=content)
    if saved.name != written.path:  # a storage that renamed it would break the manifest
        archive_storage().delete(saved.name)
        raise ArchiveVerificationFailed(f"The storage saved {written.path} as {saved.name}.")
    written.size_bytes, written.sha256 = saved.size, saved.sha256


def _verify(written: WrittenFile) -> None:
    """Read the stored file back: same bytes (SHA-256) and every line parses."""
    storage = archive_storage()
    problems = []
    digest = hashlib.sha256()
    lines = size = 0
    with storage.open(written.path, "rb") as stored:
        reader = _HashingReader(stored, digest)
        try:
            with gzip.GzipFile(fileobj=reader, mode="rb") as gz:
                # The SHA-256 proves the bytes are the ones written (and parsed
                # from rows); counting the lines proves the gzip stream is whole.
                lines = sum(1 for _ in gz)
        except (EOFError, OSError, zlib.error) as exc:
            problems.append(f"unreadable ({type(exc).__name__})")
        size = reader.size
    if digest.hexdigest() != written.sha256:
        problems.append("checksum")
    if lines != written.row_count:
        problems.append(f"{lines} lines for {written.row_count} turns")
    if size != written.size_bytes:
        problems.append(f"{size} bytes for {written.size_bytes}")
    if problems:
        storage.delete(written.path)
        raise ArchiveVerificationFailed(
            f"Archive {written.path} did not read back as written: {', '.join(problems)}."
        )


class _HashingReader:
    def __init__(self, stream: IO[bytes], digest: Any) -> None:
        self.stream, self.digest, self.size = stream, digest, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


def archive_read(path: str) -> Iterator[dict]:
    """The turns in an archive file, one dict per line, streamed."""
    with archive_storage().open(path, "rb") as stored, gzip.GzipFile(fileobj=stored) as gz:
        for line in gz:
            yield orjson.loads(line)


def _commit_generation(
    robeing_id: str,
    period: dt.date,
    archive: ConversationArchive | None,
    written: WrittenFile,
    *,
    state: str,
    also: Callable[[], None] | None = None,
) -> ConversationArchive:
    """Step 2: point the manifest row at the new file, in one transaction with
    its subject index (and `also`, the caller's own bookkeeping). After this
    the previous file is garbage."""
    now = timezone.now()
    values = {
        "state": state,
        "generation": _next_generation(archive),
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
    with transaction.atomic():
        if archive is None:
            archive = ConversationArchive.objects.create(
                robeing_id=robeing_id, period=period, created_at=now, **values
            )
        else:
            for name, value in values.items():
                setattr(archive, name, value)
            archive.save()
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
        if also:
            also()
    return archive


# --- Restore ----------------------------------------------------------------------


@dataclass
class RestoreResult:
    archive: ConversationArchive
    restored: int = 0
    already_present: int = 0


def archive_get(
    *, archive_id: int | None = None, robeing_id: str = "", period: dt.date | None = None
):
    try:
        if archive_id is not None:
            return ConversationArchive.objects.get(id=archive_id)
        return ConversationArchive.objects.get(robeing_id=robeing_id, period=period)
    except ConversationArchive.DoesNotExist:
        what = f"id {archive_id}" if archive_id is not None else f"{robeing_id} {period:%Y-%m}"
        raise NotFound(f"No archive {what}.", code="archive_not_found") from None


def archive_restore(
    *,
    archive_id: int,
    hold_days: int | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> RestoreResult:
    """Bring an archive's turns back into the hot table with their ids, then
    remove the file. Idempotent and resumable: turns already back are skipped,
    and the file goes only once every one of its turns is in the table. The
    month then stays in the hot table for `hold_days` before archiving may
    take it again."""
    batch_size = batch_size or settings.ARCHIVE_BATCH_SIZE
    hold_days = settings.ARCHIVE_RESTORE_HOLD_DAYS if hold_days is None else hold_days
    archive = archive_get(archive_id=archive_id)
    # Also "archive-job": an erasure must not run between the turns coming back
    # and the file going (it could miss both), nor an archive run take them again.
    with (
        job_services.locked("archive-job", wait_seconds=ROBEING_LOCK_WAIT_SECONDS),
        job_services.locked(
            archive_lock_name(archive.robeing_id), wait_seconds=ROBEING_LOCK_WAIT_SECONDS
        ) as lease,
    ):
        archive = archive_settle(archive_get(archive_id=archive_id), lease=lease)
        result = RestoreResult(archive=archive)
        if archive.state == ArchiveState.RESTORED or not archive.path:
            return result  # nothing (left) to bring back
        ConversationArchive.objects.filter(id=archive.id).update(
            state=ArchiveState.RESTORING, updated_at=timezone.now()
        )
        for records in _batched(archive_read(archive.path), batch_size):
            inserted = _insert_missing(records)
            result.restored += inserted
            result.already_present += len(records) - inserted
            lease.renew()
            if progress:
                progress(
                    archive.robeing_id,
                    archive.period,
                    result.restored + result.already_present,
                    archive.row_count,
                )
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
        archive.refresh_from_db()
        result.archive = archive_settle(archive, lease=lease)
    logger.info(
        "archive %s restored: %d turns back, %d were already there",
        archive,
        result.restored,
        result.already_present,
    )
    return result


def _insert_missing(records: list[dict]) -> int:
    """INSERT the turns whose ids are not in the table; check that every one is
    there afterwards. A turn that cannot go back (its event id now belongs to
    another turn) stops the restore before the file is removed."""
    ids = [r["id"] for r in records]
    present = set(ConversationLog.objects.filter(id__in=ids).values_list("id", flat=True))
    missing = [_turn_from_record(r) for r in records if r["id"] not in present]
    if missing:
        ConversationLog.objects.bulk_create(missing, ignore_conflicts=True)
    back = ConversationLog.objects.filter(id__in=ids).count()
    if back != len(ids):
        raise Conflict(
            f"{len(ids) - back} archived turns could not go back into the hot table "
            "(another turn has the same event id); the archive is kept.",
            code="restore_conflict",
        )
    return back - len(present)


def _turn_from_record(record: dict) -> ConversationLog:
    values = {name: record.get(name) for name in CONVERSATION_LOG_FIELDS}
    for name in ("timestamp", "created_at", "stats_counted_at"):
        values[name] = _parse_time(values[name]) if values[name] else None
    if values["user_id"]:
        values["user_id"] = uuid.UUID(values["user_id"])
    return ConversationLog(**values)


# --- Erasure and export --------------------------------------------------------------


def _archives_of_subject(user_ids: set[uuid.UUID], slack_user_ids: set[str]):
    match = Q()
    if user_ids:
        match |= Q(subjects__user_id__in=user_ids)
    if slack_user_ids:
        match |= Q(subjects__slack_user_id__in=slack_user_ids)
    if not match:
        return ConversationArchive.objects.none()
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


def archives_erase_subject(
    *,
    user_ids: set[uuid.UUID],
    slack_user_ids: set[str],
    on_archive: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Rewrite every archive that holds a turn of this person without those
    turns (a new generation, verified, then the manifest switched and the old
    file deleted). Other archives are not touched. Idempotent: once rewritten,
    an archive no longer lists the person. `on_archive(turns_removed)` is
    called inside each archive's commit transaction, so a count kept there is
    exact even if the run is killed. Returns (archives, turns removed)."""
    wanted_users = {str(u) for u in user_ids}
    wanted_slack = {s for s in slack_user_ids if s}
    archives = turns = 0
    for archive_id, robeing_id in _archives_of_subject(user_ids, wanted_slack).values_list(
        "id", "robeing_id"
    ):
        with job_services.locked(
            archive_lock_name(robeing_id), wait_seconds=ROBEING_LOCK_WAIT_SECONDS
        ) as lease:
            archive = archive_settle(archive_get(archive_id=archive_id), lease=lease)
            # A half-restored archive (RESTORING) counts too: restore_archive
            # would otherwise bring the person's turns back from it later.
            if not archive.path or archive.state == ArchiveState.RESTORED:
                continue
            kept = (
                r
                for r in archive_read(archive.path)
                if not _is_subject(r, wanted_users, wanted_slack)
            )
            written = _write_generation(
                archive.robeing_id, archive.period, _next_generation(archive), kept
            )
            removed = archive.row_count - written.row_count
            archive = _commit_generation(
                archive.robeing_id,
                archive.period,
                archive,
                written,
                state=archive.state,  # COMPLETE stays COMPLETE, RESTORING stays RESTORING
                also=(lambda removed=removed: on_archive(removed)) if on_archive else None,
            )
            archive_settle(archive, lease=lease)
        archives += 1
        turns += removed
        logger.info("archive %s rewritten without one person's %d turns", archive, removed)
    return archives, turns


def archived_turns_of_subject(
    *, user_ids: set[uuid.UUID], slack_user_ids: set[str]
) -> Iterator[dict]:
    """Every archived turn of one person (for an access request), streamed."""
    wanted_users = {str(u) for u in user_ids}
    wanted_slack = {s for s in slack_user_ids if s}
    for archive in _archives_of_subject(user_ids, wanted_slack):
        with job_services.locked(
            archive_lock_name(archive.robeing_id), wait_seconds=ROBEING_LOCK_WAIT_SECONDS
        ):
            archive.refresh_from_db()
            if not _holds_file(archive):
                continue
            for record in archive_read(archive.path):
                if _is_subject(record, wanted_users, wanted_slack):
                    yield record


# --- Helpers ----------------------------------------------------------------------------


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse_time(value: str | dt.datetime) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
