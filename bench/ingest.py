"""Ingestion benchmark: the real endpoints against their baselines, side by side.

What it compares, in one run against one throwaway PostgreSQL database:

1. Single-turn ingestion, requests/s: `POST /api/v1/robeings/rb8001/conversations/`
   (API key auth, validation, PII masking, idempotent insert) against a bare
   Django view doing one ORM insert of the same payload (bench/bare_view.py).
   Both are served by the same gunicorn process (2 gthread workers x 4 threads)
   and loaded by wrk on loopback with the same concurrency; every request has a
   unique event_id. Rounds alternate real/bare so that drift on this noisy
   machine hits both; the medians' ratio is the figure. Target: >= 1.0.
2. Batch ingestion, rows/s: 1,000-turn `POST .../conversations/batch/` requests,
   sent one after another, against psycopg COPY of the same rows in
   1,000-row transactions from this process. Rounds alternate, so both write
   into the same, growing table with the same indexes. Target: >= 0.5.

Run (PostgreSQL on 127.0.0.1:5432, wrk installed: `apt-get install wrk`):

    .venv/bin/python bench/ingest.py            # about 2.5 minutes
    .venv/bin/python bench/ingest.py --seconds 5 --rounds 2   # a quick look

It creates and drops the database `robeing_bench`, targets 127.0.0.1 only, and
stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "robeing_bench"
PYTHON = sys.executable
MESSAGE = (
    "안녕하세요, 다음 주 월요일 오전 10시에 예정된 분기 보고서 검토 회의 자료를 미리 받아볼 수 "
    "있을까요? 지난번 회의에서 논의한 매출 추이와 신규 고객 온보딩 현황도 함께 정리해 주시면 "
    "좋겠습니다. 그리고 마케팅팀에서 요청한 캠페인 결과 요약도 포함해 주세요."
)
RESPONSE = (
    "네, 월요일 오전 10시 분기 보고서 검토 회의 자료를 정리해 드릴게요. 매출 추이, 신규 고객 "
    "온보딩 현황, 마케팅 캠페인 결과 요약을 한 문서로 묶어 금요일 오후까지 공유하겠습니다."
)
WRK_SCRIPT = """
local counter = 0
local prefix = string.format("%x", math.random(0, 0xffffff)) .. "-" .. os.time()
function setup(thread)
  thread:set("tid", tostring(math.random(0, 0xffffff)))
end
function request()
  counter = counter + 1
  local body = string.format(BODY_LITERAL, prefix .. "-" .. tid .. "-" .. counter)
  return wrk.format("POST", nil, nil, body)
end
"""


def payload(event_id: str) -> dict:
    return {
        "message": MESSAGE,
        "response": RESPONSE,
        "channel_id": "C0BENCH01",
        "channel_type": "channel",
        "thread_ts": "1724041200.000100",
        "slack_user_id": "U0BENCH01",
        "intent": "schedule",
        "confidence": 0.91,
        "event_id": event_id,
    }


def env_for(db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        # As in production: Redis holds the shared cache (settings versions).
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
    }


def recreate_database() -> str:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return f"{PG}/{DB_NAME}"


def drop_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], port: int):
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "robeing_site.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
        ],  # fmt: skip
        env=env,
    )
    try:
        wait_until_up(port)
        yield
    finally:
        server.terminate()
        server.wait(timeout=20)


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def wrk_round(
    url: str, headers: dict[str, str], seconds: int, connections: int, body: str | None = None
) -> float:
    """Requests/s of one wrk run; fails loudly if any response was not 2xx.
    `body` is a JSON template whose `%s` wrk fills with a unique id per request."""
    if body is None:
        body = json.dumps(payload("EVENT_ID"), ensure_ascii=False).replace("EVENT_ID", "%s")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        # A JSON string literal is also a valid Lua one (UTF-8 kept as is).
        script.write(WRK_SCRIPT.replace("BODY_LITERAL", json.dumps(body, ensure_ascii=False)))
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name]
    command += ["-H", "Content-Type: application/json"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    os.unlink(script.name)
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx responses from {url}:\n{out}")
    return float(out.split("Requests/sec:")[1].split()[0])


def single_turn(port: int, key: str, rounds: int, seconds: int, connections: int) -> dict:
    base = f"http://127.0.0.1:{port}"
    real = (f"{base}/api/v1/robeings/rb8001/conversations/", {"Authorization": f"Api-Key {key}"})
    bare = (f"{base}/bench/bare-insert/", {})
    for url, headers in (real, bare):  # warm-up: connections, caches, JIT-free but page cache
        wrk_round(url, headers, 3, connections)
    results: dict[str, list[float]] = {"real": [], "bare": []}
    for _ in range(rounds):
        results["real"].append(wrk_round(*real, seconds, connections))
        results["bare"].append(wrk_round(*bare, seconds, connections))
    return results


def batch_rows(n: int) -> list[dict]:
    return [payload(f"batch-{uuid.uuid4().hex}") for _ in range(n)]


def post_batches(port: int, key: str, batches: int) -> float:
    """Rows/s of `batches` sequential 1,000-turn requests (keep-alive)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    bodies = [json.dumps({"turns": batch_rows(1000)}).encode() for _ in range(batches)]
    started = time.perf_counter()
    for body in bodies:
        conn.request("POST", "/api/v1/robeings/rb8001/conversations/batch/", body, headers)
        response = conn.getresponse()
        result = json.loads(response.read())
        if response.status != 200 or result["created"] != 1000:
            raise RuntimeError(f"batch failed: {response.status} {str(result)[:300]}")
    elapsed = time.perf_counter() - started
    conn.close()
    return batches * 1000 / elapsed


COPY_COLUMNS = (
    "robeing_id", "channel_id", "channel_type", "thread_ts", "message", "response", "intent",
    "confidence", "timestamp", "slack_user_id", "event_id", "metadata", "created_at",
)  # fmt: skip


def copy_batches(db_url: str, batches: int) -> float:
    """Rows/s of raw psycopg COPY of the same rows, 1,000 per transaction."""
    rows = [batch_rows(1000) for _ in range(batches)]
    sql = f"COPY conversation_log ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with psycopg.connect(db_url) as conn:
        started = time.perf_counter()
        for batch in rows:
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            with conn.cursor() as cursor, cursor.copy(sql) as copy:
                for r in batch:
                    copy.write_row(
                        ("rb8001", r["channel_id"], r["channel_type"], r["thread_ts"], r["message"],
                         r["response"], r["intent"], r["confidence"], now, r["slack_user_id"],
                         r["event_id"], "{}", now)
                    )  # fmt: skip
            conn.commit()
        elapsed = time.perf_counter() - started
    return batches * 1000 / elapsed


def batch(port: int, key: str, db_url: str, rounds: int, batches: int) -> dict:
    post_batches(port, key, 1)  # warm-up
    results: dict[str, list[float]] = {"api": [], "copy": []}
    for _ in range(rounds):
        results["api"].append(post_batches(port, key, batches))
        results["copy"].append(copy_batches(db_url, batches))
    return results


def report(single: dict, batched: dict, args: argparse.Namespace) -> None:
    real, bare = statistics.median(single["real"]), statistics.median(single["bare"])
    api, copy = statistics.median(batched["api"]), statistics.median(batched["copy"])
    with psycopg.connect(f"{PG}/postgres") as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    print(f"\nnproc={os.cpu_count()}  PostgreSQL {version}  command: {' '.join(sys.argv)}")
    print("\n| measure | robeing console | baseline | ratio | target |")
    print("|---|---|---|---|---|")
    print(
        f"| single turn, requests/s (wrk -c{args.connections}, "
        f"{args.rounds}x{args.seconds}s, median) "
        f"| {real:,.0f} | {bare:,.0f} (bare ORM insert view) | {real / bare:.2f} | >= 1.0 |"
    )
    print(
        f"| batch of 1,000, rows/s ({args.rounds}x{args.batches} batches, median) "
        f"| {api:,.0f} | {copy:,.0f} (psycopg COPY) | {api / copy:.2f} | >= 0.5 |"
    )
    print(f"\nrounds: real {single['real']} bare {single['bare']}")
    api_rounds = [round(x) for x in batched["api"]]
    print(f"rounds: batch API {api_rounds} COPY {[round(x) for x in batched['copy']]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of one wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each side")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--batches", type=int, default=5, help="1,000-turn batches per round")
    parser.add_argument("--keep", action="store_true", help="keep the robeing_bench database")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    db_url = recreate_database()
    env = env_for(db_url)
    try:
        manage(env, "migrate", "--noinput")
        key = manage(env, "robeing_key", "create", "rb8001").strip().splitlines()[-1]
        port = free_port()
        with gunicorn(env, port):
            single = single_turn(port, key, args.rounds, args.seconds, args.connections)
            batched = batch(port, key, db_url, args.rounds, args.batches)
        report(single, batched, args)
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
