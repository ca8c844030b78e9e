"""The Celery app. Start a worker and beat with:

celery -A robeing_site worker --loglevel=INFO
celery -A robeing_site beat --loglevel=INFO   # exactly one beat per deployment
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import celeryd_init, setup_logging, worker_process_shutdown
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robeing_site.settings")

app = Celery("robeing_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The request id of the HTTP request that queued a task, bound to every log
# line the task writes (django-structlog reads it from the message headers).
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _keep_djangos_logging(**kwargs) -> None:
    """A receiver here tells Celery not to configure logging: Django's
    LOGGING (core/logging.py) already has, so the worker's lines have the
    same shape as the web's and carry the request id."""


@celeryd_init.connect
def _metrics_as_the_worker_service(**kwargs) -> None:
    """In the worker's main process, before its pool forks: its processes
    count as the worker service, and the files of an earlier run go."""
    from core.metrics import metrics_service_use

    metrics_service_use("worker")


@worker_process_shutdown.connect
def _metrics_of_a_dead_process(pid: int, **kwargs) -> None:
    from core.metrics import metrics_process_dead

    metrics_process_dead(pid)
