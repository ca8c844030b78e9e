"""The shared cache, as the application needs it when Redis is away.

Everything cached in Redis (stats, settings versions, review lists) is a copy
of rows in PostgreSQL, so an unreachable Redis must cost speed, never an
answer: reads miss and go to the database, writes are kept and sent again once
Redis answers. Sending them again matters when Redis comes back with its old
data (a network partition, a paused or persisted Redis): a stats version that
could not be replaced would otherwise point at values older than the
database's. Only writes are replayed, newest last, at most REPLAY_LIMIT of
them; a process that dies first loses its list (the values it would have
replaced still expire: stats after 10 minutes).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)
REPLAY_LIMIT = 10_000


class Outage:
    """Logs an outage once per interval rather than once per request, and
    keeps the writes that did not reach Redis until it answers again."""

    def __init__(self, name: str, log_every: float = 10.0) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._log_every = log_every
        self._logged_at = float("-inf")
        self._unsent: OrderedDict[str, Callable[[], Any]] = OrderedDict()
        self.failures = 0

    def failed(self, exc: Exception, *, key: str | None = None, replay=None) -> None:
        with self._lock:
            self.failures += 1
            if key is not None and replay is not None:
                self._unsent.pop(key, None)  # the newest write of a key wins
                self._unsent[key] = replay
                while len(self._unsent) > REPLAY_LIMIT:
                    self._unsent.popitem(last=False)
            now = time.monotonic()
            if now - self._logged_at >= self._log_every:
                self._logged_at = now
                logger.warning("%s unavailable, using the database: %s", self.name, exc)

    def answered(self) -> None:
        """Redis answers again: send what it missed, oldest first. If it fails
        again on the way, what is left waits for the next time."""
        if not self._unsent:
            return
        with self._lock:
            pending, self._unsent = self._unsent, OrderedDict()
        items = list(pending.items())
        for done, (_key, replay) in enumerate(items):
            try:
                replay()
            except redis.RedisError as exc:
                with self._lock:
                    left = OrderedDict(items[done:])
                    left.update(self._unsent)  # newer writes of a key stay newer
                    self._unsent = left
                self.failed(exc)
                return
        logger.warning("%s is back; %d missed writes sent again.", self.name, len(items))

    def sent(self, key: str) -> None:
        """A newer write of `key` reached Redis: the waiting one must not follow it."""
        with self._lock:
            self._unsent.pop(key, None)

    @property
    def unsent(self) -> int:
        return len(self._unsent)


class TolerantRedisCache(RedisCache):
    """Django's RedisCache, for which an unreachable Redis is an empty cache
    whose writes wait (see the module docstring)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self.outage = Outage("Redis cache")

    def _read(self, call: Callable[[], Any], default: Any) -> Any:
        try:
            value = call()
            if self.outage.unsent:
                # Back after an outage: first what it missed, then read again,
                # or this read would return what those writes replace.
                self.outage.answered()
                value = call()
        except redis.RedisError as exc:
            self.outage.failed(exc)
            return default
        return value

    def _write(self, key: str, call: Callable[[], Any], failed_result: Any = None) -> Any:
        try:
            self.outage.answered()  # older missed writes go first
            value = call()
        except redis.RedisError as exc:
            self.outage.failed(exc, key=key, replay=call)
            return failed_result
        self.outage.sent(key)
        return value

    def get(self, key, default=None, version=None):
        return self._read(lambda: RedisCache.get(self, key, default, version), default)

    def get_many(self, keys, version=None):
        return self._read(lambda: RedisCache.get_many(self, keys, version), {})

    def has_key(self, key, version=None):
        return self._read(lambda: RedisCache.has_key(self, key, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._write(key, lambda: RedisCache.set(self, key, value, timeout, version))

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # Not replayed: an add that missed its moment must not land on a newer value.
        return self._read(lambda: RedisCache.add(self, key, value, timeout, version), False)

    def delete(self, key, version=None):
        return self._write(key, lambda: RedisCache.delete(self, key, version), False)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._read(lambda: RedisCache.touch(self, key, timeout, version), False)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except redis.RedisError as exc:  # no safe default for a counter: say so
            self.outage.failed(exc)
            raise ValueError(f"cache unavailable for incr({key!r})") from exc

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        for key, value in data.items():
            self.set(key, value, timeout, version)
        return []

    def delete_many(self, keys, version=None):
        for key in keys:
            self.delete(key, version)

    def clear(self):
        return self._write("*clear*", lambda: RedisCache.clear(self), False)
