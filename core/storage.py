"""Saving a file that was streamed into a temporary file through a Django Storage."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage


@dataclass(frozen=True)
class SavedFile:
    name: str  # what the storage saved it as (a storage may change the name asked for)
    size: int
    sha256: str


def file_save(*, storage: Storage, name: str, content: IO[bytes]) -> SavedFile:
    """Save `content`, a temporary file just written, in `storage` under
    `name`, with its size and SHA-256. A file already under that name is what a
    killed run left before it recorded it anywhere: it is replaced, not kept
    beside the new one under a name the storage would make up."""
    size = content.seek(0, os.SEEK_END)
    content.seek(0)
    sha256 = hashlib.file_digest(content, "sha256").hexdigest()
    content.seek(0)
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, File(content, name=name))
    return SavedFile(name=saved, size=size, sha256=sha256)
