"""Ingestion benchmark: the real endpoints against their baselines, side by side.

What it compares, in one run, on 127.0.0.1 only:

1. Single turn, requests/s: Robeing Console's `POST /api/v1/robeings/rb8001/
   conversations/` (API key, pydantic validation, settings read, PII masking,
   idempotent INSERT ... ON CONFLICT) against a separate bare Django project
   (bench/bare_project/: one middleware, no auth, no cache) whose view does
   json.loads, one ORM create() in autocommit and, when the event_id is
   already stored (IntegrityError on the unique index), a get() of the
   original, answering the row as JSON (201, or 200 for a retry).
   Each side has its own gunicorn and its own database: `robeing_bench` is
   migrated, then copied as `robeing_bench_bare` (CREATE DATABASE ... TEMPLATE),
   so both start with the same table, eleven indexes, foreign keys and rows.
   Four cases: gunicorn `sync` (3 workers) and `gthread` (2 workers x 4
   threads), each with 0% retries (every event_id new) and 50% retries (every
   other request repeats an event_id stored before the round, from a pool of
   20,000 seeded into both databases, as Slack retries). wrk -t2 -c16, the
   same Lua request sequence for both sides; rounds alternate real/bare; the
   medians' ratio real/bare is the figure. Target: >= 1.0 each. After every
   round the rows added must match the fresh requests wrk counted.
2. Batch, rows/s: 1,000-turn `POST .../conversations/batch/` requests, sent one
   after another to the real (gthread) server, against psycopg COPY of the
   same rows in 1,000-row transactions from this process, into the same
   table. Rounds alternate. Target: >= 0.5.

Run (PostgreSQL on 127.0.0.1:5432, Redis on 6379, `apt-get install wrk`):

    .venv/bin/python bench/ingest.py            # 3 rounds x 8 s per side and case: ~4 min
    .venv/bin/python bench/ingest.py --quick    # 1 round x 3 s, 2 batches: ~1.5 min
    .venv/bin/python bench/ingest.py --seconds 10 --rounds 5   # steadier medians: ~8 min

It flushes Redis database 13, creates and drops `robeing_bench` and
`robeing_bench_bare`, and stops by itself; it prints Markdown tables for the
README.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402

DB_NAME = "robeing_bench"
BARE_DB_NAME = "robeing_bench_bare"
REDIS_DB = 13
BENCH_DIR = Path(__file__).resolve().parent
TURN_PATH = "/api/v1/robeings/rb8001/conversations/"
POOL_SIZE = 20_000  # stored events that the retries repeat
WORKERS = {"sync -w 3": common.SYNC, "gthread -w 2 --threads 4": common.GTHREAD}
RETRY_SHARES = (0, 50)  # percent of requests that repeat a stored event_id
WRK_THREADS = 2

MESSAGE = (
    "안녕하세요, 다음 주 월요일 오전 10시에 예정된 분기 보고서 검토 회의 자료를 미리 받아볼 수 "
    "있을까요? 지난번 회의에서 논의한 매출 추이와 신규 고객 온보딩 현황도 함께 정리해 주시면 "
    "좋겠습니다. 그리고 마케팅팀에서 요청한 캠페인 결과 요약도 포함해 주세요."
)
RESPONSE = (
    "네, 월요일 오전 10시 분기 보고서 검토 회의 자료를 정리해 드릴게요. 매출 추이, 신규 고객 "
    "온보딩 현황, 마케팅 캠페인 결과 요약을 한 문서로 묶어 금요일 오후까지 공유하겠습니다."
)
# What a Slack bot sends along with a single turn (English keys and values).
METADATA = {
    "source": "slack",
    "team_id": "T0BENCH01",
    "client_msg_id": "8f14e45f-ceea-467f-a0e6-0d2b3a1c9e11",
    "bot_version": "robeing-bot 2.3.1",
    "locale": "ko-KR",
    "topic": "Q3 report review, onboarding status, marketing campaign summary",
}


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


def single_turn(event_id: str) -> dict:
    return {**payload(event_id), "metadata": METADATA}


# The stored events that retries repeat: the single-turn body with event_id
# pool-0 .. pool-(POOL_SIZE-1), in robeing_bench before it is copied.
POOL_SQL = """
INSERT INTO conversation_log (robeing_id, channel_id, channel_type, thread_ts, message, response,
    intent, confidence, "timestamp", slack_user_id, event_id, metadata, created_at)
SELECT 'rb8001', %(channel_id)s, %(channel_type)s, %(thread_ts)s, %(message)s, %(response)s,
    %(intent)s, %(confidence)s, now(), %(slack_user_id)s, 'pool-' || g, %(metadata)s, now()
FROM generate_series(0, %(size)s - 1) AS g
"""

# Every REPEAT_EVERY-th request of a wrk thread repeats a pool event, each
# thread walking its own slice of the pool from START; the others are new.
RETRY_LUA = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local id
  if REPEAT_EVERY > 0 and counter % REPEAT_EVERY == 0 then
    local slot = START + (tid - 1) * SLICE + counter / REPEAT_EVERY
    id = string.format("pool-%d", slot % POOL_SIZE)
  else
    id = PREFIX .. "-" .. tid .. "-" .. counter
  end
  return wrk.format("POST", nil, nil, string.format(BODY, id))
end
"""


def retry_script(retry_share: int, start: int) -> str:
    body = json.dumps(single_turn("EVENT_ID"), ensure_ascii=False).replace("EVENT_ID", "%s")
    values = {
        "REPEAT_EVERY": str({0: 0, 50: 2}[retry_share]),
        "START": str(start),
        "SLICE": str(POOL_SIZE // WRK_THREADS),
        "POOL_SIZE": str(POOL_SIZE),
        "PREFIX": common.lua_string(uuid.uuid4().hex),  # new ids unique to the run
        "BODY": common.lua_string(body),
    }
    script = RETRY_LUA
    for name, value in values.items():
        script = script.replace(name, value)
    return script


@dataclass(frozen=True)
class Side:
    name: str
    port: int
    headers: dict[str, str]
    db_url: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{TURN_PATH}"


def post_turn(side: Side, event_id: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", side.port, timeout=30)
    try:
        body = json.dumps(single_turn(event_id)).encode()
        headers = {**side.headers, "Content-Type": "application/json"}
        conn.request("POST", TURN_PATH, body, headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def smoke_check(side: Side) -> None:
    """A new event answers 201; a stored one 200 with the original row."""
    status, row = post_turn(side, f"smoke-{uuid.uuid4().hex}")
    if status != 201:
        raise RuntimeError(f"{side.name}: new turn answered {status}: {row}")
    status, row = post_turn(side, "pool-0")
    if status != 200 or row.get("event_id") != "pool-0" or row.get("message") != MESSAGE:
        raise RuntimeError(f"{side.name}: retry answered {status}: {str(row)[:300]}")


def measured_round(side: Side, seconds: int, connections: int, script: str, share: int) -> float:
    """Requests/s of one wrk round; checks that only the new events added rows."""
    before = common.row_count(side.db_url)
    result = common.wrk_round(side.url, side.headers, seconds, connections, script, WRK_THREADS)
    added = common.row_count(side.db_url) - before
    expected = result.requests * (100 - share) / 100
    # Requests still in flight when wrk stops are stored but not counted.
    if abs(added - expected) > 2 * connections:
        raise RuntimeError(f"{side.name}: {added} rows added, expected about {expected:.0f}")
    return result.rate


def single_turn_case(sides: list[Side], share: int, args: argparse.Namespace) -> dict:
    for side in sides:  # warm-up: worker imports, connections, caches, prepared statements
        measured_round(side, 2, args.connections, retry_script(share, 0), share)
    results: dict[str, list[float]] = {side.name: [] for side in sides}
    for index in range(args.rounds):
        script = retry_script(share, start=index * 4999)  # the same sequence for both sides
        for side in sides:
            rate = measured_round(side, args.seconds, args.connections, script, share)
            results[side.name].append(rate)
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


COPY_SQL = (
    "COPY conversation_log (robeing_id, channel_id, channel_type, thread_ts, message, response, "
    "intent, confidence, timestamp, slack_user_id, event_id, metadata, created_at) FROM STDIN"
)


def copy_batches(db_url: str, batches: int) -> float:
    """Rows/s of raw psycopg COPY of the same rows, 1,000 per transaction."""
    rows = [batch_rows(1000) for _ in range(batches)]
    with psycopg.connect(db_url) as conn:
        started = time.perf_counter()
        for batch in rows:
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            with conn.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
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


def seed_pool(db_url: str) -> None:
    params = {**single_turn(""), "metadata": Jsonb(METADATA), "size": POOL_SIZE}
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(POOL_SQL, params)
        conn.execute("VACUUM ANALYZE conversation_log")


SCHEMA_SQL = """
SELECT 'index', indexname, indexdef FROM pg_indexes WHERE tablename = 'conversation_log'
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'conversation_log'::regclass
ORDER BY 1, 2
"""


def same_schema(real_url: str, bare_url: str) -> str:
    """Fails unless both databases hold the same indexes and constraints."""
    with psycopg.connect(real_url) as real, psycopg.connect(bare_url) as bare:
        schema = real.execute(SCHEMA_SQL).fetchall()
        if schema != bare.execute(SCHEMA_SQL).fetchall():
            raise RuntimeError("the two databases differ in indexes or constraints")
        rows = [common.row_count(url) for url in (real_url, bare_url)]
    if rows[0] != rows[1]:
        raise RuntimeError(f"the two databases start with different rows: {rows}")
    indexes = [definition for kind, _, definition in schema if kind == "index"]
    btree = sum(" USING btree " in d for d in indexes)
    gin = sum(" USING gin " in d for d in indexes)
    fks = sum(d.startswith("FOREIGN KEY") for kind, _, d in schema if kind == "constraint")
    return (
        f"both databases: {len(indexes)} indexes ({btree} b-tree, {gin} GIN), "
        f"{fks} foreign keys, {rows[0]:,} rows"
    )


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()


def bare_env() -> dict[str, str]:
    # Only bench/ on the path: the bare project cannot import Robeing Console.
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "bare_project.settings",
        "BARE_DATABASE_NAME": BARE_DB_NAME,
        "PYTHONPATH": str(BENCH_DIR),
    }


def run_cases(real_env: dict[str, str], key: str, args: argparse.Namespace) -> tuple[dict, dict]:
    """Every (worker class, retry share) case, then the batch measure on gthread."""
    single: dict[tuple[str, int], dict] = {}
    batched: dict = {}
    for label, workers in WORKERS.items():
        real = Side("real", common.free_port(), {"Authorization": f"Api-Key {key}"},
                    common.database_url(DB_NAME))  # fmt: skip
        bare = Side("bare", common.free_port(), {}, common.database_url(BARE_DB_NAME))
        with ExitStack() as servers:
            servers.enter_context(common.gunicorn(real_env, real.port, workers=workers))
            servers.enter_context(
                common.gunicorn(
                    bare_env(),
                    bare.port,
                    app="bare_project.wsgi:application",
                    chdir=BENCH_DIR,
                    workers=workers,
                )  # fmt: skip
            )
            for side in (real, bare):
                smoke_check(side)
            for share in RETRY_SHARES:
                print(f"{label}, {share}% retries ...", file=sys.stderr)
                single[(label, share)] = single_turn_case([real, bare], share, args)
            if workers == common.GTHREAD:
                print("batches ...", file=sys.stderr)
                batched = batch(real.port, key, real.db_url, args.rounds, args.batches)
    return single, batched


def report(single: dict, batched: dict, schema: str, args: argparse.Namespace) -> None:
    print(f"\n{common.run_header()}")
    print(schema)
    print(
        f"\nSingle turn: wrk -t{WRK_THREADS} -c{args.connections}, {args.rounds} x "
        f"{args.seconds} s per side, alternating, medians.\n"
    )
    print("| case | Robeing Console req/s | bare req/s | ratio | target |")
    print("|---|---|---|---|---|")
    for (label, share), results in single.items():
        real, bare = statistics.median(results["real"]), statistics.median(results["bare"])
        print(
            f"| {label}, {share}% retries | {real:,.0f} | {bare:,.0f} | {real / bare:.2f} "
            "| >= 1.0 |"
        )
    api, copy = statistics.median(batched["api"]), statistics.median(batched["copy"])
    print("\n| measure | Robeing Console | baseline | ratio | target |")
    print("|---|---|---|---|---|")
    print(
        f"| batch of 1,000 turns, rows/s ({args.rounds} x {args.batches} batches, median) "
        f"| {api:,.0f} | {copy:,.0f} (psycopg COPY, 1,000 rows per transaction) "
        f"| {api / copy:.2f} | >= 0.5 |"
    )
    print("\nrounds (requests/s):")
    for (label, share), results in single.items():
        real, bare = [round(x) for x in results["real"]], [round(x) for x in results["bare"]]
        print(f"  {label}, {share}% retries: real {real} bare {bare}")
    api_rounds = [round(x) for x in batched["api"]]
    print(f"  batch API {api_rounds} COPY {[round(x) for x in batched['copy']]} (rows/s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=8, help="length of one wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each side per case")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--batches", type=int, default=5, help="1,000-turn batches per round")
    parser.add_argument("--quick", action="store_true", help="1 round x 3 s, 2 batches")
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.batches = 3, 1, 2
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    started = time.monotonic()
    var_dir = tempfile.mkdtemp(prefix="robeing-bench-var-")
    try:
        redis_flush()
        db_url = common.database_recreate(DB_NAME)
        real_env = {**common.project_env(db_url, redis_db=REDIS_DB), "VAR_DIR": var_dir}
        common.manage(real_env, "migrate", "--noinput")
        key = common.manage(real_env, "robeing_key", "create", "rb8001").strip().splitlines()[-1]
        seed_pool(db_url)
        bare_url = common.database_recreate(BARE_DB_NAME, template=DB_NAME)
        schema = same_schema(db_url, bare_url)
        single, batched = run_cases(real_env, key, args)
        report(single, batched, schema, args)
        print(f"\ntotal time {(time.monotonic() - started) / 60:.1f} min")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        if not args.keep:
            common.database_drop(DB_NAME, BARE_DB_NAME)


if __name__ == "__main__":
    main()
