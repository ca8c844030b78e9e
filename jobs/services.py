"""Named locks with an expiry: no two runs of one job at once, and no two
writers of one archive at once, across every worker process and machine.

A lock is a row in `job_lock`, taken by one atomic upsert that succeeds only
when the row is absent or expired. It works the same on PostgreSQL and SQLite
(the embedded default, which has no advisory locks) and survives a killed
holder: the row simply expires. Long work renews its lease as it goes.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from jobs.models import JobLock

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 10 * 60


class JobAlreadyRunning(Exception):
    """Another process holds the lock (and it has not expired)."""

    def __init__(self, name: str, holder: str | None) -> None:
        self.name, self.holder = name, holder
        super().__init__(f"{name!r} is locked by {holder or 'another process'}")


class LockLost(Exception):
    """The lease expired and someone else took the lock: stop writing."""


class Lease:
    """A held lock. `renew()` it at least once per `ttl`; long work does so
    after each batch and stops (LockLost) if the lease was taken over."""

    def __init__(self, name: str, token: str, ttl: float) -> None:
        self.name, self.token, self.ttl = name, token, ttl
        self._renewed = time.monotonic()

    def renew(self, *, force: bool = False) -> None:
        # At most one UPDATE per tenth of the ttl: renewing after each small
        # batch must not double the cost of the batch.
        if not force and time.monotonic() - self._renewed < self.ttl / 10:
            return
        expires = timezone.now() + timedelta(seconds=self.ttl)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE job_lock SET expires_at = %s WHERE name = %s AND holder = %s",
                [expires, self.name, self.token],
            )
            if cursor.rowcount != 1:
                raise LockLost(f"lost the lock {self.name!r}")
        self._renewed = time.monotonic()


def lock_try_acquire(*, name: str, ttl: float = DEFAULT_TTL_SECONDS) -> Lease | None:
    """Take the lock if it is free or expired; None if someone holds it."""
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    expires = now + timedelta(seconds=ttl)
    # One statement: the row is inserted, or taken over only if it has expired.
    # RETURNING yields a row exactly when this call got the lock.
    sql = (
        "INSERT INTO job_lock (name, holder, acquired_at, expires_at) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
        "WHERE job_lock.expires_at < %s RETURNING holder"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [name, token, now, expires, now])
        row = cursor.fetchone()
        if row and row[0] == token:
            return Lease(name, token, ttl)
        # A holder on this machine whose process is gone (killed, OOM) will
        # never release or renew: take over now instead of waiting for expiry.
        # Conditional on the dead holder still being the holder, so two
        # processes doing this at once cannot both win.
        holder = lock_holder(name=name)
        if holder and _is_dead_local_holder(holder):
            cursor.execute(
                "UPDATE job_lock SET holder = %s, acquired_at = %s, expires_at = %s "
                "WHERE name = %s AND holder = %s",
                [token, now, expires, name, holder],
            )
            if cursor.rowcount == 1:
                logger.warning("lock %s: took over from %s, which has died", name, holder)
                return Lease(name, token, ttl)
    return None


def _is_dead_local_holder(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, owned by someone else
    return False


def lock_release(lease: Lease) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM job_lock WHERE name = %s AND holder = %s", [lease.name, lease.token]
        )


def lock_holder(*, name: str) -> str | None:
    """Who holds an unexpired lock, if anyone."""
    lock = JobLock.objects.filter(name=name, expires_at__gte=timezone.now()).first()
    return lock.holder if lock else None


@contextmanager
def locked(
    name: str, *, ttl: float = DEFAULT_TTL_SECONDS, wait_seconds: float = 0
) -> Iterator[Lease]:
    """Hold the lock `name` for the block. Raises JobAlreadyRunning when it is
    held elsewhere, at once or after waiting up to `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    while (lease := lock_try_acquire(name=name, ttl=ttl)) is None:
        if time.monotonic() >= deadline:
            raise JobAlreadyRunning(name, lock_holder(name=name))
        time.sleep(0.2)
    try:
        yield lease
    finally:
        try:
            lock_release(lease)
        except Exception:  # the connection may be gone; the lease then expires
            logger.warning("could not release lock %s; it expires by itself", name)
