"""Prometheus metrics shared by every process on a host.

Each process counts in its own memory-mapped files (prometheus-client's
multiprocess mode), in the folder of its service under METRICS_DIR: `web`
(gunicorn workers), `worker` (Celery processes), `command` (manage.py).
`/metrics` adds up each folder and labels the series with its `service`, so a
service's restart, which deletes its dead processes' files, resets only its
own series: Prometheus reads that as a counter reset, as it should.
Counters and histograms only; the gauges are read from the database at
scrape time. Every metric has labels, so a process that never counts
anything (a readiness probe, a shell) writes no file.

Label values stay bounded: a view name, a status code, a robeing id, a job
name. Never a user id, an event id or a raw path.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

from django.conf import settings
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.metrics_core import Metric

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


SERVICES = ("web", "worker", "command")


class AllServices:
    """Each service's folder summed (prometheus-client's merge), its series
    labelled `service`; one family per metric name across the folders."""

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Metric] = {}
        for service in SERVICES:
            files = [str(path) for path in (settings.METRICS_DIR / service).glob("*.db")]
            for family in multiprocess.MultiProcessCollector.merge(files, accumulate=True):
                merged = families.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                for sample in family.samples:
                    merged.add_sample(
                        sample.name, {**sample.labels, "service": service}, sample.value
                    )
        return list(families.values())


def exposition(*collectors: object) -> bytes:
    """Every service's counts and `collectors` (scrape-time readings)."""
    registry = CollectorRegistry()
    for collector in (AllServices(), *collectors):
        registry.register(collector)
    return generate_latest(registry)


_PID_OF_FILE = re.compile(r"_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def metrics_service_use(service: str) -> int:
    """Count this process (and the processes it forks) under `service`, and
    delete that service's files of processes that no longer run: at a
    server's or worker's start, so the counts of an earlier run do not add to
    this one's. Another service's files, and this process's own, stay.
    Returns how many files went."""
    directory = settings.METRICS_DIR / service
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["METRICS_SERVICE"] = service
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    removed = 0
    for file in directory.glob("*.db"):
        match = _PID_OF_FILE.search(file.name)
        if match and not _alive(int(match.group(1))):
            file.unlink(missing_ok=True)
            removed += 1
    return removed


def metrics_process_dead(pid: int) -> None:
    """A worker process exited (gunicorn's child_exit, Celery's process
    shutdown): prometheus-client drops its live gauges. Its counters stay,
    so totals do not go backwards while the server runs."""
    multiprocess.mark_process_dead(pid)
