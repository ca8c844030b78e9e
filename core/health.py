"""Liveness and readiness: what a load balancer or an orchestrator asks a web process.

- Liveness (`/healthz`) says that the process answers, and checks nothing
  else: restarting a web process brings no database back, so an outage of a
  service it depends on must never fail it.
- Readiness (`/readyz`, `manage.py readiness`) checks the services a request
  needs: the database, the shared cache and the Celery broker. They are
  checked at the same time, each within READINESS_TIMEOUT_SECONDS (its own
  client's timeout; django-health-check adds one second for that client to
  report before it gives up on it), so the answer comes within that plus a
  second. 200 when all answer, else 503 naming what failed.

The checks are django-health-check's where it has them (the database, Redis);
ours are the broker (one connection attempt through the Celery app, with no
retry loop) and the file cache (one that does not depend on the database, see
FileCache). Workers are not pinged: a web process is ready to take requests
whether or not a worker runs, since tasks wait in the broker.

Answers name the services and say what failed in words fixed by the checks;
no URL, host name or password reaches them (the details go to the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import logging
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as AsyncRedis

from core.broker import broker_connection

logger = logging.getLogger(__name__)


@dataclass
class Broker(HealthCheck):
    """The Celery broker takes a connection: one attempt, through the Celery
    app with its own settings (as the web process publishes), no retry. Kombu's
    default would retry for 20 s and more, which a probe must not wait for."""

    url: str = dataclasses.field(repr=False)  # may hold a password
    transport_options: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    seconds: float = dataclasses.field(default=2.0, repr=False)

    def run(self) -> None:
        try:
            with broker_connection(
                seconds=self.seconds, url=self.url, transport_options=self.transport_options
            ) as connection:
                if connection.transport_cls == "filesystem":
                    _queue_folder_writable(connection.transport_options)
        except ServiceUnavailable:
            raise
        except Exception as exc:  # whatever the transport raises, the broker is away
            cause = type(exc.__cause__ or exc).__name__
            raise ServiceUnavailable(f"Unable to connect to the broker ({cause}).") from exc


def _queue_folder_writable(options: dict[str, Any]) -> None:
    # The filesystem transport "connects" without touching a file; publishing
    # is writing a file into this folder.
    folder = options.get("data_folder_out", "data_out")
    if not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
        raise ServiceUnavailable("The broker's queue folder is missing or not writable.")


@dataclass
class FileCache(HealthCheck):
    """The file cache (no REDIS_URL): a value written to its folder reads back.

    django-health-check's Cache check does the same through `caches`, but the
    project's cache keys carry the database's identity (core.cache_namespace),
    so that check would fail whenever the database does and name the cache.
    This one goes to the same folder with Django's plain keys."""

    def run(self) -> None:
        backend = FileBasedCache(settings.CACHES["default"]["LOCATION"], {})
        key = f"readiness-{uuid.uuid4().hex}"
        try:
            backend.set(key, "ok", timeout=60)
            value = backend.get(key)
            backend.delete(key)
        except OSError as exc:
            raise ServiceUnavailable("The cache folder cannot be written.") from exc
        if value != "ok":
            raise ServiceUnavailable("A value written to the cache did not read back.")


@dataclass
class QuietDatabase(Database):
    """The library's `SELECT 1`, answering without the driver's message: it can
    name the database host ("failed to resolve host 'db.internal'"), and the
    answer is public. The message goes to the log."""

    def run(self) -> None:
        try:
            super().run()
        except ServiceUnavailable as exc:
            cause = type(exc.__cause__ or exc).__name__
            logger.warning("readiness: database unavailable: %s", exc.__cause__ or exc)
            raise ServiceUnavailable(f"The database did not answer ({cause}).") from exc


def _within(check: HealthCheck, seconds: float) -> HealthCheck:
    # The library's time budget is a class attribute on most of its checks.
    check.timeout = dt.timedelta(seconds=seconds)
    return check


def _cache_check(seconds: float) -> HealthCheck:
    if not settings.REDIS_URL:
        return FileCache()
    # Redis itself, not the cache backend: core.cache.TolerantRedisCache turns
    # an unreachable Redis into misses by design, so a set and a get through it
    # would pass while Redis is down.
    client = functools.partial(
        AsyncRedis.from_url,
        settings.REDIS_URL,
        socket_connect_timeout=seconds,
        socket_timeout=seconds,
    )
    return Redis(client_factory=client)


def readiness_checks() -> dict[str, HealthCheck]:
    """The checks by the names that answers use, from the current settings."""
    seconds = settings.READINESS_TIMEOUT_SECONDS
    broker = Broker(
        url=settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        seconds=seconds,
    )
    return {
        "database": _within(QuietDatabase(), seconds),
        "cache": _within(_cache_check(seconds), seconds),
        "broker": _within(broker, seconds),
    }


@contextlib.contextmanager
def _executor() -> Iterator[ThreadPoolExecutor]:
    """Threads for the blocking checks (database, broker, file cache) that the
    answer does not wait for: a check given up on (a connection attempt
    hanging past its timeout) finishes in the background, on its own client's
    timeout, instead of holding the answer at the event loop's shutdown."""
    executor = ThreadPoolExecutor(max_workers=3, thread_name_prefix="readiness")
    try:
        yield executor
    finally:
        executor.shutdown(wait=False)


async def readiness_results() -> dict[str, HealthCheckResult]:
    checks = readiness_checks()
    with _executor() as executor:
        results = await asyncio.gather(*(check.get_result(executor) for check in checks.values()))
    return dict(zip(checks, results, strict=True))


def outcome(result: HealthCheckResult) -> str:
    """`ok`, or `unavailable: <what the check said>`."""
    return "ok" if result.error is None else f"unavailable: {result.error.message}"


def readiness_body(results: dict[str, HealthCheckResult]) -> tuple[bool, dict[str, Any]]:
    ready = all(result.error is None for result in results.values())
    checks = {name: outcome(result) for name, result in results.items()}
    return ready, {"status": "ok" if ready else "unavailable", "checks": checks}


class ReadinessView(HealthCheckView):
    """The library's view (never cached, outside any transaction) with our
    answer: 503 rather than its 500, JSON keyed by service names rather than
    by repr(check), whatever the Accept header."""

    def get_checks(self) -> Iterator[HealthCheck]:
        # What the library's `health_check readyz --no-http` command runs.
        yield from readiness_checks().values()

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        ready, body = readiness_body(await readiness_results())
        return JsonResponse(body, status=200 if ready else 503)


@require_safe
@never_cache
def liveness(request: HttpRequest) -> JsonResponse:
    """200 whenever the process answers; nothing else is checked."""
    return JsonResponse({"status": "ok"})
