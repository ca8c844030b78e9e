"""Versioned cache of stats reads (seed 6.3: stats in Redis when configured).

A write gives the robeing a new version after commit; readers cache under
`stats:<robeing>:<version>`. A reader that loaded old data just before a write
stores it under the old version, which nobody reads again, so no process can
serve stats older than the last committed change it knows the version of.

Versions are random, new for every write (never a counter), so a version key
that Redis evicted or lost and made again cannot point at values cached under
an earlier one; and every key is namespaced by the database's identity
(core.cache_namespace), so another or a restored database starts empty.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import cache

TTL_SECONDS = 600


def _version_key(robeing_id: str) -> str:
    return f"stats:ver:{robeing_id}"


def _new_version() -> str:
    return secrets.token_hex(8)


def stats_cache_version(*, robeing_id: str) -> str | None:
    """The robeing's current version, or None when the cache cannot say
    (Redis away): then nothing is read from or written to the cache."""
    version = cache.get(_version_key(robeing_id))
    if version is None:
        cache.add(_version_key(robeing_id), _new_version(), timeout=None)
        version = cache.get(_version_key(robeing_id))
    return None if version is None else str(version)


def stats_cache_get(*, robeing_id: str, version: str) -> Any:
    return cache.get(f"stats:{robeing_id}:{version}")


def stats_cache_set(*, robeing_id: str, version: str, value: Any) -> None:
    cache.set(f"stats:{robeing_id}:{version}", value, timeout=TTL_SECONDS)


def stats_cache_invalidate(*, robeing_id: str) -> None:
    cache.set(_version_key(robeing_id), _new_version(), timeout=None)
