"""Faults with real services on loopback: PostgreSQL restarted under load,
Redis stopped, Redis hung and back with its old data, the broker stopped, and
what /readyz and `manage.py readiness` say meanwhile.

PostgreSQL under load is the suite's own cluster, stopped and started again (a
finally starts it whatever happens); for readiness it is a private cluster of
the test's own. Redis and the broker are private redis-server processes on a
free port, so that stopping them touches nothing else.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import override_settings

from accounts import services as account_services
from bench import common
from conversations.models import ConversationLog
from core.tests import live
from settings_app import selectors as settings_selectors

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
ROBEING = "/api/v1/robeings/rb8001"


# --- a private Redis ----------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own on 127.0.0.1:<free port>, no persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = common.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=0.5).ping():
                    return
            except Exception:
                time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def snapshot(self) -> None:
        """Write what it holds to its dump file, which the next start loads."""
        redis.Redis.from_url(self.url).save()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cache_on(private_redis, monkeypatch):
    """This process's caches (Django's, the settings versions, the rate
    limiter) on the private Redis."""
    # The project's own cache configuration, pointed at the private server.
    cache = {**settings.CACHES["default"], "LOCATION": private_redis.url}
    with override_settings(REDIS_URL=private_redis.url, CACHES={"default": cache}):
        monkeypatch.setattr(settings_selectors, "shared_versions", settings_selectors._SharedVersions())  # fmt: skip
        monkeypatch.setattr("core.ratelimit._limiter", None)
        settings_selectors.forget_local_cache()
        yield private_redis


def language(client) -> str:
    return client.get(f"{ROBEING}/settings/user_preference/language/").json()["value"]


def set_language(client, value: str) -> None:
    answer = client.patch(f"{ROBEING}/settings/user_preference/", {"language": value}, format="json")  # fmt: skip
    assert answer.status_code == 200, answer.content


def experience(client) -> int:
    answer = client.get(f"{ROBEING}/stats/")
    assert answer.status_code == 200, answer.content
    return answer.json()["experience"]


def report_task(client, task_id: str) -> None:
    body = {"task_id": task_id, "task_type": "email", "difficulty": 3, "outcome": "success"}
    assert client.post(f"{ROBEING}/tasks/", body, format="json").status_code == 201


# --- Redis stopped ----------------------------------------------------------------


@override_settings(SETTINGS_VERSION_CHECK_SECONDS=0)
def test_with_redis_stopped_settings_and_stats_come_from_the_database(cache_on, bot_client):
    assert language(bot_client) == "ko" and experience(bot_client) == 0  # warm cache

    cache_on.stop()
    set_language(bot_client, "en")
    report_task(bot_client, "T-during-outage")
    turn = {"message": "안녕", "channel_id": "C1", "event_id": "Ev-outage"}
    stored = bot_client.post(f"{ROBEING}/conversations/", turn, format="json")

    assert stored.status_code == 201
    assert language(bot_client) == "en"
    assert experience(bot_client) > 0
    xp_while_down = experience(bot_client)

    cache_on.start()  # back, empty (no persistence)
    assert language(bot_client) == "en"
    assert experience(bot_client) == xp_while_down


@override_settings(SETTINGS_VERSION_CHECK_SECONDS=0)
def test_redis_back_with_its_old_data_serves_nothing_stale(cache_on, bot_client):
    assert language(bot_client) == "ko"
    xp_before = experience(bot_client)  # both now cached in Redis
    cache_on.snapshot()

    cache_on.stop()  # refused: none of the writes below reaches it
    set_language(bot_client, "en")
    report_task(bot_client, "T-while-down")
    assert language(bot_client) == "en"
    xp_after = experience(bot_client)
    assert xp_after > xp_before
    cache_on.start()  # with the snapshot: the old versions, the old stats

    # The writes it missed go first, so nothing of the snapshot is served.
    assert language(bot_client) == "en"
    assert experience(bot_client) == xp_after


# --- the broker stopped -------------------------------------------------------------


def test_with_the_broker_stopped_the_api_works_and_stats_catch_up_when_it_returns(
    private_redis, bot_client, tmp_path
):
    private_redis.stop()  # the broker (Redis as Celery's transport)
    started = time.monotonic()
    for n in range(5):
        turn = {"message": f"질문 {n}", "channel_id": "C1", "event_id": f"Ev-broker-{n}"}
        assert bot_client.post(f"{ROBEING}/conversations/", turn, format="json").status_code == 201
    assert bot_client.get(f"{ROBEING}/context/?channel_id=C1").status_code == 200
    assert bot_client.get(f"{ROBEING}/stats/").json()["total_conversations"] == 0
    assert bot_client.get(f"{ROBEING}/settings/").status_code == 200
    assert time.monotonic() - started < 10  # nothing waited on the broker

    private_redis.start()
    with celery_worker(private_redis.url, tmp_path):
        # What beat sends every 5 minutes.
        live.send_task("stats.tasks.aggregate_conversation_stats", private_redis.url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if bot_client.get(f"{ROBEING}/stats/").json()["total_conversations"] == 5:
                break
            time.sleep(0.5)
    assert bot_client.get(f"{ROBEING}/stats/").json()["total_conversations"] == 5


@contextmanager
def celery_worker(broker: str, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """One Celery worker on `broker` and the test database, stopped on the way out."""
    env = live.project_env(
        CELERY_BROKER_URL=broker, VAR_DIR=str(tmp_path / "worker-var"), CONN_MAX_AGE="0"
    )
    process = subprocess.Popen(
        [common.PYTHON, "-m", "celery", "-A", "robeing_site", "worker", "--loglevel=WARNING",
         "--concurrency=1", "--without-mingle", "--without-gossip", "-n", "faults@%h"],
        cwd=common.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- PostgreSQL restarted under load -----------------------------------------------


@dataclass
class Outcome:
    event_id: str
    status: int | None  # None: no answer (connection dropped, timeout)
    retry_after: str | None
    code: str
    seconds: float


def pg_cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True, timeout=60, capture_output=True,
    )  # fmt: skip


def pg_is_up() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], timeout=10).returncode == 0


def send_turns(url: str, key: str, until: float, outcomes: list[Outcome]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Api-Key {key}"
    while time.monotonic() < until:
        event_id = f"Ev-{uuid.uuid4().hex}"
        started = time.monotonic()
        try:
            answer = session.post(
                f"{url}{ROBEING}/conversations/",
                json={"message": "회의 몇 시야?", "channel_id": "C1", "event_id": event_id},
                timeout=10,
            )
        except requests.RequestException:
            outcomes.append(Outcome(event_id, None, None, "", time.monotonic() - started))
            continue
        code = answer.json().get("code", "") if answer.status_code >= 400 else ""
        outcomes.append(
            Outcome(event_id, answer.status_code, answer.headers.get("Retry-After"), code,
                    time.monotonic() - started)
        )  # fmt: skip


def test_postgresql_restarted_under_load_answers_503_and_loses_no_acknowledged_turn(
    robeing, tmp_path
):
    _, key = account_services.api_key_create(robeing_id="rb8001", name="faults")
    env = live.project_env(
        DEBUG="false",
        LOG_LEVEL="ERROR",
        VAR_DIR=str(tmp_path / "var"),
        API_RATE_LIMIT_PER_KEY="off",
        API_RATE_LIMIT_PER_ADDRESS="off",
    )
    port = common.free_port()
    outcomes: list[Outcome] = []
    connection.close()
    with common.gunicorn(env, port, workers=("--workers", "2", "--threads", "2")):
        url = f"http://127.0.0.1:{port}"
        until = time.monotonic() + 9
        senders = [threading.Thread(target=send_turns, args=(url, key, until, outcomes)) for _ in range(3)]  # fmt: skip
        for sender in senders:
            sender.start()
        try:
            time.sleep(2)
            pg_cluster("stop")
            time.sleep(2)
        finally:
            if not pg_is_up():
                pg_cluster("start")
        for sender in senders:
            sender.join(timeout=30)
    connection.close()  # the test's own connection died with the server

    statuses = {o.status for o in outcomes}
    refused = [o for o in outcomes if o.status == 503]
    stored = [o for o in outcomes if o.status == 201]
    assert statuses <= {201, 503, None}, statuses
    assert refused, "the outage was not seen"
    assert all(o.retry_after == "5" and o.code == "database_unavailable" for o in refused)
    assert max(o.seconds for o in refused) < 5  # failing fast, not hanging
    assert any(o.status == 201 for o in outcomes[-20:])  # the workers recovered by themselves
    rows = dict(
        ConversationLog.objects.filter(event_id__in=[o.event_id for o in outcomes])
        .values_list("event_id")
        .annotate(n=Count("id"))
    )
    assert all(rows.get(o.event_id) == 1 for o in stored)  # every 201 stored, once
    assert not any(o.event_id in rows for o in refused)  # no 503 half stored


# --- readiness (/readyz, manage.py readiness) while a service is away ----------------


class PrivatePostgreSQL:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder) on
    127.0.0.1:<free port>: stopping it touches no other test's database.
    initdb refuses to run as root, so as root the cluster is the postgres user's."""

    def __init__(self) -> None:
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
        self.port = common.free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        # Not under pytest's tmp_path: the postgres user cannot enter root's.
        self.root = Path(tempfile.mkdtemp(prefix="robeing-pg-"))
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.root, "postgres")

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_owner, *command], check=True, timeout=60, capture_output=True)

    def create(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.root / "data"), "-U", "postgres",
                  "-A", "trust", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-o", options,
                  "-l", str(self.root / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                      "-w", "stop")  # fmt: skip

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgresql() -> Iterator[PrivatePostgreSQL]:
    server = PrivatePostgreSQL()
    try:
        server.create()
        server.start()
        yield server
    finally:
        server.stop()
        server.remove()


METRICS_TOKEN = "fault-tests-metrics-token-0123456789"


def readiness(url: str) -> tuple[int, dict]:
    answer = requests.get(f"{url}/readyz", timeout=10, allow_redirects=False)
    return answer.status_code, answer.json()["checks"]


def test_readyz_names_the_database_while_postgresql_is_stopped_and_is_200_once_it_is_back(
    private_postgresql, tmp_path
):
    # Production's HTTPS settings: the load balancer probes over plain HTTP all the same.
    env = live.project_env(
        DATABASE_URL=private_postgresql.url, DEBUG="false", SECURE_SSL_REDIRECT="true",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https", READINESS_TIMEOUT_SECONDS="1",
        LOG_LEVEL="CRITICAL", VAR_DIR=str(tmp_path / "var"), METRICS_TOKEN=METRICS_TOKEN,
    )  # fmt: skip
    port = common.free_port()
    with common.gunicorn(env, port, workers=("--workers", "1", "--threads", "2")):
        url = f"http://127.0.0.1:{port}"
        assert readiness(url) == (200, {"database": "ok", "cache": "ok", "broker": "ok"})

        private_postgresql.stop()
        started = time.monotonic()
        status, checks = readiness(url)
        assert time.monotonic() - started < 3
        assert status == 503
        assert checks["database"].startswith("unavailable: ")
        assert str(private_postgresql.port) not in checks["database"]
        assert checks["cache"] == "ok" and checks["broker"] == "ok"
        assert requests.get(f"{url}/healthz", timeout=10, allow_redirects=False).status_code == 200
        # The scrape still answers, with the counters, and says the database did not
        # (through the TLS proxy these settings expect: /metrics is not exempt).
        scrape = requests.get(
            f"{url}/metrics",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}", "X-Forwarded-Proto": "https"},
            timeout=10,
            allow_redirects=False,
        )
        assert scrape.status_code == 200
        assert "robeing_scrape_database_up 0.0" in scrape.text
        assert 'view="readyz"' in scrape.text

        private_postgresql.start()
        assert readiness(url) == (200, {"database": "ok", "cache": "ok", "broker": "ok"})


def test_manage_py_readiness_exits_1_naming_the_database_while_it_is_stopped_and_0_once_it_is_back(
    private_postgresql, tmp_path
):
    env = live.project_env(DATABASE_URL=private_postgresql.url, VAR_DIR=str(tmp_path / "var"))
    private_postgresql.stop()
    stopped = live.manage("readiness", env=env)
    output = stopped.communicate(timeout=60)[0].decode()

    assert stopped.returncode == 1
    assert "database: unavailable: " in output and "not ready: database" in output
    assert "cache: ok" in output and "broker: ok" in output

    private_postgresql.start()
    back = live.manage("readiness", env=env)
    output = back.communicate(timeout=60)[0].decode()

    assert back.returncode == 0, output
    assert output.splitlines() == ["database: ok", "cache: ok", "broker: ok"]


def test_readyz_names_the_cache_while_redis_is_stopped_and_is_200_once_it_is_back(cache_on, client):
    assert client.get("/readyz").status_code == 200

    cache_on.stop()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "unavailable",
        "checks": {
            "database": "ok",
            "cache": "unavailable: Unable to connect to Redis: Connection Error",
            "broker": "ok",
        },
    }

    cache_on.start()
    assert client.get("/readyz").status_code == 200


def test_readyz_names_the_broker_while_it_is_stopped_and_is_200_once_it_is_back(
    private_redis, client
):
    with override_settings(CELERY_BROKER_URL=private_redis.url, CELERY_BROKER_TRANSPORT_OPTIONS={}):
        assert client.get("/readyz").status_code == 200

        private_redis.stop()
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"] == {
            "database": "ok",
            "cache": "ok",
            "broker": "unavailable: Unable to connect to the broker (ConnectionError).",
        }

        private_redis.start()
        assert client.get("/readyz").status_code == 200
