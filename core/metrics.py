"""Prometheus metrics shared by every process on a host.

gunicorn workers and Celery worker processes each count in their own memory-
mapped files under PROMETHEUS_MULTIPROC_DIR (set from METRICS_DIR in
settings, before any metric exists); `/metrics` adds them up at scrape time
(prometheus-client's multiprocess mode). Counters and histograms only: a
per-process gauge would need a live-process bookkeeping mode for little gain,
and every gauge we publish is read from the database when scraped instead.

Label values stay bounded: a view name, a status code, a robeing id, a job
name. Never a user id, an event id or a raw path.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

logger = logging.getLogger(__name__)

# The value class is chosen when prometheus_client is first imported; a test
# runner or a library may have imported it before settings set the directory.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and not values.ValueClass._multiprocess:
    values.ValueClass = values.MultiProcessValue()

# Seconds; from a cached settings read (~1 ms) to a slow archive page (10 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def counter(name: str, documentation: str, labels: list[str]) -> Counter:
    """A counter summed over the host's processes (exposed as `<name>_total`)."""
    return Counter(name, documentation, labels, registry=None)


def histogram(
    name: str,
    documentation: str,
    labels: list[str],
    *,
    buckets: tuple[float, ...] = LATENCY_BUCKETS,
) -> Histogram:
    return Histogram(name, documentation, labels, buckets=buckets, registry=None)


http_request_duration = histogram(
    "robeing_http_request_duration_seconds",
    "Time from the first middleware to the response, by view, method and status.",
    ["view", "method", "status"],
)
cache_requests = counter(
    "robeing_cache_requests",
    "Reads of the settings and stats caches, by whether the value was there.",
    ["cache", "result"],
)


def metrics_dir() -> Path | None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


def registry_with_all_processes(*collectors: object) -> CollectorRegistry:
    """A registry that sums every process's files, plus `collectors`
    (scrape-time readings)."""
    registry = CollectorRegistry()
    if metrics_dir() is not None:
        multiprocess.MultiProcessCollector(registry)
    for collector in collectors:
        registry.register(collector)
    return registry


def exposition(*collectors: object) -> bytes:
    return generate_latest(registry_with_all_processes(*collectors))


_PID_OF_FILE = re.compile(r"_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def metrics_files_clear_dead() -> int:
    """Delete the files of processes that no longer run (and this process's
    own, left by an earlier one with the same pid). Called when a server or a
    worker starts: the processes of an earlier run must not add their counts
    to this one's, and a directory shared with a still-running worker keeps
    that worker's files. Returns how many files went."""
    directory = metrics_dir()
    if directory is None:
        return 0
    removed = 0
    for file in directory.glob("*.db"):
        match = _PID_OF_FILE.search(file.name)
        if not match:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or not _alive(pid):
            file.unlink(missing_ok=True)
            removed += 1
    return removed


def metrics_process_dead(pid: int) -> None:
    """A worker process exited (gunicorn's child_exit, Celery's process
    shutdown): prometheus-client drops its live gauges. Its counters stay,
    so totals do not go backwards while the server runs."""
    if metrics_dir() is not None:
        multiprocess.mark_process_dead(pid)


def bounded(value: str, allowed: Iterable[str], *, other: str = "other") -> str:
    return value if value in allowed else other
