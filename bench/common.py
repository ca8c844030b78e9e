"""What every benchmark script shares: throwaway databases, manage.py against
them, the real project's environment, gunicorn servers and wrk rounds.

Everything here talks to 127.0.0.1 only, and every wait has a time limit, so a
bench that goes wrong fails instead of hanging.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
PYTHON = sys.executable
# gunicorn worker settings: the default of the older benches, and the other class.
GTHREAD = ("--workers", "2", "--worker-class", "gthread", "--threads", "4")
SYNC = ("--workers", "3", "--worker-class", "sync")


def database_url(name: str) -> str:
    return f"{PG}/{name}"


def database_recreate(name: str, *, template: str | None = None) -> str:
    """Drop `name` if it exists and create it empty, or as a copy of `template`
    (same tables, indexes and rows; PostgreSQL needs the template unused)."""
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create = sql.SQL("{} TEMPLATE {}").format(create, sql.Identifier(template))
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        conn.execute(drop)
        conn.execute(create)
    return database_url(name)


def database_drop(*names: str) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        for name in names:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            conn.execute(drop)


def run_header() -> str:
    """The machine, the server and the command line, for the top of a report."""
    with psycopg.connect(database_url("postgres")) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    return f"nproc={os.cpu_count()}  PostgreSQL {version}  command: {' '.join(sys.argv)}"


def row_count(db_url: str, table: str = "conversation_log") -> int:
    with psycopg.connect(db_url) as conn:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        return conn.execute(query).fetchone()[0]


def insert_series(
    db_url: str, statement: str, count: int, start: int, step: int = 1_000_000
) -> int:
    """Run `statement` (an INSERT ... FROM generate_series(%s, %s)) over the ids
    start .. start+count-1 in `step`-row pieces, then VACUUM ANALYZE as
    autovacuum would. Returns the next free id."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        for first in range(start, start + count, step):
            last = min(first + step - 1, start + count - 1)
            conn.execute(statement, (first, last))
            print(f"  ... rows {first:,}-{last:,}", file=sys.stderr)
        conn.execute("VACUUM ANALYZE conversation_log")
    return start + count


def backlog_clear(db_url: str) -> None:
    """Empty the stats aggregation's backlog: for turns a bench inserts as
    counted already (the table's trigger puts every new turn on it)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("TRUNCATE conversation_uncounted")


def project_env(db_url: str, *, redis_db: int) -> dict[str, str]:
    """The environment of Robeing Console against `db_url`, configured as in
    production (DEBUG off, Redis as the shared cache)."""
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        # Not the checkout's .env (make run writes one with DEBUG on).
        "ENV_FILE": os.devnull,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on loopback: the production HTTPS defaults switched off.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_PROXY_SSL_HEADER": "",
        # Checked on every request (its Redis calls are part of what is
        # measured), but far above what one machine can send.
        "API_RATE_LIMIT_PER_KEY": "100000000/min",
        "API_RATE_LIMIT_PER_ADDRESS": "100000000/min",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "robeing_site.settings",
        "PYTHONPATH": str(ROOT),
    }


def manage(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    """stdout of `manage.py *args` in a child process with `env`."""
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    return done.stdout


def shell(env: dict[str, str], code: str, timeout: float = 3600) -> list[str]:
    """The words of the last line that `manage.py shell -c code` prints."""
    return manage(env, "shell", "-c", code, timeout=timeout).strip().splitlines()[-1].split()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str],
    port: int,
    *,
    app: str = "robeing_site.wsgi:application",
    chdir: Path = ROOT,
    workers: Sequence[str] = GTHREAD,
    output: int | None = None,
) -> Iterator[subprocess.Popen]:
    """A gunicorn server on 127.0.0.1:`port` for the duration of the block
    (the block gets the master process, e.g. to find its workers). `output`:
    where its stdout and stderr go (subprocess.DEVNULL; default: this one's)."""
    command = [PYTHON, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", *workers]
    command += ["--log-level", "warning", "--chdir", str(chdir)]
    # cwd too: `python -m` puts the working directory first on sys.path.
    server = subprocess.Popen(command, env=env, cwd=chdir, stdout=output, stderr=output)
    try:
        wait_until_up(server, port)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def wait_until_up(server: subprocess.Popen, port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn on port {port} exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn on port {port} did not start in {seconds} s")


@dataclass(frozen=True)
class WrkResult:
    rate: float  # requests/s
    requests: int  # completed requests


def lua_string(text: str) -> str:
    # A JSON string literal is also a valid Lua one (UTF-8 kept as is).
    return json.dumps(text, ensure_ascii=False)


UNIQUE_IDS_LUA = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local body = string.format(BODY, PREFIX .. "-" .. tid .. "-" .. counter)
  return wrk.format("POST", nil, nil, body)
end
"""


def unique_ids_script(body: str, prefix: str) -> str:
    """Lua for wrk: POST `body`, a JSON template whose one `%s` becomes an id
    unique to each request (`prefix` must be unique to the run)."""
    if body.count("%") != 1 or "%s" not in body:
        raise ValueError("the body template needs exactly one %s and no other %")
    return UNIQUE_IDS_LUA.replace("BODY", lua_string(body)).replace("PREFIX", lua_string(prefix))


def wrk_round(
    url: str,
    headers: dict[str, str],
    seconds: int,
    connections: int,
    script: str,
    threads: int = 2,
) -> WrkResult:
    """One wrk run with the Lua `script`; fails loudly if any response was not
    2xx or any request failed."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", lua.name]
    command += ["-H", "Content-Type: application/json"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        done = subprocess.run(
            [*command, url], check=True, capture_output=True, text=True, timeout=seconds + 60
        )
    finally:
        os.unlink(lua.name)
    out = done.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"failed requests against {url}:\n{out}")
    requests = int(out.split(" requests in ")[0].split()[-1])
    return WrkResult(float(out.split("Requests/sec:")[1].split()[0]), requests)
