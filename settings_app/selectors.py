"""Reads of robeing settings, from a per-process memory cache (seed 6.3).

Each process keeps the merged settings of the robeings it has seen, tagged
with the row's version. The current version of each robeing lives in the
shared cache (Redis when configured; without it, a file cache all processes on
the machine share), and every committed write sets it. A read compares the two:
equal is a hit, anything else (a write elsewhere, an evicted key) is a miss
that reloads from the database.

A process asks for the shared version at most once per
SETTINGS_VERSION_CHECK_SECONDS per robeing (every API request reads settings,
and the GET cost as much as storing a turn). What keeps that safe is the
writer: it sets the shared version on commit, drops its own copy, and answers
only after waiting that long. Any process's copy was then either checked after
the write (and has it) or is too old to be trusted without a check. So nobody
reads settings older than their own write, in whichever process their next
request lands, and a write by someone else is seen everywhere within that time.
"""

from __future__ import annotations

import threading
import time
import zoneinfo
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from core.cache import Outage
from core.cache_namespace import database_namespace
from core.errors import NotFound
from core.metrics import cache_requests
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
        self.version_checks = 0  # GETs of the shared version

    def count_check(self) -> None:
        with self._lock:
            self.version_checks += 1

    def count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1
        # The same count for /metrics, summed over every process of the host.
        cache_requests.labels("settings", "hit" if hit else "miss").inc()


@dataclass(frozen=True)
class _LocalCopy:
    snapshot: SettingsSnapshot
    trusted_until: float  # time.monotonic(): no version check needed before then


_local: dict[str, _LocalCopy] = {}
counters = _Counters()


def version_key(robeing_id: str) -> str:
    # Namespaced by the database's identity: a new or restored database's
    # version 3 is not the version 3 another database's processes hold.
    return f"robeing:settings:ver:{database_namespace()}:{robeing_id}"


class _SharedVersions:
    """Where the current version of each robeing's settings is kept.

    With Redis, a plain GET/SET on an integer key through one client: every API
    request checks a version, and Django's cache layer (key building, pickling)
    roughly doubles the cost of that round trip. Without Redis, Django's cache
    (the file cache all processes on the machine share).
    """

    def __init__(self) -> None:
        self._redis = None
        # An unreachable Redis reads as "no version": the database answers,
        # and a version that could not be set is set again once Redis is back.
        self.outage = Outage("Redis (settings versions)")
        if settings.REDIS_URL:
            timeout = settings.REDIS_TIMEOUT_SECONDS
            self._redis = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
            )

    def _call(self, command, *args, replay_key: str | None = None, **kwargs):
        try:
            self.outage.answered()  # back after an outage: what it missed first
            value = command(*args, **kwargs)
            if replay_key:
                self.outage.sent(replay_key)
            return value
        except redis.RedisError as exc:
            replay = (lambda: command(*args, **kwargs)) if replay_key else None
            self.outage.failed(exc, key=replay_key, replay=replay)
            return None

    def get(self, robeing_id: str) -> int | None:
        if self._redis is None:
            return cache.get(version_key(robeing_id))
        value = self._call(self._redis.get, version_key(robeing_id))
        return None if value is None else int(value)

    def add(self, robeing_id: str, version: int) -> None:
        if self._redis is None:
            cache.add(version_key(robeing_id), version, timeout=None)
        else:
            self._call(self._redis.set, version_key(robeing_id), version, nx=True)

    def set(self, robeing_id: str, version: int) -> None:
        if self._redis is None:
            cache.set(version_key(robeing_id), version, timeout=None)
        else:
            key = version_key(robeing_id)
            self._call(self._redis.set, key, version, replay_key=key)

    def clear(self, robeing_id: str) -> None:
        if self._redis is None:
            cache.delete(version_key(robeing_id))
        else:
            key = version_key(robeing_id)
            self._call(self._redis.delete, key, replay_key=key)


shared_versions = _SharedVersions()


def settings_get(*, robeing_id: str) -> SettingsSnapshot:
    started = time.monotonic()
    local = _local.get(robeing_id)
    if local is not None and started < local.trusted_until:
        counters.count(hit=True)
        return local.snapshot
    counters.count_check()
    shared = shared_versions.get(robeing_id)
    # Trusted from the moment the GET was sent, not from when it answered:
    # only then does every write that finished before that moment count as seen.
    trusted_until = started + settings.SETTINGS_VERSION_CHECK_SECONDS
    if local is not None and shared is not None and local.snapshot.version == shared:
        counters.count(hit=True)
        _local[robeing_id] = _LocalCopy(local.snapshot, trusted_until)
        return local.snapshot
    counters.count(hit=False)
    snapshot = _load(robeing_id)
    _local[robeing_id] = _LocalCopy(snapshot, trusted_until)
    if shared is None:
        shared_versions.add(robeing_id, snapshot.version)
    return snapshot


def settings_version_published(*, robeing_id: str, version: int) -> None:
    """Make a committed write visible: set the shared version, drop this
    process's copy, then wait out the check interval (see the module
    docstring), so that the writer's next request, in any process, sees it."""
    shared_versions.set(robeing_id, version)
    _local.pop(robeing_id, None)
    time.sleep(settings.SETTINGS_VERSION_CHECK_SECONDS)


def server_timing_wanted(robeing_id: str) -> bool:
    """The rule core.api asks about every robeing request (installed by
    SettingsAppConfig.ready): time it when the robeing's debug_mode is on."""
    return settings_get(robeing_id=robeing_id).values["system_settings"]["debug_mode"]


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
        "version_checks": counters.version_checks,
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
