"""Maintenance benchmark: archiving throughput and memory, and erasure time
against table size.

What it measures, in one run against one throwaway PostgreSQL database:

1. Archiving (`archive_conversations`, the nightly job) of 100,000 and then of
   1,000,000 old turns (2 robeings x 12 months), each in a fresh child
   process: turns/s, and peak memory (max RSS of that process). Side by side,
   on the same rows just before each run, the floor for the same work:
   `COPY (SELECT every column ...) TO STDOUT` through gzip level 6 into a
   temporary file, in turns/s. Figures: archive / COPY throughput, and peak
   memory at 1M / at 100k (1.0 = flat: memory does not grow with the rows).
   Archiving does more than the floor: it writes, reads back and verifies
   each file through the storage API, then deletes the rows from the hot
   table (and their entries in eleven indexes) in 5,000-id batches.
2. Erasure (`erasure_request_run`) of one person with 10,000 turns (8,000 in
   the hot table, 2,000 in four monthly archives that hold 48,000 turns of
   other people too) on a table of 1,000,000 turns and then of 10,000,000
   turns. Figure: the ratio 10M / 1M (1.0 = the cost follows the person, not
   the table).

Run (PostgreSQL on 127.0.0.1:5432, Redis on 6379):

    .venv/bin/python bench/maintenance.py            # about 15 minutes
    .venv/bin/python bench/maintenance.py --small    # 10k/100k archive, 100k/1M erasure; ~2 min

The database `robeing_bench_maint` is dropped at the end unless --keep; files
go to a temporary folder. Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402

DB_NAME = "robeing_bench_maint"
# The floor's query: every column of the turns archiving would take.
COPY_OLD_TURNS = (
    "COPY (SELECT id, robeing_id, channel_id, message, response, intent, confidence, "
    "timestamp, user_id, slack_user_id, thread_ts, channel_type, metadata, event_id, "
    "created_at FROM conversation_log "
    "WHERE timestamp < now() - interval '90 days') TO STDOUT"
)
# Every turn here counts as counted by the stats: after each fill the
# aggregation's backlog (where the table's trigger puts new turns) is emptied.
# Old, counted turns with realistic Korean text (~150 characters a side), spread
# over 12 months that all lie more than 90 days back, 2,000 people.
OLD_TURNS_SQL = """
INSERT INTO conversation_log (robeing_id, channel_id, channel_type, thread_ts, message, response,
    intent, confidence, "timestamp", slack_user_id, metadata, created_at)
SELECT CASE WHEN g %% 2 = 0 THEN 'rb8001' ELSE 'rb10508' END, 'C0ARCH' || (g %% 40), 'channel',
    '1700000000.' || (g %% 5000),
    '다음 주 월요일 오전 10시 분기 보고서 검토 회의 자료를 미리 받아볼 수 있을까요? '
      || '지난 회의에서 논의한 매출 추이와 신규 고객 온보딩 현황도 정리해 주세요. (' || g || ')',
    '네, 회의 자료를 정리해 금요일 오후까지 공유하겠습니다. 매출 추이와 온보딩 현황, '
      || '캠페인 결과 요약을 한 문서로 묶겠습니다. 참고 번호 ' || g,
    'schedule', 0.87,
    now() - interval '100 days' - (g %% 360) * interval '1 day'
      - (g %% 86400) * interval '1 second',
    'U0P' || (g %% 2000), '{"source": "slack"}', now()
FROM generate_series(%s::bigint, %s::bigint) AS g
"""
# Filler that only makes the table big: recent (never archived), short text.
FILLER_SQL = """
INSERT INTO conversation_log (robeing_id, channel_id, channel_type, thread_ts, message, response,
    intent, "timestamp", slack_user_id, metadata, created_at)
SELECT CASE WHEN g %% 2 = 0 THEN 'rb8001' ELSE 'rb10508' END, 'C0FILL' || (g %% 50), 'channel',
    '', '지난 대화 ' || g, '응답 ' || g, 'chat', now() - make_interval(secs => g %% 5000000),
    'U0FILL' || (g %% 50000), '{}', now()
FROM generate_series(%s::bigint, %s::bigint) AS g
"""
# The person: `hot` recent turns and `old` turns in four archived months.
PERSON_SQL = """
INSERT INTO conversation_log (robeing_id, channel_id, channel_type, thread_ts, message, response,
    intent, "timestamp", user_id, slack_user_id, metadata, created_at)
SELECT 'rb8001', 'D0PERSON', 'im', '', '제 연락처 바뀌었어요, 일정 다시 알려주세요 ' || g,
    '네, 새 일정 보내드릴게요 ' || g, 'schedule',
    CASE WHEN g <= %(old)s
         THEN date_trunc('month', now() - interval '150 days') - (g %% 4) * interval '1 month'
              + interval '3 days' + (g %% 1000) * interval '1 minute'
         ELSE now() - (g %% 80) * interval '1 day' END,
    %(user_id)s, 'UPERSON', '{}', now()
FROM generate_series(1, %(total)s) AS g
"""
PERSON_TURNS, PERSON_ARCHIVED = 10_000, 2_000
OTHERS_IN_PERSON_ARCHIVES = 48_000

ARCHIVE = """
import resource, time
from conversations.archiving import months
t = time.perf_counter()
r = months.archive_conversations(older_than_days=90)
print(r.turns_archived, r.archives_written, time.perf_counter() - t,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
IDLE = """
import resource
from conversations.archiving import months  # noqa: F401  (what the archive run loads)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
ERASE = """
import resource, time
from privacy import services
t = time.perf_counter()
request = services.erasure_request_create(slack_user_id="UPERSON")
done = services.erasure_request_run(request_id=request.id)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      "|", __import__("json").dumps(done.counts))
"""
NEW_PERSON = """
from accounts.models import User
User.objects.filter(email="person@example.com").delete()
print(User.objects.create_user("person@example.com", slack_user_id="UPERSON").id)
"""


def copy_gzip_rate(db_url: str) -> float:
    """The floor: every column of the old turns out through COPY and gzip -6."""
    started = time.perf_counter()
    rows = 0
    with (
        psycopg.connect(db_url) as conn,
        tempfile.TemporaryFile() as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as out,
    ):
        with conn.cursor().copy(COPY_OLD_TURNS) as copy:
            for block in copy:
                out.write(block)
                rows += bytes(block).count(b"\n")
    return rows / (time.perf_counter() - started)


def measure_archive(db_url: str, env: dict[str, str], turns: int, start: int) -> dict:
    print(f"archiving {turns:,} turns", file=sys.stderr)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("TRUNCATE conversation_log, conversation_archive CASCADE")
    shutil.rmtree(env["BENCH_ARCHIVE_DIR"], ignore_errors=True)
    common.insert_series(db_url, OLD_TURNS_SQL, turns, start, step=250_000)
    common.backlog_clear(db_url)
    floor = copy_gzip_rate(db_url)
    moved, files, seconds, max_rss_kb = common.shell(env, ARCHIVE)
    if int(moved) != turns:
        raise RuntimeError(f"archived {moved} of {turns} turns")
    with psycopg.connect(db_url) as conn:
        left = conn.execute("SELECT count(*) FROM conversation_log").fetchone()[0]
        stored = conn.execute("SELECT sum(row_count) FROM conversation_archive").fetchone()[0]
    if left or stored != turns:
        raise RuntimeError(f"{left} turns left in the table, {stored} in archives")
    return {
        "turns": turns,
        "files": int(files),
        "rate": turns / float(seconds),
        "floor": floor,
        "rss_mb": int(max_rss_kb) / 1024,
    }


def add_person(db_url: str, env: dict[str, str], next_id: int) -> int:
    """The person's 10,000 turns: 2,000 archived among 48,000 of other people.
    Archives start empty each time, so that every measurement rewrites the
    same amount of archive whatever the table size."""
    user_id = common.shell(env, NEW_PERSON)[-1]
    shutil.rmtree(env["BENCH_ARCHIVE_DIR"], ignore_errors=True)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("TRUNCATE conversation_archive CASCADE")
        conn.execute(
            PERSON_SQL, {"old": PERSON_ARCHIVED, "total": PERSON_TURNS, "user_id": user_id}
        )
    # Other people's turns in the same months (archived together with them).
    next_id = common.insert_series(db_url, OLD_TURNS_SQL, OTHERS_IN_PERSON_ARCHIVES, next_id)
    common.backlog_clear(db_url)
    common.shell(env, ARCHIVE)
    return next_id


def measure_erasure(db_url: str, env: dict[str, str], size: int, next_id: int) -> tuple:
    have = common.row_count(db_url)
    print(f"filling to {size:,} turns for the erasure", file=sys.stderr)
    filler = size - have - (PERSON_TURNS - PERSON_ARCHIVED)
    next_id = common.insert_series(db_url, FILLER_SQL, filler, next_id)
    common.backlog_clear(db_url)
    next_id = add_person(db_url, env, next_id)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE conversation_log")
        table = conn.execute("SELECT count(*) FROM conversation_log").fetchone()[0]
    line = common.shell(env, ERASE)
    seconds, max_rss_kb = float(line[0]), int(line[1])
    counts = json.loads(" ".join(line[line.index("|") + 1 :]))
    if counts["hot_turns"] + counts["archived_turns"] != PERSON_TURNS:
        raise RuntimeError(f"erased {counts}, expected {PERSON_TURNS} turns")
    return {"table": table, "seconds": seconds, "rss_mb": max_rss_kb / 1024, "counts": counts}, (
        next_id
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="a quick run on smaller tables")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--erasure-only", action="store_true", help="skip the archive measure")
    args = parser.parse_args()
    archive_sizes = (10_000, 100_000) if args.small else (100_000, 1_000_000)
    erase_sizes = (100_000, 1_000_000) if args.small else (1_000_000, 10_000_000)
    db_url = common.database_recreate(DB_NAME)
    files = Path(tempfile.mkdtemp(prefix="robeing-bench-"))
    env = {
        **common.project_env(db_url, redis_db=13),
        "BENCH_ARCHIVE_DIR": str(files / "archives"),
        "ARCHIVE_STORAGE_OPTIONS": json.dumps({"location": str(files / "archives")}),
        "EXPORT_STORAGE_OPTIONS": json.dumps({"location": str(files / "exports")}),
        "VAR_DIR": str(files / "var"),
    }
    try:
        common.manage(env, "migrate", "--noinput")
        common.manage(env, "robeing_key", "create", "rb8001")
        common.manage(env, "robeing_key", "create", "rb10508")
        started = time.monotonic()
        idle_mb = int(common.shell(env, IDLE)[0]) / 1024
        archives = []
        next_id = 1
        for turns in () if args.erasure_only else archive_sizes:
            archives.append(measure_archive(db_url, env, turns, next_id))
            next_id += turns
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("TRUNCATE conversation_log, conversation_archive CASCADE")
        shutil.rmtree(files / "archives", ignore_errors=True)
        erasures = []
        for size in erase_sizes:
            result, next_id = measure_erasure(db_url, env, size, next_id)
            erasures.append(result)
        report(archives, erasures, idle_mb, time.monotonic() - started)
    finally:
        shutil.rmtree(files, ignore_errors=True)
        if not args.keep:
            common.database_drop(DB_NAME)


def report(archives: list[dict], erasures: list[dict], idle_mb: float, elapsed: float) -> None:
    print(f"\n{common.run_header()}")
    if archives:
        report_archives(archives, idle_mb)
    print("\n| erasure of one person, 10,000 turns (2,000 archived) | seconds | peak memory |")
    print("|---|---|---|")
    for e in erasures:
        print(f"| table of {e['table']:,} turns | {e['seconds']:.2f} | {e['rss_mb']:.0f} MB |")
    print(
        f"\nerasure time {erasures[1]['table']:,} / {erasures[0]['table']:,} turns: "
        f"{erasures[1]['seconds'] / erasures[0]['seconds']:.2f}"
    )
    print(f"counts: {erasures[-1]['counts']}")
    print(f"total time {elapsed / 60:.1f} min")


def report_archives(archives: list[dict], idle_mb: float) -> None:
    print("\n| archiving | turns/s | COPY+gzip floor, turns/s | ratio | peak memory (max RSS) |")
    print("|---|---|---|---|---|")
    for a in archives:
        print(
            f"| {a['turns']:,} turns into {a['files']} files | {a['rate']:,.0f} | "
            f"{a['floor']:,.0f} | {a['rate'] / a['floor']:.2f} | {a['rss_mb']:.0f} MB |"
        )
    small, large = archives
    print(
        f"\npeak memory {large['turns']:,} / {small['turns']:,} turns: "
        f"{large['rss_mb'] / small['rss_mb']:.2f} (a process that only imports the app: "
        f"{idle_mb:.0f} MB)"
    )


if __name__ == "__main__":
    main()
