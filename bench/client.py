"""What the client costs a bot: robeing_client against the plain "one POST per turn".

In one run, against one gunicorn (2 gthread workers x 4 threads) on 127.0.0.1:

1. The bot's side: how long `ConversationLogger.log_conversation` takes (the
   reply waits for it), p50 and p99 in microseconds over `--turns` calls, and
   the turns/s one thread can hand to it.
2. End to end: turns/s stored, from the first call until `flush()` returned,
   against a hand-written loop that POSTs each turn to the single-turn
   endpoint with httpx (a kept-alive connection) and waits for its answer,
   which is what the reply would wait for then. Rounds alternate; medians.
   Every round checks that the rows it added are the turns it sent.

Run (PostgreSQL on 127.0.0.1:5432, Redis on 6379):

    .venv/bin/python bench/client.py                  # 3 rounds x 2,000 turns: ~1 min
    .venv/bin/python bench/client.py --turns 5000 --rounds 5

It creates and drops the database `robeing_bench_client`, flushes Redis
database 13, and stops by itself.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients" / "python"))
from robeing_client import ConversationLogger  # noqa: E402

from bench import common  # noqa: E402

DB_NAME = "robeing_bench_client"
REDIS_DB = 13
MESSAGE = "다음 주 월요일 회의 자료를 미리 받아볼 수 있을까요?"
RESPONSE = "네, 금요일 오후까지 공유하겠습니다."


def client_round(url: str, key: str, db_url: str, turns: int) -> tuple[list[float], float]:
    """Each call's latency (s) and the turns/s stored end to end."""
    before = common.row_count(db_url)
    latencies = []
    conversation_logger = ConversationLogger(url, key, batch_size=500, flush_interval=0.2)
    started = time.perf_counter()
    for n in range(turns):
        metadata = {"channel": "C0BENCH", "ts": f"{time.time():.6f}.{n}"}
        called = time.perf_counter()
        conversation_logger.log_conversation("rb8001", "U0BENCH", MESSAGE, RESPONSE, metadata)
        latencies.append(time.perf_counter() - called)
    if not conversation_logger.close(120):
        raise RuntimeError("the client did not deliver every turn within 120 s")
    elapsed = time.perf_counter() - started
    check_rows(db_url, before, turns, "client")
    return latencies, turns / elapsed


def plain_round(url: str, key: str, db_url: str, turns: int) -> tuple[list[float], float]:
    before = common.row_count(db_url)
    latencies = []
    path = f"{url}/api/v1/robeings/rb8001/conversations/"
    with httpx.Client(headers={"Authorization": f"Api-Key {key}"}, timeout=30) as http:
        started = time.perf_counter()
        for n in range(turns):
            body = {
                "message": MESSAGE,
                "response": RESPONSE,
                "channel_id": "C0BENCH",
                "slack_user_id": "U0BENCH",
                "event_id": f"plain:{uuid.uuid4()}:{n}",
            }
            called = time.perf_counter()
            answer = http.post(path, json=body)
            latencies.append(time.perf_counter() - called)
            if answer.status_code != 201:
                raise RuntimeError(f"plain POST answered {answer.status_code}: {answer.text[:200]}")
        elapsed = time.perf_counter() - started
    check_rows(db_url, before, turns, "plain")
    return latencies, turns / elapsed


def check_rows(db_url: str, before: int, turns: int, side: str) -> None:
    added = common.row_count(db_url) - before
    if added != turns:
        raise RuntimeError(f"{side}: {added} rows added for {turns} turns")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.monotonic()
    var_dir = tempfile.mkdtemp(prefix="robeing-bench-var-")
    try:
        import redis

        redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
        db_url = common.database_recreate(DB_NAME)
        env = {**common.project_env(db_url, redis_db=REDIS_DB), "VAR_DIR": var_dir}
        common.manage(env, "migrate", "--noinput")
        key = common.manage(env, "robeing_key", "create", "rb8001").strip().splitlines()[-1]
        port = common.free_port()
        url = f"http://127.0.0.1:{port}"
        results: dict[str, list[tuple[list[float], float]]] = {"client": [], "plain": []}
        with common.gunicorn(env, port):
            plain_round(url, key, db_url, 100)  # warm-up: imports, connections, caches
            for _ in range(args.rounds):
                results["client"].append(client_round(url, key, db_url, args.turns))
                results["plain"].append(plain_round(url, key, db_url, args.turns))
        report(results, args)
        print(f"\ntotal time {(time.monotonic() - started) / 60:.1f} min")
    finally:
        common.database_drop(DB_NAME)


def report(results: dict, args: argparse.Namespace) -> None:
    def summary(side: str) -> tuple[float, float, float, float]:
        latencies = [value for round_latencies, _ in results[side] for value in round_latencies]
        rate = statistics.median(rate for _, rate in results[side])
        # Turns one thread can hand over per second: the calls' own time only.
        handoff = statistics.median(len(lat) / sum(lat) for lat, _ in results[side])
        return percentile(latencies, 0.5) * 1e6, percentile(latencies, 0.99) * 1e6, handoff, rate

    client, plain = summary("client"), summary("plain")
    print(f"\n{common.run_header()}")
    print(f"\n{args.rounds} rounds x {args.turns:,} turns per side, alternating.\n")
    print("| | the reply waits, p50 | p99 | turns/s handed over | turns/s stored end to end |")
    print("|---|---|---|---|---|")
    for name, (p50, p99, handoff, rate) in (
        ("robeing_client `log_conversation`", client),
        ("one POST per turn (httpx, kept-alive)", plain),
    ):
        print(f"| {name} | {p50:,.0f} µs | {p99:,.0f} µs | {handoff:,.0f} | {rate:,.0f} |")
    print(f"\nratio of turns/s stored, client/plain: **{client[3] / plain[3]:.1f}**; "
          f"p50 wait, plain/client: **{plain[0] / client[0]:,.0f}x**")  # fmt: skip


if __name__ == "__main__":
    main()
