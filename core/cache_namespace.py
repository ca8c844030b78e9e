"""Shared-cache keys namespaced by the identity of the database they describe.

Stats, settings versions and review lists are cached in Redis under keys that
only mean something for one database. A counter that a new or restored
database starts again (version 1, 2, ...) would let that database read values
another database (or its own newer, lost state) left in the cache. So every key
carries a namespace that changes whenever the database is another one:

- PostgreSQL: the database's oid (a new or re-created database), the server's
  start time (a physical restore starts the server), the identity row's token
  (another cluster, copied with the data) and that row's xmin (a dump restored
  into the same database inserts the row again).
- SQLite (the embedded default): the identity row's token. A copied-back
  database file keeps it, so restart the processes after restoring one.

Each process re-reads the namespace at most every CACHE_NAMESPACE_CHECK_SECONDS
(one small query), so after a restore no process serves the old cache for
longer than that. When it changes, per-process caches registered with
`on_namespace_change` are dropped too.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection

_POSTGRES_IDENTITY = """
SELECT d.oid::text, pg_postmaster_start_time()::text, i.token::text, i.xmin::text
  FROM database_identity i
  JOIN pg_database d ON d.datname = current_database()
 ORDER BY i.id
 LIMIT 1
"""
_SQLITE_IDENTITY = "SELECT token FROM database_identity ORDER BY id LIMIT 1"

_listeners: list[Callable[[], None]] = []


def on_namespace_change(forget: Callable[[], None]) -> None:
    """Call `forget` whenever this process sees the database change: for
    per-process caches that hold database rows (keys, users, settings)."""
    _listeners.append(forget)


def _identity_parts() -> tuple[str, ...] | None:
    sql = _POSTGRES_IDENTITY if connection.vendor == "postgresql" else _SQLITE_IDENTITY
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return None if row is None else tuple(str(part) for part in row)


def _read_namespace() -> str:
    parts = _identity_parts()
    if parts is None:
        # A database emptied by a flush (or a table truncated by hand): make the
        # row again. Racing processes each add one; all read the first.
        from core.models import DatabaseIdentity

        DatabaseIdentity.objects.create()
        parts = _identity_parts()
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class _Namespace:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = ""
        self._trusted_until = float("-inf")

    def current(self) -> str:
        started = time.monotonic()
        if started < self._trusted_until:
            return self._value
        with self._lock:
            if started < self._trusted_until:
                return self._value
            value = _read_namespace()
            changed = bool(self._value) and value != self._value
            self._value = value
            # From before the query, as settings_app.selectors does: a change
            # made before the moment we asked is seen within the interval.
            self._trusted_until = started + settings.CACHE_NAMESPACE_CHECK_SECONDS
        if changed:
            for forget in _listeners:
                forget()
        return value

    def forget(self) -> None:
        """Read the namespace again on next use (tests; after a restore)."""
        with self._lock:
            self._trusted_until = float("-inf")


namespace = _Namespace()


def database_namespace() -> str:
    return namespace.current()


def make_key(key: str, key_prefix: str, version: int) -> str:
    """Django's KEY_FUNCTION for every cache: its default with the namespace."""
    return f"{key_prefix}:{version}:{namespace.current()}:{key}"
