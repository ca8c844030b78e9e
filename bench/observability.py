"""What the request log line costs: the real app with and without it, side by side.

Every request is timed into Prometheus histograms and, at LOG_LEVEL=INFO,
written as one JSON line (django-structlog's request_finished, rendered by
structlog). The other benches run at LOG_LEVEL=WARNING, where that line is
not rendered. This one runs the single-turn ingestion case of bench/ingest.py
against two gunicorn servers of the same app, each on its own copy of one
database, one at
INFO with LOG_FORMAT=json (the production default; its output goes to
/dev/null, as a log shipper's pipe would take it), one at WARNING; rounds
alternate; the medians' ratio logged/quiet is the figure. Metrics are on in
both (they cannot be switched off), so this measures the log line only.

Run (PostgreSQL on 127.0.0.1:5432, Redis on 6379, `apt-get install wrk`):

    .venv/bin/python bench/observability.py              # 5 rounds x 8 s per side: ~2 min
    .venv/bin/python bench/observability.py --rounds 3   # ~1.5 min

It creates and drops the databases `robeing_bench_obs` and
`robeing_bench_obs_quiet` (a copy: wrk sends both sides the same events),
flushes Redis database 13, and stops by itself.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common, ingest  # noqa: E402

DB_NAME = "robeing_bench_obs"
# wrk sends both sides the same event ids: each side writes to its own copy.
QUIET_DB_NAME = "robeing_bench_obs_quiet"
SHARE = 0  # every event new: the write path, as in ingest.py's first case


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    started = time.monotonic()
    var_dir = tempfile.mkdtemp(prefix="robeing-bench-var-")
    try:
        ingest.redis_flush()
        db_url = common.database_recreate(DB_NAME)
        env = {**common.project_env(db_url, redis_db=ingest.REDIS_DB), "VAR_DIR": var_dir}
        common.manage(env, "migrate", "--noinput")
        key = common.manage(env, "robeing_key", "create", "rb8001").strip().splitlines()[-1]
        ingest.seed_pool(db_url)
        quiet_url = common.database_recreate(QUIET_DB_NAME, template=DB_NAME)
        quiet_env = {**env, "DATABASE_URL": quiet_url}
        headers = {"Authorization": f"Api-Key {key}"}
        logged = ingest.Side("logged", common.free_port(), headers, db_url)
        quiet = ingest.Side("quiet", common.free_port(), headers, quiet_url)
        with ExitStack() as servers:
            servers.enter_context(
                common.gunicorn(
                    {**env, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"},
                    logged.port,
                    output=subprocess.DEVNULL,
                )
            )
            servers.enter_context(common.gunicorn(quiet_env, quiet.port))
            for side in (logged, quiet):
                ingest.smoke_check(side)
            rates = ingest.single_turn_case([logged, quiet], SHARE, args)
        report(rates, args)
        print(f"\ntotal time {(time.monotonic() - started) / 60:.1f} min")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        common.database_drop(DB_NAME, QUIET_DB_NAME)


def report(rates: dict[str, list[float]], args: argparse.Namespace) -> None:
    logged, quiet = (statistics.median(rates[name]) for name in ("logged", "quiet"))
    print(f"\n{common.run_header()}")
    print(
        f"\nSingle turn, gthread -w 2 --threads 4, every event new: wrk "
        f"-t{ingest.WRK_THREADS} -c{args.connections}, {args.rounds} x {args.seconds} s "
        "per side, alternating, medians.\n"
    )
    print("| server | req/s |")
    print("|---|---|")
    print(f"| LOG_LEVEL=INFO, LOG_FORMAT=json (a line per request) | {logged:,.0f} |")
    print(f"| LOG_LEVEL=WARNING (no request line) | {quiet:,.0f} |")
    print(f"\nratio logged/quiet: **{logged / quiet:.2f}**")
    print("\nrounds (requests/s):")
    for name, values in rates.items():
        print(f"  {name}: {[round(value) for value in values]}")


if __name__ == "__main__":
    main()
