"""The scheduled jobs through a real Celery worker and the real broker (Redis
on 127.0.0.1:6379), not task.apply(): a worker process started for this
module consumes what the tests send, against the test database."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import ConversationArchive, ConversationLog, UncountedTurn
from conversations.schemas import TurnIn
from conversations.tests.factories import ConversationLogFactory
from core.tests import live
from jobs import services as job_services
from privacy import services as privacy_services
from privacy.models import ErasureRequest, RequestStatus
from stats.models import RobeingStats

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """A `celery worker` subprocess and what it has logged so far."""

    def __init__(self, process: subprocess.Popen, files: Path) -> None:
        self.process, self.files = process, files
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def log_since(self, mark: int) -> str:
        return "\n".join(self.lines[mark:])

    def wait_for_log(self, text: str, *, since: int = 0, timeout: float = 60) -> None:
        wait_until(lambda: text in self.log_since(since), timeout, f"worker log line {text!r}")


def wait_until(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Worker]:
    redis.Redis.from_url(BROKER_URL).flushdb()  # no messages from an earlier run
    files = tmp_path_factory.mktemp("worker-files")
    database = settings.DATABASES["default"]
    with django_db_blocker.unblock():
        test_database_name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
            f"/{test_database_name}"
        ),
        "CELERY_BROKER_URL": BROKER_URL,
        "VAR_DIR": str(files / "var"),
        "ARCHIVE_STORAGE_OPTIONS": json.dumps({"location": str(files / "archives")}),
        "EXPORT_STORAGE_OPTIONS": json.dumps({"location": str(files / "exports")}),
        "SECRET_KEY": "test-worker",
        "ALLOWED_HOSTS": "localhost",
        "CONN_MAX_AGE": "0",  # the test database is flushed between tests
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "robeing_site", "worker", "--loglevel=INFO",
         "--concurrency=1", "--without-mingle", "--without-gossip", "-n", "test@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    running = Worker(process, files)
    try:
        running.wait_for_log("ready.", timeout=90)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def worker_storages(worker, settings):
    """This test reads archives and exports where the worker writes them."""
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(worker.files / "archives")},
        },
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(worker.files / "exports")},
        },
    }
    return worker


def send(task_name: str) -> None:
    live.send_task(task_name, BROKER_URL)


def test_the_stats_aggregation_runs_through_the_broker(worker, robeing):
    turns = [TurnIn(message=f"안녕 {i}") for i in range(7)]
    conversation_services.conversation_turns_record(robeing_id="rb8001", turns=turns)

    send("stats.tasks.aggregate_conversation_stats")

    wait_until(
        lambda: RobeingStats.objects.get(robeing_id="rb8001").total_conversations == 7,
        60,
        "the worker to count 7 turns",
    )
    assert not UncountedTurn.objects.exists()


def test_the_archive_job_runs_through_the_broker(worker_storages, robeing):
    long_ago = timezone.now() - dt.timedelta(days=200)
    turns = [
        ConversationLogFactory(robeing=robeing, timestamp=long_ago, counted=True) for _ in range(3)
    ]

    send("conversations.tasks.archive_conversations")

    wait_until(
        lambda: ConversationArchive.objects.filter(state="complete").exists(),
        60,
        "the worker to archive",
    )
    archive = ConversationArchive.objects.get()
    assert archive.row_count == 3
    assert not ConversationLog.objects.filter(id__in=[t.id for t in turns]).exists()
    assert (worker_storages.files / "archives" / archive.path).exists()


def test_the_privacy_job_runs_an_erasure_through_the_broker(worker_storages, robeing):
    ConversationLogFactory(robeing=robeing, slack_user_id="UGONE")
    ConversationLogFactory(robeing=robeing, slack_user_id="USTAYS")
    request = privacy_services.erasure_request_create(slack_user_id="UGONE")

    send("privacy.tasks.process_privacy_requests")

    wait_until(
        lambda: ErasureRequest.objects.get(id=request.id).status == RequestStatus.DONE,
        60,
        "the worker to finish the erasure",
    )
    assert list(ConversationLog.objects.values_list("slack_user_id", flat=True)) == ["USTAYS"]
    assert ErasureRequest.objects.get(id=request.id).counts["hot_turns"] == 1


def test_a_run_that_finds_its_job_already_running_is_refused(worker_storages, robeing):
    long_ago = timezone.now() - dt.timedelta(days=200)
    ConversationLogFactory(robeing=robeing, timestamp=long_ago, counted=True)
    mark = len(worker_storages.lines)

    with job_services.locked("archive-job") as held:  # another run, elsewhere
        send("conversations.tasks.archive_conversations")
        worker_storages.wait_for_log("not started", since=mark)
        assert held.token in worker_storages.log_since(mark)
        assert not ConversationArchive.objects.exists()
        assert ConversationLog.objects.count() == 1

    send("conversations.tasks.archive_conversations")  # the next run does the work
    wait_until(lambda: ConversationArchive.objects.exists(), 60, "the worker to archive")
