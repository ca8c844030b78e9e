"""`/metrics`: what every process counted, and what the database says now.

The counters and histograms come from the host's processes (core.metrics,
prometheus-client's multiprocess files). The gauges are read at scrape time
from the database and the broker, so they are right whichever process, host
or manage.py command did the work: the aggregation's lag, each job's last
success, overdue privacy requests, the broker's queue length.

Access: `Authorization: Bearer <METRICS_TOKEN>`, or a staff session.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import ChannelError
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily, Metric

from conversations import selectors as conversation_selectors
from core import metrics
from core.broker import broker_connection
from jobs import selectors as job_selectors
from privacy import selectors as privacy_selectors
from robeing_site.celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.0


class DatabaseReadings:
    """Gauges read when Prometheus scrapes. A database that is away yields
    `robeing_scrape_database_up 0` instead of an error page: the rest of the
    scrape (every counter) still arrives."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "robeing_scrape_database_up",
            "1 when the database answered this scrape's readings, else 0.",
        )
        try:
            families = list(self._readings())
        except DatabaseError as error:
            logger.warning("metrics: database readings failed: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _readings(self) -> Iterator[Metric]:
        now = timezone.now()
        oldest = conversation_selectors.uncounted_oldest_ingested_at()
        yield GaugeMetricFamily(
            "robeing_stats_aggregation_lag_seconds",
            "Age of the oldest stored turn the stats aggregation has not counted (0: none).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )
        last_success = GaugeMetricFamily(
            "robeing_job_last_success_timestamp_seconds",
            "When each job last succeeded (Unix time); absent for a job that never has.",
            labels=["job"],
        )
        since_success = GaugeMetricFamily(
            "robeing_job_seconds_since_success",
            "Seconds since each job last succeeded (the stats update cycle, 스탯 업데이트 주기).",
            labels=["job"],
        )
        overdue = GaugeMetricFamily(
            "robeing_job_overdue",
            "1 when a scheduled job has not succeeded within twice its interval.",
            labels=["job"],
        )
        interval = GaugeMetricFamily(
            "robeing_job_interval_seconds",
            "Each scheduled job's interval (a crontab's average).",
            labels=["job"],
        )
        for status in job_selectors.job_statuses():
            label = job_selectors.job_label(status.job)
            overdue.add_metric([label], int(status.overdue(now)))
            if status.interval is not None:
                interval.add_metric([label], status.interval.total_seconds())
            if status.last_success_at is not None:
                last_success.add_metric([label], status.last_success_at.timestamp())
                since_success.add_metric([label], (now - status.last_success_at).total_seconds())
        yield from (last_success, since_success, overdue, interval)
        privacy = GaugeMetricFamily(
            "robeing_privacy_requests_overdue",
            "Erasure and export requests not answered by their deadline.",
            labels=["kind"],
        )
        for kind, count in privacy_selectors.requests_overdue_counts().items():
            privacy.add_metric([kind], count)
        yield privacy


class BrokerReadings:
    """The length of the Celery queue, asked of the broker with a short
    timeout; `robeing_scrape_broker_up 0` when it does not answer."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "robeing_scrape_broker_up", "1 when the Celery broker answered this scrape, else 0."
        )
        queue = GaugeMetricFamily(
            "robeing_celery_queue_length", "Messages waiting in the Celery queue.", labels=["queue"]
        )
        name = celery_app.conf.task_default_queue
        try:
            queue.add_metric([name], queue_length(name))
        except Exception as error:  # any transport's failure: report it, do not fail the scrape
            logger.warning(
                "metrics: broker reading failed: %s", type(error).__name__, exc_info=True
            )
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield queue


def queue_length(name: str) -> int:
    with broker_connection(seconds=BROKER_TIMEOUT_SECONDS) as connection:
        try:
            return connection.default_channel.queue_declare(queue=name, passive=True).message_count
        except ChannelError:  # the queue does not exist yet: nothing was ever queued
            return 0


def allowed(request: HttpRequest) -> int | None:
    """None when the scraper may read the metrics, else the status to refuse with."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if (
            scheme.lower() == "bearer"
            and settings.METRICS_TOKEN
            and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())
        ):
            return None
        return 403
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None if user.is_staff and user.is_active else 403
    return 401


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    refusal = allowed(request)
    if refusal == 401:
        response = HttpResponse(
            "Metrics need `Authorization: Bearer <METRICS_TOKEN>` or a staff login.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if refusal:
        return HttpResponse(
            "This token or account may not read the metrics.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    body = metrics.exposition(DatabaseReadings(), BrokerReadings())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
