"""Console benchmark: the operators' pages and the read API at 1 and 10 million
turns, against the stock Django admin on the same table.

What it does, on 127.0.0.1 only:

1. Loads demo-like turns (conversations.demo_data, the generator seed_demo
   uses: Korean and English templates, 1-6 turn conversations, threads and
   DMs, six intents, 60 days) into its own databases, 1M into
   `robeing_bench_console_1m`, then a copy of it grown to 10M into
   `robeing_bench_console_10m`, across 100 robeings of uneven size (rb8001 is
   the largest); 12% of the demo's turns have a confidence under 0.5, so the
   low-confidence pages have something to find (the 1M figures in the README
   were loaded with 5% more on top, ~16%, before the demo had its own). The load is
   a restore's: the secondary indexes and foreign keys of conversation_log
   are dropped, the turns stream in through COPY from two generator
   processes, then every index is built again (maintenance_work_mem 1 GB) and
   the foreign keys validated, each step timed. The 9M turns that make 10M
   are nine copies of the 1M made in SQL (each conversation in a channel of
   its own, so threads stay whole and every robeing keeps its share):
   generating them costs ~30 µs of Python a turn (--generate does it anyway).
   The turns arrive counted (the aggregation's backlog is emptied) and their XP and
   conversation counts go into each robeing's stats through the stats
   engine's own award path, so the ledger adds up and no aggregation run
   recounts them; `manage.py analytics_backfill`, where it exists, then fills
   the dashboard's rollups; VACUUM ANALYZE last (visibility map for
   index-only scans, statistics). With --reuse a database whose load of the
   same size finished (marked in its COMMENT) is kept.
2. Serves the app with gunicorn (2 sync workers, DEBUG off) under the
   bench-only settings in bench/console_site/: the product's own settings
   plus a Server-Timing middleware (time in Django and in the database) and a
   stock ModelAdmin (list_filter robeing/channel_type/intent, search_fields
   message/response, date_hierarchy timestamp) at /stock-admin/.
3. Times every page in PAGES over HTTP, logged in as a staff user (admin
   pages), with HTTP Basic (analytics API) or an API key (bot API): one
   warm-up, then 5 requests; median and p95 end to end and server side. A
   page that answers 404 (or a list that rejects a filter it does not know
   yet) is reported as "not built yet". At 1M it also streams the CSV export
   of all 1M turns, if it exists, and reports rows/s and the gunicorn
   worker's peak memory.

Targets: every console page under 300 ms median at 10M; the context endpoint
under 10 ms; each page at 10M within 1.5x of its cost at 1M; the list pages
at least 30x faster than the stock admin.

Run (PostgreSQL on 127.0.0.1:5432, Redis on 6379; ~25 GB of disk):

    .venv/bin/python bench/console.py                 # load 1M and 10M, then time
    .venv/bin/python bench/console.py --reuse         # keep databases already loaded
    .venv/bin/python bench/console.py --sizes 1M --reuse --no-stock
    .venv/bin/python bench/console.py --drop          # remove both databases

It flushes Redis database 12, stops every server it starts, and writes its
tables to bench/console_results.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import itertools
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import orjson
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402
from conversations import demo_data  # noqa: E402

DB_PREFIX = "robeing_bench_console"


def turns_in(label: str) -> int:
    """ "1M" -> 1,000,000, "20k" -> 20,000."""
    return int(float(label[:-1]) * {"k": 1_000, "M": 1_000_000}[label[-1]])


REDIS_DB = 12
RESULTS = Path(__file__).resolve().parent / "console_results.md"
ADMIN_EMAIL = "admin@example.com"  # seed_demo's superuser
ADMIN_PASSWORD = "bench-console-admin"
BIG_ROBEING = "rb8001"
# 100 robeings of uneven size: the n-th (from 1) appears 100 // n times in the
# list the generator draws from, so rb8001 has ~19% of the turns and the last
# fifty ~0.4% each.
ROBEING_IDS = ["rb8001", "rb10508", *(f"rb{9000 + n}" for n in range(3, 101))]
ROBEING_DRAW = [rid for n, rid in enumerate(ROBEING_IDS, 1) for _ in range(100 // n)]
LOADERS = 2  # generator processes, each with its own COPY (the machine has 2 cores)
COPY_CHUNK = 50_000
COLUMNS = demo_data.COLUMNS
RUNS = 5
LIST = "/admin/conversations/conversationlog/"
STOCK = "/stock-admin/conversations/conversationlog/"


# -- loading --------------------------------------------------------------------------


def step(timings: list[tuple[str, float]], name: str, started: float) -> None:
    seconds = time.monotonic() - started
    timings.append((name, seconds))
    print(f"  {name}: {seconds:,.1f} s", file=sys.stderr, flush=True)


def bench_env(db_url: str) -> dict[str, str]:
    env = common.project_env(db_url, redis_db=REDIS_DB)
    env["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-console-")
    return env


def prepare_schema(env: dict[str, str], timings: list) -> None:
    started = time.monotonic()
    common.manage(env, "migrate", "--noinput")
    common.manage(env, "seed_demo", "--turns", "0", "--admin-password", ADMIN_PASSWORD)
    register = (
        "from accounts import services as s\n"
        f"for rid in {ROBEING_IDS!r}: s.robeing_get_or_create(robeing_id=rid)\n"
    )
    common.manage(env, "shell", "-c", register)
    step(timings, "migrate, demo users, 100 robeings", started)


def demo_users(db_url: str) -> list[demo_data.DemoUser]:
    by_slack = {p.slack_user_id: p for p in demo_data.PEOPLE}
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            'SELECT id, slack_user_id FROM "user" WHERE slack_user_id = ANY(%s)', [list(by_slack)]
        ).fetchall()
    users = [demo_data.DemoUser(uid, sid, by_slack[sid].lang) for uid, sid in rows]
    return sorted(users, key=lambda user: user.slack_user_id)


@dataclass
class Schema:
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX ...)
    foreign_keys: list[tuple[str, str]]  # (name, constraint definition)


def secondary_schema(conn: psycopg.Connection) -> Schema:
    indexes = conn.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           WHERE x.indrelid = 'conversation_log'::regclass AND NOT x.indisprimary
           ORDER BY i.relname"""
    ).fetchall()
    keys = conn.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = 'conversation_log'::regclass AND contype = 'f' ORDER BY conname"""
    ).fetchall()
    return Schema(indexes, keys)


def drop_secondary(conn: psycopg.Connection, schema: Schema) -> None:
    for name, _ in schema.foreign_keys:
        conn.execute(
            sql.SQL("ALTER TABLE conversation_log DROP CONSTRAINT {}").format(sql.Identifier(name))
        )
    for name, _ in schema.indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))


def rebuild_secondary(conn: psycopg.Connection, schema: Schema, timings: list) -> None:
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 1")
    for name, definition in schema.indexes:
        started = time.monotonic()
        conn.execute(definition)
        step(timings, f"index {name}", started)
    started = time.monotonic()
    for name, definition in schema.foreign_keys:
        conn.execute(
            sql.SQL("ALTER TABLE conversation_log ADD CONSTRAINT {} {}").format(
                sql.Identifier(name), sql.SQL(definition)
            )
        )
    step(timings, "foreign keys validated", started)


def copy_worker(args: tuple[str, int, int, list, str]) -> Counter:
    """One generator process: `n` demo turns through COPY, in chunks, each
    chunk its own transaction. Returns turns per robeing."""
    db_url, n, seed, users, now_iso = args
    now = dt.datetime.fromisoformat(now_iso)
    rows = demo_data.demo_turns(n=n, robeing_ids=ROBEING_DRAW, users=users, seed=seed, now=now)
    counts: Counter = Counter()
    statement = f"COPY conversation_log ({', '.join(COLUMNS)}) FROM STDIN"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        while chunk := list(itertools.islice(rows, COPY_CHUNK)):
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in chunk:
                    values = list(row)
                    meta = demo_data.METADATA_INDEX
                    values[meta] = orjson.dumps(values[meta]).decode()  # jsonb as text
                    copy.write_row(values)
                    counts[row[0]] += 1
    return counts


def copy_turns(db_url: str, n: int, seed: int, timings: list) -> Counter:
    users = demo_users(db_url)
    now = dt.datetime.now(dt.UTC).isoformat()
    shares = [n // LOADERS + (1 if k < n % LOADERS else 0) for k in range(LOADERS)]
    jobs = [(db_url, share, seed * 100 + k, users, now) for k, share in enumerate(shares)]
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(LOADERS) as pool:
        counts = sum(pool.map(copy_worker, jobs), Counter())
    step(timings, f"COPY {n:,} turns ({n / (time.monotonic() - started):,.0f}/s)", started)
    return counts


# The stats engine's own award path (row lock, ledger, levels, badges), for
# turns that arrive counted: one award per robeing instead of 10,000 batches.
STATS_AWARD = """
import json
from django.conf import settings
from django.db import transaction
from stats import achievements, services
from stats.models import XPEvent
counts = json.load(open({path!r}))
for robeing_id in sorted(counts):
    with transaction.atomic():
        stats = services._locked_stats(robeing_id)
        before = achievements.earned(stats)
        stats.total_conversations += counts[robeing_id]
        services._award(stats, amount=counts[robeing_id] * settings.STATS_XP_PER_TURN,
                        reason=XPEvent.Reason.CONVERSATIONS, source_key={key!r}, stat="")
        services._after_change(stats, before)
"""


def award_stats(env: dict[str, str], counts: Counter, key: str, timings: list) -> None:
    started = time.monotonic()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(counts, file)
    try:
        common.manage(env, "shell", "-c", STATS_AWARD.format(path=file.name, key=key))
    finally:
        os.unlink(file.name)
    verify = common.manage(env, "stats_verify").strip().splitlines()[-1]
    step(timings, f"stats for {len(counts)} robeings ({verify})", started)


def analytics_backfill(env: dict[str, str], timings: list) -> None:
    commands = common.manage(env, "help", "--commands")
    if "analytics_backfill" not in commands.split():
        print("  analytics_backfill: not built yet", file=sys.stderr)
        return
    started = time.monotonic()
    common.manage(env, "analytics_backfill", timeout=4 * 3600)
    step(timings, "analytics_backfill", started)


def vacuum(db_url: str, timings: list) -> None:
    started = time.monotonic()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("VACUUM ANALYZE")
    step(timings, "VACUUM ANALYZE", started)


def load(
    name: str, size: int, template: str | None, *, reuse: bool, generate: bool
) -> list[tuple[str, float]]:
    """Make database `name` hold `size` turns; returns the timed steps. From a
    template, the turns it lacks are copies of the template's (or, with
    `generate`, new ones from the generator)."""
    db_url = common.database_url(name)
    earlier = finished_load(name, size) if reuse else None
    if earlier is not None:
        print(f"{name}: {size:,} turns already there (--reuse)", file=sys.stderr)
        # The code may have moved on since the load: bring the schema along.
        common.manage(bench_env(db_url), "migrate", "--noinput")
        return earlier
    print(f"{name}: loading {size:,} turns", file=sys.stderr)
    timings: list[tuple[str, float]] = []
    started = time.monotonic()
    if template is not None:
        common.database_recreate(name, template=template)
        step(timings, f"copy of {template}", started)
    else:
        common.database_recreate(name)
    env = bench_env(db_url)
    prepare_schema(env, timings)  # also brings a template copy's schema up to date
    have = common.row_count(db_url)
    with psycopg.connect(db_url, autocommit=True) as conn:
        schema = secondary_schema(conn)
        drop_secondary(conn, schema)
        if have and not generate:
            counts = replicate_turns(conn, have, size - have, timings)
        else:
            counts = copy_turns(db_url, size - have, seed=size // 1000, timings=timings)
        # The table's trigger put every new turn on the aggregation's backlog;
        # these arrive counted (award_stats below), so none stays there.
        common.backlog_clear(db_url)
        rebuild_secondary(conn, schema, timings)
    award_stats(env, counts, f"bench-load:{name}", timings)
    analytics_backfill(env, timings)
    vacuum(db_url, timings)
    timings.append(("total", time.monotonic() - started))
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(loaded_mark(size, timings))
            )
        )
    print(f"  total: {timings[-1][1] / 60:,.1f} min", file=sys.stderr)
    return timings


def loaded_mark(size: int, timings: list[tuple[str, float]]) -> str:
    # Written last: a load killed half way (indexes missing) is never reused.
    # The steps' times go with it, for the report of a later --reuse run.
    return json.dumps({"loaded": size, "steps": timings}, ensure_ascii=False)


def finished_load(name: str, size: int) -> list[tuple[str, float]] | None:
    """The timed steps of a finished load of `size` turns into `name`, if any."""
    with psycopg.connect(common.database_url("postgres")) as conn:
        found = conn.execute(
            """SELECT shobj_description(oid, 'pg_database') FROM pg_database
               WHERE datname = %s""",
            [name],
        ).fetchone()
    try:
        mark = json.loads(found[0]) if found and found[0] else {}
    except ValueError:
        return None
    return [tuple(s) for s in mark["steps"]] if mark.get("loaded") == size else None


# More turns from the ones already there, server side: each copy keeps robeing,
# text, intent, confidence, time and thread, and moves the conversation to a
# channel of its own (channel_id + "-<copy>"), so threads stay whole and each
# robeing keeps its share. A generated row costs this machine ~30 µs of Python;
# a copied one a few µs of PostgreSQL.
REPLICATE = """
INSERT INTO conversation_log (robeing_id, channel_id, channel_type, thread_ts, message, response,
    intent, confidence, "timestamp", user_id, slack_user_id, event_id, metadata, created_at)
SELECT robeing_id, channel_id || '-' || %(copy)s, channel_type, thread_ts, message, response,
    intent, confidence, "timestamp", user_id, slack_user_id, event_id || '-' || %(copy)s, metadata,
    created_at
FROM conversation_log WHERE id <= %(last_id)s ORDER BY id LIMIT %(rows)s
"""


def replicate_turns(conn: psycopg.Connection, have: int, n: int, timings: list) -> Counter:
    started = time.monotonic()
    last_id = conn.execute("SELECT max(id) FROM conversation_log").fetchone()[0]
    conn.execute("SET synchronous_commit = off")
    for copy in itertools.count(1):
        rows = min(have, n - (copy - 1) * have)
        if rows <= 0:
            break
        conn.execute(REPLICATE, {"copy": copy, "last_id": last_id, "rows": rows})
        print(f"    copy {copy}: {rows:,} turns", file=sys.stderr, flush=True)
    added = conn.execute(
        "SELECT robeing_id, count(*) FROM conversation_log WHERE id > %s GROUP BY 1", [last_id]
    ).fetchall()
    step(timings, f"{n:,} more turns copied in SQL ({n / (time.monotonic() - started):,.0f}/s)",
         started)  # fmt: skip
    return Counter(dict(added))


# -- timing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One timed URL. `path` and `stock` are templates filled from Facts;
    `auth` is "session" (staff login), "basic" (staff, HTTP Basic) or "key"
    (the bot API key of BIG_ROBEING). `stock` is the same page on the stock
    admin, for the list pages."""

    name: str
    path: str
    auth: str = "session"
    stock: str | None = None
    target_ms: float = 300


def pages() -> list[Page]:
    """Every page the bench times. Add a line to time another one."""
    api = "/api/v1/robeings/{robeing}"
    context = api + "/context/?channel_id={dm_channel}&thread_ts="
    overview = "/api/v1/analytics/overview/?since={since7}&until={until}"
    dash7 = "/admin/?since={since7}&until={until}"
    dash90 = "/admin/?since={since90}&until={until}"
    one = "&robeing={robeing}"
    day = "date_from={day}&date_to={day}"
    stock_day = "timestamp__year={year}&timestamp__month={month}&timestamp__day={dom}"
    return [
        Page("dashboard, 7 days, all robeings", dash7),
        Page("dashboard, 90 days, all robeings", dash90),
        Page("dashboard, 7 days, one robeing", dash7 + one),
        Page("dashboard, 90 days, one robeing", dash90 + one),
        Page("analytics API, 7 days", overview, auth="basic"),
        Page("analytics API, 7 days, one robeing", overview + one, auth="basic"),
        Page("log list, first page", LIST, stock=STOCK),
        Page("log list, by robeing", LIST + "?robeing={robeing}",
             stock=STOCK + "?robeing__robeing_id__exact={robeing}"),
        Page("log list, by intent", LIST + "?intent=email", stock=STOCK + "?intent__exact=email"),
        Page("log list, one day", LIST + "?" + day, stock=STOCK + "?" + stock_day),
        Page("log list, confidence < 0.5", LIST + "?confidence_below=0.5",
             stock=STOCK + "?confidence__lt=0.5"),
        Page("search, Korean word (보고서)", LIST + "?q=보고서", stock=STOCK + "?q=보고서"),
        Page("search, English word (meeting)", LIST + "?q=meeting", stock=STOCK + "?q=meeting"),
        Page("search, common 2-char Korean (회의)", LIST + "?q=회의", stock=STOCK + "?q=회의"),
        Page("search, absent 2-char Korean (환불)", LIST + "?q=환불", stock=STOCK + "?q=환불"),
        Page("log list, intent matching nothing", LIST + "?intent=refund",
             stock=STOCK + "?intent__exact=refund"),
        Page("log list, page 2,000", LIST + "?p=1999", stock=STOCK + "?p=1999"),
        Page("log list, one day + search (보고서)", LIST + "?" + day + "&q=보고서",
             stock=STOCK + "?" + stock_day + "&q=보고서"),
        Page("turn page in the longest DM", LIST + "{dm_turn}/change/"),
        Page("growth page", "/admin/stats/robeingstats/{stats_id}/change/"),
        Page("review inbox", "/admin/reviews/inboxturn/"),
        Page("history API, first page", api + "/conversations/", auth="key"),
        Page("history API, intent matching nothing", api + "/conversations/?intent=refund",
             auth="key"),
        Page("context API, default limit", context, auth="key", target_ms=10),
        Page("context API, limit=100", context + "&limit=100", auth="key", target_ms=10),
    ]  # fmt: skip


FACTS_SQL = {
    # The Seoul day of the newest turn, and the longest DM conversation.
    "latest": """SELECT ("timestamp" AT TIME ZONE 'Asia/Seoul')::date FROM conversation_log
                 ORDER BY "timestamp" DESC, id DESC LIMIT 1""",
    "dm": """SELECT channel_id, count(*) FROM conversation_log
             WHERE robeing_id = %s AND channel_type = 'im' AND thread_ts = ''
             GROUP BY channel_id ORDER BY 2 DESC LIMIT 1""",
    # A turn in the middle of it: the thread page shows a window around it.
    "dm_turn": """SELECT id FROM conversation_log WHERE robeing_id = %s AND channel_id = %s
                  AND thread_ts = '' ORDER BY "timestamp" DESC, id DESC OFFSET %s LIMIT 1""",
    "stats_id": "SELECT id FROM robeing_stats WHERE robeing_id = %s",
}


def facts(db_url: str) -> dict[str, str]:
    """The values the page templates need, read from the loaded data."""
    with psycopg.connect(db_url) as conn:
        latest = conn.execute(FACTS_SQL["latest"]).fetchone()[0]
        channel, length = conn.execute(FACTS_SQL["dm"], [BIG_ROBEING]).fetchone()
        turn = conn.execute(FACTS_SQL["dm_turn"], [BIG_ROBEING, channel, length // 2]).fetchone()
        stats_id = conn.execute(FACTS_SQL["stats_id"], [BIG_ROBEING]).fetchone()[0]
    day = latest - dt.timedelta(days=3)  # a whole day, not the one still filling
    return {
        "robeing": BIG_ROBEING,
        "until": latest.isoformat(),
        "since7": (latest - dt.timedelta(days=6)).isoformat(),
        "since90": (latest - dt.timedelta(days=89)).isoformat(),
        "day": day.isoformat(),
        "year": str(day.year),
        "month": str(day.month),
        "dom": str(day.day),
        "dm_channel": channel,
        "dm_length": str(length),
        "dm_turn": str(turn[0]),
        "stats_id": str(stats_id),
    }


class Client:
    """One keep-alive HTTP connection with a staff session, HTTP Basic and an
    API key at hand."""

    def __init__(self, port: int, api_key: str) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.cookies: dict[str, str] = {}
        basic = base64.b64encode(f"{ADMIN_EMAIL}:{ADMIN_PASSWORD}".encode()).decode()
        self.auth = {"basic": f"Basic {basic}", "key": f"Api-Key {api_key}"}

    def request(self, method: str, path: str, auth: str = "session", body: str | None = None):
        headers = {"Accept-Language": "ko"}
        if auth == "session" and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        elif auth in self.auth:
            headers["Authorization"] = self.auth[auth]
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        self.conn.request(method, urllib.parse.quote(path, safe="/?&=%:;,+"), body, headers)
        response = self.conn.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def login(self) -> None:
        page = self.request("GET", "/admin/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": token,
             "next": "/admin/"}
        )  # fmt: skip
        done = self.request("POST", "/admin/login/?next=/admin/", body=form)
        done.read()
        if done.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login failed: {done.status}")


@dataclass
class Timing:
    status: str  # "ok", or why the page has no figures
    e2e_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)

    def median(self, which: str = "e2e_ms") -> float | None:
        values = getattr(self, which)
        return statistics.median(values) if values else None

    def p95(self) -> float | None:
        if not self.e2e_ms:
            return None
        ordered = sorted(self.e2e_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def server_times(header: str) -> tuple[float | None, float | None]:
    found = dict(re.findall(r"(app|db);dur=([\d.]+)", header or ""))
    app, db = found.get("app"), found.get("db")
    return (float(app) if app else None), (float(db) if db else None)


def time_page(client: Client, path: str, auth: str, runs: int) -> Timing:
    timing = Timing("ok")
    for run in range(runs + 1):  # the first is the warm-up
        started = time.perf_counter()
        response = client.request("GET", path, auth)
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status == 404:
            return Timing("not built yet (404)")
        if response.status == 302 and "e=1" in (response.getheader("Location") or ""):
            return Timing("not built yet (filter not known)")
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        if run:
            app, db = server_times(response.getheader("Server-Timing"))
            timing.e2e_ms.append(elapsed)
            timing.server_ms.append(app if app is not None else elapsed)
            timing.db_ms.append(db or 0.0)
    return timing


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def time_export(client: Client, master: int) -> str:
    """Stream the CSV export of the whole (1M-turn) log; rows/s, worker peak memory."""
    before = {pid: peak_rss_mb(pid) for pid in worker_pids(master)}
    started = time.perf_counter()
    response = client.request("GET", LIST + "export/")
    if response.status in (302, 404):  # 302: the admin took "export" for a turn id
        response.read()
        return f"CSV export: not built yet ({response.status})"
    lines = 0
    while chunk := response.read(1 << 20):
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"export: HTTP {response.status}")
    after = {pid: peak_rss_mb(pid) for pid in worker_pids(master)}
    grown = max(after, key=lambda pid: after[pid] - before.get(pid, 0))
    return (
        f"CSV export of the whole log: {lines - 1:,} rows in {seconds:.1f} s "
        f"({(lines - 1) / seconds:,.0f} rows/s); gunicorn worker peak RSS "
        f"{before.get(grown, 0):.0f} MB before, {after[grown]:.0f} MB after"
    )


@dataclass
class SizeResult:
    label: str
    facts: dict[str, str]
    ours: dict[str, Timing]
    stock: dict[str, Timing]
    export: str


def time_size(
    label: str, db_url: str, *, stock: bool, runs: int, stock_runs: int, export: bool
) -> SizeResult:
    env = bench_env(db_url)
    env["DJANGO_SETTINGS_MODULE"] = "bench.console_site.settings"
    common.manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    api_key = common.manage(env, "robeing_key", "create", BIG_ROBEING).strip().splitlines()[-1]
    known = facts(db_url)
    port = common.free_port()
    workers = ("--workers", "2", "--worker-class", "sync", "--timeout", "900")
    ours: dict[str, Timing] = {}
    stocks: dict[str, Timing] = {}
    with common.gunicorn(env, port, workers=workers) as server:
        client = Client(port, api_key)
        client.login()
        for page in pages():
            ours[page.name] = time_page(client, page.path.format(**known), page.auth, runs)
            report_line(label, page.name, ours[page.name])
            if stock and page.stock:
                stock_path = page.stock.format(**known)
                stocks[page.name] = time_page(client, stock_path, "session", stock_runs)
                report_line(label, f"{page.name} [stock]", stocks[page.name])
        exported = time_export(client, server.pid) if export else ""
        if exported:
            print(f"[{label}] {exported}", file=sys.stderr)
    return SizeResult(label, known, ours, stocks, exported)


def report_line(label: str, name: str, timing: Timing) -> None:
    if timing.status != "ok":
        print(f"[{label}] {name}: {timing.status}", file=sys.stderr, flush=True)
        return
    print(
        f"[{label}] {name}: median {timing.median():.1f} ms, p95 {timing.p95():.1f} ms, "
        f"server {timing.median('server_ms'):.1f} ms (db {timing.median('db_ms'):.1f})",
        file=sys.stderr,
        flush=True,
    )


# -- report ---------------------------------------------------------------------------


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def size_table(result: SizeResult, baseline: SizeResult | None) -> list[str]:
    lines = [
        f"### {result.label} turns",
        "",
        "| page | median ms | p95 ms | server ms | db ms | target | vs smaller | stock median ms"
        " | stock/ours | stock db ms | stock/ours, db |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    targets = {page.name: page.target_ms for page in pages()}
    for name, timing in result.ours.items():
        if timing.status != "ok":
            lines.append(f"| {name} | {timing.status} | | | | | | | | | |")
            continue
        median = timing.median()
        ratio = "-"  # against the first (smallest) size
        if baseline and baseline.ours.get(name) and baseline.ours[name].median():
            ratio = f"{median / baseline.ours[name].median():.2f}"
        stock = result.stock.get(name)
        stock_median = stock.median() if stock else None
        versus = f"{stock_median / median:,.0f}x" if stock_median else "-"
        # Database time alone: what the indexes decide, and what a machine busy
        # with other work (as here) blurs least.
        stock_db = stock.median("db_ms") if stock and stock.db_ms else None
        ours_db = max(timing.median("db_ms"), 0.1)
        versus_db = f"{stock_db / ours_db:,.0f}x" if stock_db else "-"
        met = "yes" if median < targets[name] else "**no**"
        lines.append(
            f"| {name} | {ms(median)} | {ms(timing.p95())} | {ms(timing.median('server_ms'))} | "
            f"{ms(timing.median('db_ms'))} | < {targets[name]:.0f} ms: {met} | {ratio} | "
            f"{ms(stock_median)} | {versus} | {ms(stock_db)} | {versus_db} |"
        )
    if result.export:
        lines += ["", result.export]
    return lines


def write_results(results: list[SizeResult], loads: dict[str, list], header: str) -> None:
    lines = ["# Console benchmark", "", header, ""]
    for label, timings in loads.items():
        if not timings:
            continue
        lines += [f"## Loading {label}", "", "| step | seconds |", "|---|---|"]
        lines += [f"| {name} | {seconds:,.1f} |" for name, seconds in timings]
        lines.append("")
    lines += ["## Pages (median and p95 of 5 after one warm-up; ms)", ""]
    baseline = results[0] if results else None
    for result in results:
        lines += size_table(result, baseline if result is not baseline else None) + [""]
        lines.append(f"Data: {json.dumps(result.facts, ensure_ascii=False)}")
        lines.append("")
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="1M,10M", help="comma-separated: 1M, 10M")
    parser.add_argument("--reuse", action="store_true", help="keep a database already loaded")
    parser.add_argument("--drop", action="store_true", help="drop the databases and stop")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock admin")
    parser.add_argument("--load-only", action="store_true", help="load, time nothing")
    parser.add_argument(
        "--generate",
        action="store_true",
        help="generate every size's turns (default: the larger sizes copy the smaller's)",
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="timed requests per page")
    parser.add_argument(
        "--stock-runs", type=int, default=RUNS, help="timed requests per stock admin page"
    )
    args = parser.parse_args()
    labels = args.sizes.split(",")
    names = {label: f"{DB_PREFIX}_{label.lower()}" for label in labels}
    if args.drop:
        common.database_drop(*names.values())
        return
    header = common.run_header()
    loads: dict[str, list] = {}
    results: list[SizeResult] = []
    template = None
    for label in labels:
        loads[label] = load(
            names[label], turns_in(label), template, reuse=args.reuse, generate=args.generate
        )
        template = names[label]
        if not args.load_only:
            db_url = common.database_url(names[label])
            results.append(
                time_size(label, db_url, stock=not args.no_stock, runs=args.runs,
                          stock_runs=args.stock_runs, export=label == labels[0])
            )  # fmt: skip
    write_results(results, loads, header)


if __name__ == "__main__":
    main()
