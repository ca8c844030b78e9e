"""Reads of robeing settings, from a per-process memory cache (seed 6.3).

Each process keeps the merged settings of the robeings it has seen, tagged
with the row's version. The current version of each robeing lives in the
shared cache (Redis when configured; without it, a file cache all processes on
the machine share), and every committed write sets it. A read compares the two:
equal is a hit, anything else (a write elsewhere, an evicted key) is a miss
that reloads from the database. A write anywhere is therefore seen by every
process on its next read, which a TTL alone could not promise.
"""

from __future__ import annotations

import threading
import zoneinfo
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from robeing_site.errors import NotFound
from settings_app.models import RobeingSettings, SettingsChange
from settings_app.schemas import CATEGORIES, defaults


@dataclass(frozen=True)
class SettingsSnapshot:
    robeing_id: str
    version: int  # 0: never written, all defaults
    values: dict[str, dict[str, Any]]  # category -> stored values merged over defaults

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class _Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1


_local: dict[str, SettingsSnapshot] = {}
counters = _Counters()
# The snapshot an API request already checked: its later reads (masking, debug
# timing, context limits) reuse it instead of asking the shared cache again.
_request_snapshot: ContextVar[SettingsSnapshot | None] = ContextVar("settings", default=None)


def pin_for_request(snapshot: SettingsSnapshot | None) -> None:
    _request_snapshot.set(snapshot)


def version_key(robeing_id: str) -> str:
    return f"robeing:settings:ver:{robeing_id}"


class _SharedVersions:
    """Where the current version of each robeing's settings is kept.

    With Redis, a plain GET/SET on an integer key through one client: every API
    request checks a version, and Django's cache layer (key building, pickling)
    roughly doubles the cost of that round trip. Without Redis, Django's cache
    (the file cache all processes on the machine share).
    """

    def __init__(self) -> None:
        self._redis = None
        if settings.REDIS_URL:
            import redis

            self._redis = redis.Redis.from_url(settings.REDIS_URL)

    def get(self, robeing_id: str) -> int | None:
        if self._redis is None:
            return cache.get(version_key(robeing_id))
        value = self._redis.get(version_key(robeing_id))
        return None if value is None else int(value)

    def add(self, robeing_id: str, version: int) -> None:
        if self._redis is None:
            cache.add(version_key(robeing_id), version, timeout=None)
        else:
            self._redis.set(version_key(robeing_id), version, nx=True)

    def set(self, robeing_id: str, version: int) -> None:
        if self._redis is None:
            cache.set(version_key(robeing_id), version, timeout=None)
        else:
            self._redis.set(version_key(robeing_id), version)

    def clear(self, robeing_id: str) -> None:
        if self._redis is None:
            cache.delete(version_key(robeing_id))
        else:
            self._redis.delete(version_key(robeing_id))


shared_versions = _SharedVersions()


def settings_get(*, robeing_id: str) -> SettingsSnapshot:
    pinned = _request_snapshot.get()
    if pinned is not None and pinned.robeing_id == robeing_id:
        return pinned
    shared = shared_versions.get(robeing_id)
    local = _local.get(robeing_id)
    if local is not None and shared is not None and local.version == shared:
        counters.count(hit=True)
        return local
    counters.count(hit=False)
    snapshot = _load(robeing_id)
    _local[robeing_id] = snapshot
    if shared is None:
        shared_versions.add(robeing_id, snapshot.version)
    return snapshot


def _load(robeing_id: str) -> SettingsSnapshot:
    row = RobeingSettings.objects.filter(robeing_id=robeing_id).first()
    if row is None:
        return SettingsSnapshot(robeing_id, 0, {c: defaults(c) for c in CATEGORIES})
    return snapshot_of(row)


def snapshot_of(row: RobeingSettings) -> SettingsSnapshot:
    values = {c: merge_over_defaults(c, getattr(row, c)) for c in CATEGORIES}
    return SettingsSnapshot(row.robeing_id, row.version, values)


def merge_over_defaults(category: str, stored: dict[str, Any]) -> dict[str, Any]:
    return deep_merge(defaults(category), stored)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def setting_value(*, robeing_id: str, category: str, key: str) -> Any:
    """The seed's get_setting(category, key): the value, merged over defaults."""
    values = settings_get(robeing_id=robeing_id).values
    if category not in values:
        raise NotFound(f"Unknown settings category {category!r}.", code="unknown_category")
    if key not in values[category]:
        raise NotFound(f"Unknown key {category}.{key}.", code="unknown_key")
    return values[category][key]


def robeing_zone(*, robeing_id: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(
        setting_value(robeing_id=robeing_id, category="user_preference", key="timezone")
    )


def cache_statistics() -> dict[str, float]:
    """The seed's cache hit rate metric (7.2), for this process."""
    total = counters.hits + counters.misses
    return {
        "hits": counters.hits,
        "misses": counters.misses,
        "hit_rate": counters.hits / total if total else 0.0,
    }


def settings_history(*, robeing_id: str) -> QuerySet[SettingsChange]:
    return (
        SettingsChange.objects.filter(robeing_id=robeing_id)
        .select_related("changed_by_user")
        .order_by("-changed_at", "-id")
    )


def forget_local_cache() -> None:
    """For tests: act like a fresh process."""
    _local.clear()
