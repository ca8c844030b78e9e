"""Metrics and logs of the real processes: gunicorn with two workers (the
project's gunicorn_conf.py and its hooks) and a Celery worker, on the test
database and a real Redis broker, logging JSON lines to files the test reads."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from prometheus_client import multiprocess
from prometheus_client.parser import text_string_to_metric_families

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from bench import common
from core.tests import live
from jobs.models import JobRun

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
TOKEN = "live-scrape-token-of-the-test-suite"
BROKER_URL = "redis://127.0.0.1:6379/12"
PASSWORD = "correct horse battery staple"


@dataclass
class Process:
    process: subprocess.Popen
    log: Path

    def lines(self) -> list[dict]:
        """The JSON lines logged so far (gunicorn's own lines are not JSON)."""
        parsed = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                parsed.append(json.loads(line))
        return parsed

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start(command: list[str], env: dict[str, str], log: Path) -> Process:
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=live.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Process(process, log)


def wait_until(check, timeout: float, what: str, process: Process) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process.process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen:\n{process.log.read_text()[-4000:]}")


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    redis.Redis.from_url(BROKER_URL).flushdb()
    return live.project_env(
        DEBUG="false",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        METRICS_DIR=str(tmp_path / "metrics"),
        METRICS_TOKEN=TOKEN,
        VAR_DIR=str(tmp_path / "var"),
        CELERY_BROKER_URL=BROKER_URL,
        CONN_MAX_AGE="0",
        API_RATE_LIMIT_PER_KEY="off",
        API_RATE_LIMIT_PER_ADDRESS="off",
    )


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[str, Process]]:
    """gunicorn with the project's gunicorn_conf.py and two workers."""
    port = common.free_port()
    env = {**env, "PORT": str(port), "WEB_CONCURRENCY": "2"}
    command = [sys.executable, "-m", "gunicorn", "-c", "robeing_site/gunicorn_conf.py"]
    server = start(command, env, log)
    try:
        common.wait_until_up(server.process, port)
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.stop()


@pytest.fixture
def web(environment, tmp_path) -> Iterator[tuple[str, Process]]:
    with serving(environment, tmp_path / "web.log") as running:
        yield running


@pytest.fixture
def worker(environment, tmp_path) -> Iterator[Process]:
    command = [sys.executable, "-m", "celery", "-A", "robeing_site", "worker",
               "--concurrency=1", "--without-mingle", "--without-gossip", "-n", "metrics@%h"]  # fmt: skip
    process = start(command, environment, tmp_path / "worker.log")
    try:
        wait_until(lambda: "ready." in process.log.read_text(), 90, "worker start", process)
        yield process
    finally:
        process.stop()


def call(url: str, *, method: str = "GET", body=None, headers=None) -> tuple[int, dict, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    status, _, body = call(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    return samples(body.decode())


def turns_per_worker(metrics_dir: Path, worker_pids: list[int]) -> dict[int, float]:
    """Turns each gunicorn worker counted, from its own file."""
    counts = {}
    for pid in worker_pids:
        files = [str(path) for path in metrics_dir.glob(f"counter_{pid}.db")]
        total = 0.0
        for family in multiprocess.MultiProcessCollector.merge(files, accumulate=True):
            for sample in family.samples:
                if sample.name == "robeing_turns_ingested_total":
                    total += sample.value
        counts[pid] = total
    return counts


def children(pid: int) -> list[int]:
    output = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in output.split()]


def test_metrics_add_up_ingest_an_aggregation_and_a_job_run_across_two_workers(
    web, environment, robeing
):
    url, server = web
    _, key = account_services.api_key_create(robeing_id="rb8001", name="metrics")
    bot = {"Authorization": f"Api-Key {key}"}
    turns = f"{url}/api/v1/robeings/rb8001/conversations/"

    def post_turn(number: int) -> int:
        body = {"message": f"안녕 {number}", "event_id": f"Ev-metrics-{number}"}
        return call(turns, method="POST", body=body, headers=bot)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:  # two sync workers: both serve
        assert set(pool.map(post_turn, range(30))) == {201}
    assert post_turn(0) == 200  # the same event again: a duplicate
    assert call(turns, method="POST", body={"response": "no message"}, headers=bot)[0] == 400
    batch = {"turns": [{"message": "a"}, {"message": "b"}, {"message": "c"}, {"confidence": 2}]}
    assert call(f"{turns}batch/", method="POST", body=batch, headers=bot)[0] == 200
    assert scrape(url)[("robeing_stats_aggregation_lag_seconds", ())] > 0

    aggregation = live.manage("aggregate_stats", env=environment)
    assert aggregation.wait(timeout=120) == 0
    found = scrape(url)

    def metric(name: str, **labels: str) -> float | None:
        return found.get((name, tuple(sorted(labels.items()))))

    rb = {"robeing": "rb8001", "service": "web"}
    assert metric("robeing_turns_ingested_total", outcome="created", **rb) == 33
    assert metric("robeing_turns_ingested_total", outcome="duplicate", **rb) == 1
    assert metric("robeing_turns_ingested_total", outcome="error", **rb) == 2
    assert metric("robeing_turn_save_seconds_count", endpoint="single", service="web") == 31
    assert metric("robeing_turn_batch_size_count", **rb) == 1
    assert metric("robeing_turn_batch_size_sum", **rb) == 4
    route = {"view": "conversation-list", "method": "POST", "service": "web"}
    assert metric("robeing_http_request_duration_seconds_count", status="201", **route) == 30
    assert metric("robeing_http_request_duration_seconds_count", status="400", **route) == 1
    # The aggregation ran as a manage.py command: its series are the command service's.
    job = {"job": "aggregate_conversation_stats", "service": "command"}
    assert metric("robeing_job_runs_total", outcome="ok", **job) == 1
    assert metric("robeing_job_items_total", item="turns_counted", **job) == 33
    assert metric("robeing_stats_aggregation_lag_seconds") == 0
    since = metric("robeing_job_seconds_since_success", job="aggregate_conversation_stats")
    assert 0 <= since < 120
    assert metric("robeing_scrape_database_up") == 1
    assert metric("robeing_scrape_broker_up") == 1
    # The sum is over both workers: each served some of the turns.
    web_files = Path(environment["METRICS_DIR"]) / "web"
    per_worker = turns_per_worker(web_files, children(server.process.pid))
    assert len(per_worker) == 2 and all(per_worker.values()), per_worker
    assert sum(per_worker.values()) == 36

    assert call(f"{url}/metrics")[0] == 401
    assert call(f"{url}/metrics", headers={"Authorization": "Bearer wrong"})[0] == 403


def erasure_request_post(url: str, slack_user: str) -> tuple[int, dict, bytes]:
    staff = UserFactory(is_staff=True, permissions=["add_erasurerequest"])
    basic = base64.b64encode(f"{staff.email}:{PASSWORD}".encode()).decode()
    return call(
        f"{url}/api/v1/privacy/erasure-requests/",
        method="POST",
        body={"slack_user_id": slack_user},
        headers={"Authorization": f"Basic {basic}"},
    )


def test_the_request_id_is_in_the_response_the_request_line_and_the_queued_tasks_lines(web, worker):
    url, server = web
    slack_user = f"U{uuid.uuid4().hex[:10].upper()}"

    status, headers, body = erasure_request_post(url, slack_user)

    assert status == 201, body
    request_id = headers["X-Request-ID"]
    wait_until(
        lambda: JobRun.objects.filter(request_id=request_id, outcome="ok").exists(),
        60,
        "the queued privacy run",
        worker,
    )
    [request_line] = [
        line for line in server.lines()
        if line.get("request_id") == request_id and line["event"] == "request_finished"
    ]  # fmt: skip
    assert request_line["method"] == "POST"
    assert request_line["route"] == "privacy-erasure-list"
    assert request_line["status"] == 201
    assert request_line["duration_ms"] > 0
    assert "request" not in request_line and "ip" not in request_line
    web_log = server.log.read_text()
    assert slack_user not in web_log  # the subject is personal data
    task_lines = [line for line in worker.lines() if line.get("request_id") == request_id]
    events = {line["event"] for line in task_lines}
    assert {"task_started", "task_succeeded"} <= events, task_lines
    assert all(line.get("task_id") for line in task_lines)


def test_a_refused_request_is_logged_once(web):
    url, server = web

    status, headers, _ = call(f"{url}/api/v1/robeings/rb8001/conversations/", method="POST")

    def lines() -> list[str]:
        text = server.log.read_text()
        return [line for line in text.splitlines() if headers["X-Request-ID"] in line]

    # The line is written as the response goes out; wait until the file has it.
    wait_until(lambda: lines(), 10, "the request's log line", server)
    time.sleep(0.2)  # and a moment for a second copy, if one were written
    assert status == 401
    assert len(lines()) == 1, lines()
    assert json.loads(lines()[0])["status"] == 401
    assert "Unauthorized:" not in server.log.read_text()  # Django's own copy of the line


def test_a_privacy_request_is_accepted_at_once_while_the_broker_is_away(environment, tmp_path):
    # Nothing listens there: the queueing after commit fails, and beat's next run answers.
    away = {**environment, "CELERY_BROKER_URL": f"redis://127.0.0.1:{common.free_port()}/0"}
    with serving(away, tmp_path / "web.log") as (url, server):
        started = time.monotonic()
        status, headers, body = erasure_request_post(url, "U0BROKERAWAY")
        took = time.monotonic() - started

    assert status == 201, body
    assert took < 3
    assert json.loads(body)["status"] == "pending"
    lines = [line for line in server.lines() if line.get("request_id") == headers["X-Request-ID"]]
    assert any(line["event"].startswith("privacy run not queued") for line in lines), lines
