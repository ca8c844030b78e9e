"""The client against the real server: gunicorn on the test database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from accounts import services as account_services
from bench import common
from core.tests import live


@dataclass
class Server:
    """A gunicorn that a test may stop and start again on the same port."""

    env: dict[str, str]
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "robeing_site.wsgi:application",
                   "--bind", f"127.0.0.1:{self.port}", *common.GTHREAD, "--log-level", "warning"]  # fmt: skip
        self.process = subprocess.Popen(command, env=self.env, cwd=live.ROOT)
        common.wait_until_up(self.process, self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    env = live.project_env(
        DEBUG="false", LOG_LEVEL="WARNING", VAR_DIR=str(tmp_path / "var"), CONN_MAX_AGE="0",
        API_RATE_LIMIT_PER_KEY="off", API_RATE_LIMIT_PER_ADDRESS="off",
        SETTINGS_VERSION_CHECK_SECONDS="0", API_KEY_CACHE_SECONDS="0",
    )  # fmt: skip
    running = Server(env, common.free_port())
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def key(robeing) -> str:
    _, raw = account_services.api_key_create(robeing_id="rb8001", name="client tests")
    return raw
