"""Processes a test starts against its own test database: a manage.py
command, a Celery worker, gunicorn (bench.common). Shared by the tests that
kill jobs, fault services or fuzz the live API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """DATABASE_URL of the database this test runs on (test_<name>)."""
    database = settings.DATABASES["default"]
    return (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{connection.settings_dict['NAME']}"
    )


def project_env(**overrides: str) -> dict[str, str]:
    """The suite's environment, on the test database, with `overrides`."""
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "ENV_FILE": os.devnull,  # not the checkout's .env (make run writes one)
        "SECRET_KEY": "test",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "PYTHONUNBUFFERED": "1",  # each line reaches the test as it is printed
        **overrides,
    }


def manage(*args: str, env: dict[str, str], output: bool = True) -> subprocess.Popen:
    """`manage.py *args` in a child process; stdout and stderr as one pipe."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE if output else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if output else subprocess.DEVNULL,
    )  # fmt: skip


def killed_after_lines(command: subprocess.Popen, lines: int) -> bool:
    """SIGKILL `command` once it has printed `lines` lines (so the kill lands
    at a different point of its work each time, however fast the machine);
    False if it finished first."""
    killed = False
    for printed, _line in enumerate(command.stdout, start=1):
        if printed == lines:
            command.send_signal(signal.SIGKILL)
            killed = True
            break
    command.communicate(timeout=300)
    return killed


def send_task(task_name: str, broker_url: str) -> None:
    """Publish a task on a real broker, as beat does."""
    from robeing_site.celery import app

    with app.connection_for_write(broker_url) as broker:
        app.send_task(task_name, connection=broker)
