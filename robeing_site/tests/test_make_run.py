"""`make run`, as a developer uses it: one Ctrl-C stops everything, and the
.env it writes lets manage.py run in a plain shell.

The Ctrl-C test starts `make run` itself as a terminal would, make leading a
process group of its own, on the embedded default (SQLite and the filesystem
broker under a temporary VAR_DIR), a temporary .env, a free port and 50 demo
turns. honcho starts the web app, the worker and beat in sessions of their own,
so the test finds every process of the run by the VAR_DIR in its environment,
wherever it was re-parented, and a `finally` SIGKILLs whatever is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest

from bench import common

ROOT = Path(__file__).resolve().parents[2]
# What the suite sets for itself (robeing_site/testing_env.py) or what would
# point the run at a server: `make run` starts as from a plain shell.
NOT_INHERITED = {
    "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY",
    "ALLOWED_HOSTS", "ENV_FILE", "VAR_DIR", "PORT", "DJANGO_SETTINGS_MODULE",
    # A `make test` around the suite: its job server and variables are not ours.
    "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
}  # fmt: skip
STARTED_WITHIN = 120  # seconds: migrations, 50 demo turns, three processes up
STOPPED_WITHIN = 10  # seconds after Ctrl-C


def plain_env(tmp_path: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    return {**env, "VAR_DIR": str(tmp_path / "var"), "ENV_FILE": str(tmp_path / ".env")}


def processes_of_the_run(var_dir: Path) -> dict[int, str]:
    """pid -> command line of every live process started with VAR_DIR=var_dir."""
    needle = f"VAR_DIR={var_dir}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:  # a zombie's environ reads empty; a process may be gone meanwhile
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
    return {pid: cmdline.decode(errors="replace").strip() for pid, cmdline in found.items()}


def web_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def kill_the_run(run: subprocess.Popen, var_dir: Path) -> None:
    with suppress(ProcessLookupError):
        os.killpg(run.pid, signal.SIGKILL)
    for pid in processes_of_the_run(var_dir):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    run.wait(timeout=10)


@pytest.mark.embedded
def test_it_stops_the_web_app_the_worker_and_beat_on_one_ctrl_c(tmp_path):
    assert (ROOT / ".venv" / "bin" / "honcho").exists(), "make install first"
    env, port = plain_env(tmp_path), common.free_port()
    var_dir = Path(env["VAR_DIR"])
    lines: list[str] = []

    def printed() -> str:
        return "".join(lines)

    run = subprocess.Popen(
        # -o: whatever the stamp's age, this test never reinstalls the venv.
        ["make", "--no-print-directory", "-o", ".venv/.installed", "run", "DEMO_TURNS=50",
         f"PORT={port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    reader = threading.Thread(target=lambda: lines.extend(run.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + STARTED_WITHIN
        while not (
            web_answers(f"http://127.0.0.1:{port}/admin/login/")
            and " ready." in printed()  # the worker: "celery@<host> ready."
            and "beat: Starting..." in printed()
        ):
            if run.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make run did not come up:\n{printed()}")
            time.sleep(0.5)

        stopping = time.monotonic()
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the terminal signals its foreground group
        while run.poll() is None or processes_of_the_run(var_dir):
            if time.monotonic() - stopping > STOPPED_WITHIN:
                left = processes_of_the_run(var_dir)
                pytest.fail(f"still running {STOPPED_WITHIN} s after Ctrl-C: {left}\n{printed()}")
            time.sleep(0.1)
        reader.join(timeout=5)
    finally:
        kill_the_run(run, var_dir)

    output = printed()
    assert "Segmentation fault" not in output and "SIGSEGV" not in output, output
    # One signal each, from honcho: the terminal's SIGINT reached none of them.
    for process in ("web.1", "worker.1", "beat.1"):
        assert output.count(f"sending SIGTERM to {process} ") == 1, output
    assert output.count("Warm shutdown") <= 1, output  # one worker
    assert output.count("shutdown (MainProcess)") == 1, output  # one shutdown (Procfile)
    assert "exited with 'signal" not in output, output  # its pool stopped by the worker
    assert "sending SIGKILL" not in output, output  # each stopped by itself, in time


def test_it_writes_a_local_env_once_and_manage_py_runs_with_it_in_a_plain_shell(tmp_path):
    env = plain_env(tmp_path)
    env_file = Path(env["ENV_FILE"])
    write = ["make", "--no-print-directory", f"ENV_FILE={env_file}", str(env_file)]

    subprocess.run(write, cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    written = env_file.read_text()
    subprocess.run(write, cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert env_file.read_text() == written  # never overwritten
    assert env_file.stat().st_mode & 0o077 == 0  # a secret: the owner's only
    settings = dict(line.split("=", 1) for line in written.splitlines() if "=" in line)
    assert settings["DEBUG"] == "true"
    assert len(settings["SECRET_KEY"]) >= 50
    assert check.returncode == 0, check.stderr
