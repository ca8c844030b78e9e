"""Archive files: their paths, writing a generation and verifying it (step 1),
reading one back, and listing what the storage holds."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import itertools
import tempfile
import uuid
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

import orjson
from django.core.files.storage import Storage, storages

from conversations.models import CONVERSATION_LOG_FIELDS, ConversationLog
from core import jsonio
from core.errors import ApplicationError
from core.storage import file_save

FOLDER = "conversations"
SUFFIX = ".jsonl.gz"


class ArchiveVerificationFailed(ApplicationError):
    status_code = 500
    code = "archive_verification_failed"


def archive_storage() -> Storage:
    return storages["archives"]


def archive_path(robeing_id: str, period: dt.date, generation: int) -> str:
    return f"{FOLDER}/{robeing_id}/{period:%Y-%m}/{robeing_id}-{period:%Y-%m}.g{generation}{SUFFIX}"


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
        turn_id, at = record["id"], parse_time(record["timestamp"])
        self.first_id = turn_id if self.first_id is None else min(self.first_id, turn_id)
        self.last_id = turn_id if self.last_id is None else max(self.last_id, turn_id)
        self.first_at = at if self.first_at is None else min(self.first_at, at)
        self.last_at = at if self.last_at is None else max(self.last_at, at)
        user_id = record.get("user_id")
        self.subjects[(str(user_id) if user_id else None, record.get("slack_user_id") or "")] += 1


def archive_file_write(
    robeing_id: str, period: dt.date, generation: int, records: Iterable[dict]
) -> WrittenFile:
    """Write records to the storage under this generation's name, then read
    the stored file back and check it (step 1). No records, no file."""
    written = WrittenFile(path=archive_path(robeing_id, period, generation))
    with tempfile.TemporaryFile(prefix="robeing-archive-") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
            for record in records:
                gz.write(jsonio.dumps(record) + b"\n")
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
    sha256, lines, size, unreadable = _read_back(written.path)
    problems = [unreadable] if unreadable else []
    if sha256 != written.sha256:
        problems.append("checksum")
    if lines != written.row_count:
        problems.append(f"{lines} lines for {written.row_count} turns")
    if size != written.size_bytes:
        problems.append(f"{size} bytes for {written.size_bytes}")
    if problems:
        archive_storage().delete(written.path)
        raise ArchiveVerificationFailed(
            f"Archive {written.path} did not read back as written: {', '.join(problems)}."
        )


def _read_back(path: str) -> tuple[str, int, int, str]:
    """(SHA-256, lines, bytes, why it is unreadable) of a stored file, streamed."""
    lines, unreadable = 0, ""
    with archive_storage().open(path, "rb") as stored:
        reader = _HashingReader(stored)
        try:
            with gzip.GzipFile(fileobj=reader, mode="rb") as gz:
                # The SHA-256 proves the bytes are the ones written (and parsed
                # from rows); counting the lines proves the gzip stream is whole.
                lines = sum(1 for _ in gz)
        except (EOFError, OSError, zlib.error) as exc:
            unreadable = f"unreadable ({type(exc).__name__})"
    return reader.digest.hexdigest(), lines, reader.size, unreadable


class _HashingReader:
    def __init__(self, stream: IO[bytes]) -> None:
        self.stream, self.digest, self.size = stream, hashlib.sha256(), 0

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


def archive_read_batches(path: str, size: int) -> Iterator[list[dict]]:
    """The turns in an archive file, in lists of `size`."""
    records = archive_read(path)
    while batch := list(itertools.islice(records, size)):
        yield batch


def archive_files() -> Iterator[str]:
    """The path of every archive file in the storage, whether or not a
    manifest row points at it."""
    storage = archive_storage()
    try:
        robeings = storage.listdir(FOLDER)[0]
    except FileNotFoundError:
        return
    for robeing_id in robeings:
        for month in storage.listdir(f"{FOLDER}/{robeing_id}")[0]:
            folder = f"{FOLDER}/{robeing_id}/{month}"
            for name in storage.listdir(folder)[1]:
                if name.endswith(SUFFIX):
                    yield f"{folder}/{name}"


def parse_time(value: str | dt.datetime) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def turn_from_record(record: dict) -> ConversationLog:
    """An archived record as the (unsaved) row it was in the hot table."""
    values = {name: record.get(name) for name in CONVERSATION_LOG_FIELDS}
    for name in ("timestamp", "created_at"):
        values[name] = parse_time(values[name]) if values[name] else None
    if values["user_id"]:
        values["user_id"] = uuid.UUID(values["user_id"])
    return ConversationLog(**values)
