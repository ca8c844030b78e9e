"""Writes: privacy requests and the work that answers them.

Erasure removes a person's turns from the hot table and from every archive
that holds them (rewriting only those files), strips their user row, drops
their exports and cached lookups, and keeps only counts and times. Each step
is idempotent and its count is recorded in the same transaction as the step,
so a run killed anywhere is finished by the next one, with exact counts.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import IO

import orjson
from celery import current_app
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts import services as account_services
from analytics import services as analytics_services
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.archiving import erasure, months
from conversations.counted import CountedTurn
from core import jsonio
from core.broker import broker_connection
from core.errors import InvalidInput, NotFound, exception_summary
from core.storage import file_save
from jobs import services as job_services
from privacy.models import ErasureRequest, ExportRequest, RequestStatus, SubjectKind
from reviews import services as review_services

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "robeing-console-export/1"
OPEN = (RequestStatus.PENDING, RequestStatus.RUNNING, RequestStatus.FAILED)
# A request that keeps failing stops being retried after this many attempts and
# stays FAILED, in red in the admin, for an operator to look at.
MAX_ATTEMPTS = 10


def export_storage() -> Storage:
    return storages["exports"]


# --- Creating requests --------------------------------------------------------------


def _subject(user_id: uuid.UUID | None, slack_user_id: str | None) -> dict:
    slack_user_id = (slack_user_id or "").strip()
    if bool(user_id) == bool(slack_user_id):
        raise InvalidInput.for_field(
            "non_field_errors", "Name the person by exactly one of user_id or slack_user_id."
        )
    if user_id and not account_selectors.existing_user_ids(user_ids={user_id}):
        raise InvalidInput.for_field("user_id", f"No user with id {user_id}.", "unknown_user")
    now = timezone.now()
    received = {
        "received_at": now,
        "due_at": now + timedelta(days=settings.PRIVACY_REQUEST_DEADLINE_DAYS),
    }
    if user_id:
        return {"subject_kind": SubjectKind.USER, "subject_user_id": user_id, **received}
    return {
        "subject_kind": SubjectKind.SLACK_USER,
        "subject_slack_user_id": slack_user_id,
        **received,
    }


# The job's Celery task, by name: privacy.tasks imports this module.
PRIVACY_TASK = "privacy.tasks.process_privacy_requests"
# How long a new request may wait for the broker to take its run.
QUEUE_TIMEOUT_SECONDS = 1.0


def erasure_request_create(
    *, user_id: uuid.UUID | None = None, slack_user_id: str | None = None, requested_by=None
) -> ErasureRequest:
    """Record an erasure request; the privacy job answers it within minutes.
    The deadline is PRIVACY_REQUEST_DEADLINE_DAYS (30) from now."""
    request = ErasureRequest.objects.create(
        **_subject(user_id, slack_user_id), requested_by=requested_by
    )
    _processing_queue()
    return request


def export_request_create(
    *, user_id: uuid.UUID | None = None, slack_user_id: str | None = None, requested_by=None
) -> ExportRequest:
    request = ExportRequest.objects.create(
        **_subject(user_id, slack_user_id), requested_by=requested_by
    )
    _processing_queue()
    return request


def _processing_queue() -> None:
    """Queue a run of the privacy job once the request is committed, so it is
    answered in seconds rather than at the next 10-minute run. The message
    carries the request id of the HTTP request (django-structlog), so the
    job's log lines and its run record name the request that queued it."""
    transaction.on_commit(_privacy_run_queue)


def _privacy_run_queue() -> None:
    try:
        # One quick attempt: the request that queues it waits for this call.
        with broker_connection(seconds=QUEUE_TIMEOUT_SECONDS) as connection:
            current_app.send_task(PRIVACY_TASK, connection=connection, retry=False)
    except Exception as error:  # kombu's OperationalError, or a transport's own
        logger.warning(
            "privacy run not queued (broker: %s); the next scheduled run answers the request",
            type(error).__name__,
        )


def privacy_requests_process(*, batch_size: int | None = None) -> dict[str, int]:
    """Answer every open request, oldest first, then delete expired exports.
    Holds `privacy-job` (no two runs) and `archive-job` (an archive run moving
    a person's turns into a file while they are erased could hide them from
    the erasure); refuses to start (JobAlreadyRunning) if either is held."""
    done = {"erasures": 0, "exports": 0, "failed": 0, "expired": 0}
    with job_services.locked("privacy-job"), job_services.locked("archive-job"):
        for model, run, key in (
            (ErasureRequest, erasure_request_run, "erasures"),
            (ExportRequest, export_request_run, "exports"),
        ):
            open_ids = model.objects.filter(status__in=OPEN, attempts__lt=MAX_ATTEMPTS)
            for request_id in open_ids.order_by("received_at").values_list("id", flat=True):
                try:
                    run(request_id=request_id, batch_size=batch_size)
                    done[key] += 1
                except job_services.LockLost:
                    raise
                except Exception as exc:  # recorded; the next run tries again
                    _record_failure(model, request_id, exc)
                    done["failed"] += 1
            if model is ErasureRequest and done["erasures"]:
                # Files a killed archive write left behind may hold an erased
                # person's turns too. Only here, under archive-job: a sweep
                # beside a running archive job could delete its new file
                # before the manifest points at it.
                months.archive_files_sweep()
        done["expired"] = exports_expire()
    return done


def _record_failure(model, request_id: uuid.UUID, exc: Exception) -> None:
    logger.exception("privacy request %s failed", request_id)
    error = exception_summary(exc)
    model.objects.filter(id=request_id).update(status=RequestStatus.FAILED, last_error=error)


def _start(model, request_id: uuid.UUID):
    with transaction.atomic():
        request = model.objects.select_for_update().get(id=request_id)
        if request.status not in OPEN:
            return None
        request.status = RequestStatus.RUNNING
        request.started_at = request.started_at or timezone.now()
        request.attempts += 1
        request.save(update_fields=["status", "started_at", "attempts"])
    return request


def _add_counts(model, request_id: uuid.UUID, **increments: int) -> None:
    """Add to a request's counts; call inside the transaction of the step counted."""
    request = model.objects.select_for_update().get(id=request_id)
    for place, count in increments.items():
        request.counts[place] = request.counts.get(place, 0) + count
    request.save(update_fields=["counts"])


# --- Erasure -------------------------------------------------------------------------


def erasure_request_run(*, request_id: uuid.UUID, batch_size: int | None = None) -> ErasureRequest:
    """Erase one person everywhere. Idempotent and resumable. Run it under the
    lock `archive-job`, as privacy_requests_process does."""
    batch_size = batch_size or settings.ARCHIVE_BATCH_SIZE
    request = _start(ErasureRequest, request_id)
    if request is None:
        return ErasureRequest.objects.get(id=request_id)
    user_ids, slack_user_ids = _resolve_identities(request)

    # 1. The hot table, in short batches, each counted in its own transaction.
    while True:
        with transaction.atomic():
            erased = conversation_services.conversation_turns_erase_batch(
                user_ids=user_ids, slack_user_ids=slack_user_ids, limit=batch_size
            )
            # The dashboard forgets them in the same transaction: their text
            # leaves the frequent questions exactly once, even if killed here.
            analytics_services.rollups_forget(erased.counted)
            if erased.deleted:
                _add_counts(ErasureRequest, request_id, hot_turns=erased.deleted)
        if not erased.deleted:
            break

    # 2. Archives that hold their turns: rewritten, counted as each commits.
    def archived(removed: int, counted: list[CountedTurn]) -> None:
        analytics_services.rollups_forget(counted)
        _add_counts(ErasureRequest, request_id, archived_turns=removed, archives_rewritten=1)

    erasure.archives_erase_subject(
        user_ids=user_ids, slack_user_ids=slack_user_ids, on_archive=archived
    )

    # 2b. Operators' reviews and flags of their turns (they copy the person's
    # ids and may quote them); counted when there were any.
    with transaction.atomic():
        removed = review_services.reviews_erase_person(
            user_ids=user_ids, slack_user_ids=slack_user_ids
        )
        if removed:
            _add_counts(ErasureRequest, request_id, reviews_deleted=removed)

    # 3. Exports of this person: their files hold the same turns.
    for export in _exports_of(user_ids, slack_user_ids):
        with transaction.atomic():
            _export_discard(export, status=RequestStatus.ERASED)
            _add_counts(ErasureRequest, request_id, exports_deleted=1)

    # 4. The user rows, and the lookups cached from them.
    for user_id in sorted(user_ids):
        with transaction.atomic():
            if account_services.user_anonymise(user_id=user_id):
                _add_counts(ErasureRequest, request_id, user_rows_anonymised=1)

    # 5. Done: the record keeps counts and times, not who it was about.
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(id=request_id)
        for place in ("hot_turns", "archived_turns", "archives_rewritten", "exports_deleted"):
            request.counts.setdefault(place, 0)
        request.counts.setdefault("user_rows_anonymised", 0)
        request.status = RequestStatus.DONE
        request.finished_at = timezone.now()
        request.subject_user_id = None
        request.subject_slack_user_id = ""
        request.resolved_user_ids = []
        request.resolved_slack_user_ids = []
        request.last_error = ""
        request.save()
    logger.info("erasure %s done: %s", request.id, request.counts)
    return request


def _resolve_identities(request: ErasureRequest) -> tuple[set[uuid.UUID], set[str]]:
    if request.resolved_user_ids or request.resolved_slack_user_ids:
        return (
            {uuid.UUID(u) for u in request.resolved_user_ids},
            set(request.resolved_slack_user_ids),
        )
    user_ids, slack_user_ids = account_selectors.user_identities(
        user_ids={request.subject_user_id} if request.subject_user_id else set(),
        slack_user_ids={request.subject_slack_user_id} if request.subject_slack_user_id else set(),
    )
    request.resolved_user_ids = sorted(str(u) for u in user_ids)
    request.resolved_slack_user_ids = sorted(slack_user_ids)
    request.save(update_fields=["resolved_user_ids", "resolved_slack_user_ids"])
    return user_ids, slack_user_ids


def _exports_of(user_ids: set[uuid.UUID], slack_user_ids: set[str]):
    match = account_selectors.person_filter(
        user_ids=user_ids,
        slack_user_ids=slack_user_ids,
        user_field="subject_user_id",
        slack_user_field="subject_slack_user_id",
    )
    return ExportRequest.objects.filter(match)


def _export_discard(export: ExportRequest, *, status: str) -> None:
    if export.file_path:
        export_storage().delete(export.file_path)
    ExportRequest.objects.filter(id=export.id).update(
        status=status,
        file_path="",
        file_size=0,
        file_sha256="",
        subject_user_id=None,
        subject_slack_user_id="",
    )


# --- Export ----------------------------------------------------------------------------


def export_path(request: ExportRequest) -> str:
    return f"privacy-exports/{request.id}.json"


def export_request_run(*, request_id: uuid.UUID, batch_size: int | None = None) -> ExportRequest:
    """Write one JSON file with everything held about the person: user rows,
    hot turns and archived turns. Rerunnable: a file a killed run left under
    the same name is replaced."""
    request = _start(ExportRequest, request_id)
    if request is None:
        return ExportRequest.objects.get(id=request_id)
    user_ids, slack_user_ids = account_selectors.user_identities(
        user_ids={request.subject_user_id} if request.subject_user_id else set(),
        slack_user_ids={request.subject_slack_user_id} if request.subject_slack_user_id else set(),
    )
    counts = {"hot_turns": 0, "archived_turns": 0, "user_rows": 0}
    with tempfile.TemporaryFile(prefix="robeing-export-") as raw:
        _write_export(raw, request, user_ids, slack_user_ids, counts, batch_size)
        saved = file_save(storage=export_storage(), name=export_path(request), content=raw)
    now = timezone.now()
    ExportRequest.objects.filter(id=request_id).update(
        status=RequestStatus.DONE,
        file_path=saved.name,
        file_size=saved.size,
        file_sha256=saved.sha256,
        counts=counts,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.PRIVACY_EXPORT_TTL_HOURS),
        last_error="",
    )
    logger.info("export %s ready: %s", request_id, counts)
    return ExportRequest.objects.get(id=request_id)


def _write_export(
    out: IO[bytes],
    request: ExportRequest,
    user_ids: set[uuid.UUID],
    slack_user_ids: set[str],
    counts: dict[str, int],
    batch_size: int | None,
) -> None:
    """Streamed: the JSON document is written piece by piece, one turn at a time."""
    users = account_selectors.user_personal_data(user_ids=user_ids)
    counts["user_rows"] = len(users)
    head = {
        "format": EXPORT_FORMAT,
        "request_id": str(request.id),
        "generated_at": timezone.now(),
        "subject": {
            "user_ids": sorted(str(u) for u in user_ids),
            "slack_user_ids": sorted(slack_user_ids),
        },
        "users": users,
    }
    out.write(orjson.dumps(head)[:-1] + b',"turns":[')
    first = True
    for source, turns in (
        (
            "hot",
            conversation_selectors.conversation_turns_of_subject(
                user_ids=user_ids, slack_user_ids=slack_user_ids, batch_size=batch_size or 2000
            ),
        ),
        (
            "archive",
            erasure.archived_turns_of_subject(user_ids=user_ids, slack_user_ids=slack_user_ids),
        ),
    ):
        for turn in _with_source(turns, source):
            out.write((b"" if first else b",") + jsonio.dumps(turn))
            first = False
            counts[f"{source}_turns" if source == "hot" else "archived_turns"] += 1
    out.write(b"]}")


def _with_source(turns: Iterator[dict], source: str) -> Iterator[dict]:
    for turn in turns:
        turn["source"] = source
        yield turn


def export_file_open(*, request_id: uuid.UUID) -> tuple[IO[bytes], ExportRequest]:
    """The export file, for a staff download, while it is available."""
    request = ExportRequest.objects.filter(id=request_id).first()
    if request is None:
        raise NotFound("No such export request.", code="export_not_found")
    if request.status != RequestStatus.DONE or not request.file_path:
        raise NotFound(
            "This export has no file (not ready, expired or erased).", code="export_gone"
        )
    if request.expires_at and request.expires_at <= timezone.now():
        raise NotFound("This export has expired.", code="export_gone")
    return export_storage().open(request.file_path, "rb"), request


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete export files past their time; the request row stays, EXPIRED and
    without the person's ids."""
    expired = ExportRequest.objects.filter(
        status=RequestStatus.DONE, expires_at__lte=now or timezone.now()
    )
    count = 0
    for export in expired:
        _export_discard(export, status=RequestStatus.EXPIRED)
        count += 1
    return count
