"""Versioned cache of stats reads (seed 6.3: stats in Redis when configured).

A write bumps the robeing's version after commit; readers cache under
`stats:<robeing>:<version>`. A reader that loaded old data just before a write
stores it under the old version, which nobody reads again, so no process can
serve stats older than the last committed change it knows the version of.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

TTL_SECONDS = 600


def _version_key(robeing_id: str) -> str:
    return f"stats:ver:{robeing_id}"


def stats_cache_version(*, robeing_id: str) -> int:
    version = cache.get(_version_key(robeing_id))
    if version is None:
        cache.add(_version_key(robeing_id), 1, timeout=None)
        version = cache.get(_version_key(robeing_id), 1)
    return int(version)


def stats_cache_get(*, robeing_id: str, version: int) -> Any:
    return cache.get(f"stats:{robeing_id}:{version}")


def stats_cache_set(*, robeing_id: str, version: int, value: Any) -> None:
    cache.set(f"stats:{robeing_id}:{version}", value, timeout=TTL_SECONDS)


def stats_cache_invalidate(*, robeing_id: str) -> None:
    try:
        cache.incr(_version_key(robeing_id))
    except ValueError:  # no version yet: nothing cached under one either
        cache.add(_version_key(robeing_id), 1, timeout=None)
