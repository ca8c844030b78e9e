"""Settings benchmark: reads from the per-process cache against reads straight
from the database, and the cache's hit rate under a read-heavy mix.

What it measures, in one run against one throwaway PostgreSQL database, with
Redis (127.0.0.1:6379, database 14) holding the shared versions:

1. Reads/s of `settings_get` served from the memory cache (one Redis GET to
   check the version) against loading and merging the same settings from
   PostgreSQL every time (`_load`), alternating rounds; the ratio is the figure.
2. Hit rate over 100,000 operations on 10 robeings, 99.9% reads and 0.1% writes
   (a PATCH through the service, which bumps the version). Target: >= 99%.

Run:  .venv/bin/python bench/settings_reads.py     (about 1 minute)
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402

DB_NAME = "robeing_bench_settings"
ROBEINGS = [f"rb{9000 + i}" for i in range(10)]


def setup_django() -> None:
    db_url = common.database_recreate(DB_NAME)
    os.environ.update(common.project_env(db_url, redis_db=14))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.core.cache import cache

    cache.clear()


def reads_per_second(read, seconds: float = 3.0) -> float:
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for robeing_id in ROBEINGS:
            read(robeing_id=robeing_id)
        count += len(ROBEINGS)
    return count / seconds


def main() -> None:
    setup_django()
    try:
        measure()
    finally:
        from django.db import connections

        connections.close_all()
        common.database_drop(DB_NAME)


def measure() -> None:
    from accounts import services as account_services
    from settings_app import selectors, services

    for robeing_id in ROBEINGS:
        account_services.robeing_get_or_create(robeing_id=robeing_id)
        services.settings_patch(
            robeing_id=robeing_id, category="user_preference",
            patch={"response_style": "casual"}, actor=services.Actor(),
        )  # fmt: skip

    cached, direct = [], []
    for _ in range(3):
        cached.append(reads_per_second(selectors.settings_get))
        direct.append(reads_per_second(lambda robeing_id: selectors._load(robeing_id)))

    selectors.forget_local_cache()
    before = selectors.cache_statistics()
    rng = random.Random(7)
    writes = 0
    for i in range(100_000):
        robeing_id = rng.choice(ROBEINGS)
        if rng.random() < 0.001:
            services.settings_patch(
                robeing_id=robeing_id, category="system_settings",
                patch={"max_memory_size": 100 + i % 900}, actor=services.Actor(),
            )  # fmt: skip
            writes += 1
        else:
            selectors.settings_get(robeing_id=robeing_id)
    after = selectors.cache_statistics()
    hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]

    print(f"\nnproc={os.cpu_count()}  command: {' '.join(sys.argv)}")
    print("\n| measure | result |\n|---|---|")
    c, d = statistics.median(cached), statistics.median(direct)
    print(f"| settings reads/s, memory cache (+1 Redis GET) | {c:,.0f} |")
    print(f"| settings reads/s, straight from PostgreSQL | {d:,.0f} |")
    print(f"| ratio cache / database | {c / d:.1f} |")
    print(
        f"| hit rate, 100,000 ops (99.9% reads, {writes} writes) | "
        f"{hits / (hits + misses):.2%} ({hits:,} hits, {misses:,} misses) |"
    )


if __name__ == "__main__":
    main()
