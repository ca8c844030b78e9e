"""Load test: the production shape under a bounded locust run, then a
reconciliation of every answer the load got against what was stored.

What runs, on 127.0.0.1 only, against a throwaway PostgreSQL database
(`robeing_bench_load`) and Redis databases 7 (cache) and 8 (Celery broker):

- gunicorn, 3 gthread workers x 4 threads, DEBUG off (bench.common.project_env);
- one Celery worker (2 processes) and one Celery beat with the database
  scheduler; in this database the seeded 5-minute aggregation schedule is
  shortened to 10 s, so that beat queues aggregation during a 1-minute load;
- locust, in this process, headless. BotUsers (each one bot of one of six
  robeings) log single turns and batches of 20-100 turns, repeat events as
  Slack does (the same body again at once, later, or twice at the same
  moment), re-send whole batches, report tasks and replay some, read
  context, stats and settings, and change their own settings. Three
  OperatorUsers, logged in to the admin, change settings with If-Match,
  mostly on the two robeings whose bots change theirs too, so that some
  writes lose a race (412), and read the history. A few requests are
  deliberately bad and must get exactly their 4xx.
- beside the load: `manage.py aggregate_stats` twice (next to the worker's
  runs), one archive run as a Celery task and one with the command, over
  9,000 turns seeded 100-190 days back and the old turns bots back-fill;
  bots also send some of those seeded events again, alone or in batches (a
  back-filling client that repeats what it sent).

The users, and what each books of the answers it gets, are in
bench/load_users.py; the checks in bench/load_checks.py.

Then the services stop, the aggregation backlog is counted to the end, and
the checks run, each PASS or FAIL with its numbers (exit status 1 if any fails):

1. every acknowledged event (201/200) is stored exactly once, hot table plus
   archives;
2. nothing else is stored: no event that was never acknowledged, unless its
   request's outcome is unknown (timeout, connection lost: then once or not
   at all); refused requests and batch items reported as error are absent;
3. each robeing's total_conversations equals its turns, hot plus archived
   (with the backlog empty every turn has been counted once, and archiving
   takes counted turns only), and its conversation XP equals that number;
4. `manage.py stats_verify` passes (XP equals the ledger), and the ledger has
   exactly one row per acknowledged task that earned XP, with that XP, and
   none for any other task;
5. every acknowledged settings change is in the history, and the history
   holds nothing that no acknowledged (or unknown-outcome) write explains;
6. no request failed except the deliberately bad ones, and those got exactly
   their expected status.
Before them: the background jobs did run during the load. After them, two
more: every archive file matches its manifest row (lines, SHA-256), and
`manage.py analytics_verify` finds the dashboard's rollups equal to the turns.

Run (PostgreSQL on 127.0.0.1:5432, Redis on 6379):

    .venv/bin/python bench/load.py                      # 60 s of load, about 1.5 minutes in all
    .venv/bin/python bench/load.py --run-time 20 --users 20
    .venv/bin/python bench/load.py --archived-retries 0  # no retries of archived events

It prints requests/s and latency percentiles per kind of request, the counts
of retries, duplicates, 412s and bad requests, the checks, and who used the
cores (this 2-core machine runs the load generator too, and maybe other
tests), and writes the same to bench/load_results.md (--no-results to skip).
It flushes Redis databases 7 and 8, drops the database at the end unless
--keep, and stops by itself (--timeout).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import gevent

# locust before psycopg: importing it patches the standard library for gevent,
# and psycopg picks a cooperative way to wait only if that is done.
import locust.env
import psutil
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402
from bench.load_checks import (  # noqa: E402
    AGGREGATION_TASK,
    Check,
    JobRun,
    LoadResult,
    finish_aggregation,
    reconcile,
)
from bench.load_users import (  # noqa: E402
    INTENTS,
    MESSAGES,
    OLD_DAYS,
    OPERATOR_PASSWORD,
    OPERATORS,
    RESPONSES,
    ROBEINGS,
    BotUser,
    LoadUser,
    OperatorUser,
    Plan,
    Record,
)

DB_NAME = "robeing_bench_load"
CACHE_REDIS_DB, BROKER_REDIS_DB = 7, 8
# A session advisory lock on the server, held for the whole run: two runs at
# once (say from two checkouts) would drop and share each other's database
# and Redis databases, and both report nonsense.
RUN_LOCK = 0x6C6F6164  # "load"
SEEDED_PER_ROBEING = 1_500
AGGREGATION_EVERY_SECONDS = 10
ARCHIVE_TASK = "conversations.tasks.archive_conversations"
WORKERS = ("--workers", "3", "--worker-class", "gthread", "--threads", "4", "--timeout", "60")
# gunicorn closes an idle connection after 2 s; a client that sends a POST on
# it just then gets "connection closed" and may not repeat it. The second
# connection of a bot (for requests sent twice at once) idles that long: the
# server keeps connections open longer than any of them idles here.
WORKERS += ("--keep-alive", "75")
RESULTS = Path(__file__).resolve().parent / "load_results.md"


# --- Setting up -----------------------------------------------------------------

SETUP = """
import json, os
from accounts import services
keys = {}
for robeing_id in os.environ["LOAD_ROBEINGS"].split(","):
    keys[robeing_id] = services.api_key_create(robeing_id=robeing_id, name="load")[1]
for n in range(int(os.environ["LOAD_OPERATORS"])):
    services.superuser_set(email=f"operator{n}@load.example", password=os.environ["LOAD_PASSWORD"])
print(json.dumps(keys))
"""
SEED_COPY = (
    "COPY conversation_log (robeing_id, channel_id, channel_type, thread_ts, message, response, "
    "intent, confidence, timestamp, slack_user_id, metadata, event_id, created_at) FROM STDIN"
)
SEEDED_IDS = "SELECT robeing_id, event_id, id FROM conversation_log WHERE event_id LIKE %s"
# Beat's aggregation every few seconds instead of 5 minutes: only in this database.
SHORTEN_AGGREGATION = (
    "UPDATE django_celery_beat_intervalschedule SET every = %s, period = 'seconds' "
    "WHERE id IN (SELECT interval_id FROM django_celery_beat_periodictask WHERE task = %s)"
)


def redis_flush(*dbs: int) -> None:
    for db in dbs:
        redis.Redis(host="127.0.0.1", port=6379, db=db, socket_timeout=10).flushdb()


def load_env(db_url: str, files: Path) -> dict[str, str]:
    return {
        **common.project_env(db_url, redis_db=CACHE_REDIS_DB),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{BROKER_REDIS_DB}",
        # Rate limits (being added in parallel) must not throttle the load.
        "API_RATE_LIMIT_PER_KEY": "1000000/60",
        "API_RATE_LIMIT_PER_ADDRESS": "1000000/60",
        "VAR_DIR": str(files / "var"),
        "ARCHIVE_STORAGE_OPTIONS": json.dumps({"location": str(files / "archives")}),
        "EXPORT_STORAGE_OPTIONS": json.dumps({"location": str(files / "exports")}),
    }


def create_accounts(env: dict[str, str]) -> dict[str, str]:
    """The robeings with one API key each, and the operators; returns the keys."""
    extra = {
        "LOAD_ROBEINGS": ",".join(ROBEINGS),
        "LOAD_OPERATORS": str(OPERATORS),
        "LOAD_PASSWORD": OPERATOR_PASSWORD,
    }
    out = common.manage({**env, **extra}, "shell", "-c", SETUP, timeout=120)
    return json.loads(out.strip().splitlines()[-1])


def seeded_body(robeing_id: str, n: int, now: dt.datetime) -> dict:
    """Seeded turn n of a robeing, as the bot that logged it sent it."""
    days = OLD_DAYS[0] + (OLD_DAYS[1] - OLD_DAYS[0]) * n / SEEDED_PER_ROBEING
    return {
        "event_id": f"Seed-{robeing_id}-{n}",
        "channel_id": f"COLD{n % 7}",
        "channel_type": "channel",
        "thread_ts": "",
        "message": MESSAGES[n % len(MESSAGES)].replace("010-1234-5678", "[PHONE]"),
        "response": RESPONSES[n % len(RESPONSES)],
        "intent": INTENTS[n % len(INTENTS)],
        "confidence": 0.8,
        "timestamp": (now - dt.timedelta(days=days, seconds=n)).isoformat(),
        "slack_user_id": f"U0OLD{n % 50}",
        "metadata": {},
    }


def seed_old_turns(db_url: str, env: dict[str, str]) -> dict[str, list[tuple[int, dict]]]:
    """Turns older than the archive window, counted by the aggregation (archiving
    takes counted turns only): what the archive runs during the load move."""
    now = dt.datetime.now(dt.UTC)
    bodies = {
        (r, f"Seed-{r}-{n}"): seeded_body(r, n, now)
        for r in ROBEINGS
        for n in range(SEEDED_PER_ROBEING)
    }
    with psycopg.connect(db_url) as conn, conn.cursor() as cursor:
        with cursor.copy(SEED_COPY) as copy:
            for (robeing_id, _), b in bodies.items():
                copy.write_row((
                    robeing_id, b["channel_id"], b["channel_type"], b["thread_ts"], b["message"],
                    b["response"], b["intent"], b["confidence"], b["timestamp"],
                    b["slack_user_id"], json.dumps(b["metadata"]), b["event_id"], now,
                ))  # fmt: skip
        rows = cursor.execute(SEEDED_IDS, ["Seed-%"]).fetchall()
    common.manage(env, "aggregate_stats", timeout=300)
    seeded: dict[str, list[tuple[int, dict]]] = {r: [] for r in ROBEINGS}
    for robeing_id, event_id, row_id in rows:
        seeded[robeing_id].append((row_id, bodies[(robeing_id, event_id)]))
    return seeded


def shorten_aggregation_schedule(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        if not conn.execute(
            SHORTEN_AGGREGATION, [AGGREGATION_EVERY_SECONDS, AGGREGATION_TASK]
        ).rowcount:
            raise RuntimeError(f"no beat schedule for {AGGREGATION_TASK}")


# --- Services -------------------------------------------------------------------


def stop_group(process: subprocess.Popen, seconds: float = 60) -> None:
    """Stop a service started in its own process group, children included:
    SIGTERM (Celery's warm shutdown lets a running task finish), then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    try:  # a pool child that outlived its master
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def celery(env: dict[str, str], log: Path, *args: str, ready: str) -> Iterator[subprocess.Popen]:
    """A Celery process (worker or beat) for the block; waits for `ready` in its log."""
    command = [common.PYTHON, "-m", "celery", "-A", "robeing_site", *args, "-f", str(log)]
    process = subprocess.Popen(
        command, cwd=common.ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_line(log, ready, seconds=60, alive=process)
        yield process
    finally:
        stop_group(process)


def wait_for_line(path: Path, text: str, *, seconds: float, alive: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if alive.poll() is not None:
            raise RuntimeError(f"{alive.args[3:5]} exited with {alive.returncode}; see {path}")
        time.sleep(0.3)
    raise RuntimeError(f"no {text!r} in {path} after {seconds} s")


def start_services(stack: ExitStack, env: dict[str, str], port: int, logs: Path) -> dict[str, list]:
    """gunicorn, a Celery worker and beat until `stack` closes; their processes."""
    # Its workers' output (the 4xx warnings of the bad requests, any traceback) to a file.
    log = ("--capture-output", "--error-logfile", str(logs / "gunicorn.log"))
    web = stack.enter_context(common.gunicorn(env, port, workers=(*WORKERS, *log)))
    worker = ("worker", "--loglevel", "INFO", "--concurrency", "2", "--hostname", "load@%h")
    worker += ("--without-gossip", "--without-mingle")
    tasks = stack.enter_context(celery(env, logs / "worker.log", *worker, ready=" ready."))
    beat = ("beat", "--loglevel", "INFO", "--pidfile", str(logs / "beat.pid"))
    beat += ("--scheduler", "django_celery_beat.schedulers:DatabaseScheduler")
    scheduler = stack.enter_context(celery(env, logs / "beat.log", *beat, ready="beat: Starting"))
    return {"gunicorn": [web], "Celery": [tasks, scheduler]}


# --- Beside the load ------------------------------------------------------------


def queue_archive_task(env: dict[str, str], worker_log: Path, deadline: float) -> str:
    """Queue the nightly archive task through the broker and wait for the
    worker to report it done; returns what it returned."""
    module, name = ARCHIVE_TASK.rsplit(".", 1)
    code = f"from {module} import {name}; print({name}.delay().id)"
    task_id = common.shell(env, code, timeout=60)[-1]
    pattern = re.compile(rf"\[{task_id}\] succeeded in [\d.]+s: (.*)")
    while time.monotonic() < deadline:
        if found := pattern.search(worker_log.read_text(errors="replace")):
            return found.group(1)
        gevent.sleep(0.25)
    raise TimeoutError(f"archive task {task_id} did not finish in time")


def background_jobs(env: dict[str, str], run_time: float, worker_log: Path) -> tuple[list, list]:
    """Spawn, at fixed points of the load, what runs beside it; returns the
    greenlets and the list their outcomes go to."""
    runs: list[JobRun] = []
    start = time.monotonic()

    def job(name: str, work: Callable[[], str]) -> None:
        run = JobRun(name, time.monotonic() - start)
        runs.append(run)
        try:
            lines = work().strip().splitlines()  # less the command's progress lines
            run.outcome = " / ".join(line for line in lines if not line.startswith("archiving "))
        except Exception as exc:  # reported with the results, never hidden
            run.outcome = f"FAILED: {exc}"
        run.finished = time.monotonic() - start

    def aggregate() -> str:
        return common.manage(env, "aggregate_stats", timeout=120)

    def archive_command() -> str:
        return common.manage(env, "archive_conversations", timeout=120)

    def archive_task() -> str:
        return queue_archive_task(env, worker_log, time.monotonic() + 120)

    plan = [
        (0.25, "aggregate_stats (command, beside the worker's)", aggregate),
        (0.35, "archive_conversations (Celery task)", archive_task),
        (0.60, "aggregate_stats (command, beside the worker's)", aggregate),
        (0.75, "archive_conversations (command)", archive_command),
    ]
    greenlets = [gevent.spawn_later(at * run_time, job, name, work) for at, name, work in plan]
    return greenlets, runs


# --- The load -------------------------------------------------------------------


def machine_jiffies() -> tuple[float, float]:
    """(busy, all) jiffies of the machine's cores so far, from /proc/stat."""
    fields = [float(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


class CpuMeter:
    """Who used the cores during the load: the services (process trees), the
    PostgreSQL backends of this database, this process with the commands it
    ran, and the rest of the machine (other tests may be running)."""

    def __init__(self, services: dict[str, list[subprocess.Popen]]) -> None:
        self.services = services
        self.start = self.sample()

    def sample(self) -> dict[str, Any]:
        groups = {name: self.trees(ps) for name, ps in self.services.items()}
        groups["PostgreSQL"] = [
            p
            for p in psutil.process_iter(["cmdline"])
            if DB_NAME in " ".join(p.info["cmdline"] or ())
        ]
        own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        return {
            "processes": {name: self.seconds(ps) for name, ps in groups.items()},
            "locust and the commands": sum(u.ru_utime + u.ru_stime for u in own),
            "machine": machine_jiffies(),
        }

    @staticmethod
    def trees(processes: list[subprocess.Popen]) -> list[psutil.Process]:
        found = []
        for process in processes:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(process.pid)
                found += [root, *root.children(recursive=True)]
        return found

    @staticmethod
    def seconds(processes: list[psutil.Process]) -> dict[int, float]:
        times = {}
        for process in processes:
            with contextlib.suppress(psutil.Error):
                cpu = process.cpu_times()
                times[process.pid] = cpu.user + cpu.system
        return times

    def shares(self) -> dict[str, float]:
        """Each one's share of the machine's cores since the start (1.0 = all)."""
        end = self.sample()
        (busy, total), (busy0, total0) = end["machine"], self.start["machine"]
        capacity = (total - total0) / os.sysconf("SC_CLK_TCK")  # core-seconds
        shares = {}
        for name, times in end["processes"].items():
            before = self.start["processes"][name]
            used = sum(t - before.get(pid, 0.0) for pid, t in times.items())
            shares[name] = used / capacity
        own = end["locust and the commands"] - self.start["locust and the commands"]
        shares["locust and the commands beside it"] = own / capacity
        shares["everything else"] = (busy - busy0) / (total - total0) - sum(shares.values())
        return shares


def run_load(
    host: str, plan: Plan, args: argparse.Namespace, env: dict, logs: Path, meter: CpuMeter
) -> LoadResult:
    LoadUser.host, LoadUser.plan = host, plan
    environment = locust.env.Environment(user_classes=[BotUser, OperatorUser], stop_timeout=15)
    runner = environment.create_local_runner()
    user_errors: list[str] = []  # an exception in a task: a request whose answer went unchecked

    def on_user_error(user_instance: LoadUser, exception: Exception, tb: Any, **_: Any) -> None:
        user_errors.append(
            f"{type(user_instance).__name__}: {type(exception).__name__}: {exception}"
        )

    environment.events.user_error.add_listener(on_user_error)
    runner.start(args.users, spawn_rate=args.spawn_rate)
    greenlets, runs = background_jobs(env, args.run_time, logs / "worker.log")
    gevent.sleep(args.run_time)
    plan.stopping = True  # each user stops after its current task
    deadline = time.monotonic() + 60
    while runner.user_count and time.monotonic() < deadline:
        gevent.sleep(0.1)
    runner.quit()  # what is left is killed, its requests' outcomes unknown
    gevent.joinall(greenlets, timeout=180)
    total = environment.stats.total
    seconds = max(total.last_request_timestamp - total.start_time, 1e-3)
    # The load generator shares the cores with the server: say who took how much.
    cpu = meter.shares()
    return LoadResult(environment.stats, seconds, runs, plan.records, user_errors, cpu)


# --- Report ---------------------------------------------------------------------

# Request names in the order of the table; others follow.
KINDS = (
    "turn", "turn retry (at once)", "turn retry (later)", "turn (twice at once)",
    "turn (back-filled, 100+ days old)", "turn retry (seeded, archived)", "batch", "batch resend",
    "batch resend (seeded, archived)", "batch (twice at once, one reversed)",
    "task", "task replay", "context", "stats", "settings", "settings category",
    "settings change (bot)", "settings change (operator)", "settings history", "operator login",
)  # fmt: skip


def request_table(result: LoadResult) -> list[str]:
    entries = sorted(
        result.stats.entries.values(),
        key=lambda e: (
            e.name.startswith("bad: "),
            KINDS.index(e.name) if e.name in KINDS else 99,
            e.name,
        ),
    )
    lines = ["| requests | count | req/s | p50 ms | p95 ms | p99 ms | max ms | failed |"]
    lines.append("|---|---|---|---|---|---|---|---|")
    for e in [*entries, result.stats.total]:
        name = "**all**" if e is result.stats.total else f"{e.method} {e.name}"
        p50, p95, p99 = (e.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99))
        lines.append(
            f"| {name} | {e.num_requests:,} | {e.num_requests / result.seconds:,.1f} | {p50:.0f} | "
            f"{p95:.0f} | {p99:.0f} | {e.max_response_time:.0f} | {e.num_failures} |"
        )
    return lines


def counts_table(told: Record, result: LoadResult, aggregation_runs: int, logs: Path) -> list[str]:
    counts = told.counts
    stored = counts["turns stored"]
    rows = [
        ("turns stored during the load", f"{stored:,} ({stored / result.seconds:,.0f}/s)"),
        ("events acknowledged (seeded included)", f"{len(told.turns):,}"),
        ("events and tasks whose request's outcome is unknown", unknown_outcomes(told)),
        ("tracebacks in gunicorn's log", str(tracebacks(logs / "gunicorn.log"))),
        ("aggregation runs after the load, to empty the backlog", str(aggregation_runs)),
    ]
    rows += sorted((name, f"{n:,}") for name, n in counts.items() if name != "turns stored")
    return ["| what | count |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]


def failures_table(result: LoadResult) -> list[str]:
    """Failures by kind of request, with the first error of each."""
    kinds: dict[str, list] = {}
    for e in result.stats.errors.values():
        kind = kinds.setdefault(f"{e.method} {e.name}", [0, e.error])
        kind[0] += e.occurrences
    if not kinds:
        return []
    lines = ["", "| failed | times | first error |", "|---|---|---|"]
    for name, (times, error) in sorted(kinds.items(), key=lambda kind: -kind[1][0]):
        text = re.sub(r"https?://127\.0\.0\.1:\d+", "", str(error)).replace("|", "/")[:300]
        lines.append(f"| {name} | {times} | {text} |")
    return lines


def tracebacks(log: Path) -> int:
    return log.read_text(errors="replace").count("Traceback") if log.exists() else 0


def unknown_outcomes(told: Record) -> str:
    unknown = (told.in_flight - told.turns.keys()) | (told.tasks_in_flight - told.tasks.keys())
    shown = ", ".join(key for _, key in sorted(unknown)[:3])
    return f"{len(unknown)}{f' ({shown})' if shown else ''}"


def command_line() -> str:
    return " ".join([".venv/bin/python", "bench/load.py", *sys.argv[1:]])


def results_write(section: str) -> None:
    """Put this run's section into RESULTS, replacing the one of the same
    command line and keeping the others (e.g. a run with --archived-retries 0)."""
    sections: dict[str, str] = {}
    if RESULTS.exists():
        for part in RESULTS.read_text().split("\n## ")[1:]:
            sections[part.split("\n", 1)[0]] = f"## {part.rstrip()}\n"
    sections[section.split("\n", 1)[0].removeprefix("## ")] = section
    RESULTS.write_text("# bench/load.py results\n\n" + "\n".join(sections.values()))


def report(
    args: argparse.Namespace,
    result: LoadResult,
    told: Record,
    checks: list[Check],
    aggregation_runs: int,
    logs: Path,
) -> str:
    bots = args.users - OPERATORS
    users = f"{args.users} users ({bots} bots of {len(ROBEINGS)} robeings, {OPERATORS} operators)"
    lines = [
        f"## `{command_line()}`",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. {common.run_header()}",
        "",
        f"gunicorn {' '.join(WORKERS)}; Celery worker (2 processes) and beat; {users}; "
        f"{args.run_time:.0f} s of load ({result.seconds:.1f} s from the first request to the "
        f"last). The {os.cpu_count()} cores were {sum(result.cpu.values()):.0%} busy: "
        + ", ".join(f"{name} {share:.0%}" for name, share in result.cpu.items())
        + ".",
        "",
        *request_table(result),
        "",
        *counts_table(told, result, aggregation_runs, logs),
        "",
        "| check | result | numbers |",
        "|---|---|---|",
        *(f"| {c.name} | {'PASS' if c.passed else '**FAIL**'} | {c.detail} |" for c in checks),
        *failures_table(result),
    ]
    return "\n".join(lines) + "\n"


# --- Main -----------------------------------------------------------------------


class HardTimeout(Exception):
    pass


def merged(plan: Plan) -> Record:
    told = Record()
    for robeing_id, seeded in plan.seeded.items():
        for row_id, body in seeded:
            told.ack_turn((robeing_id, body["event_id"]), row_id)
    for record in plan.records:
        told.merge(record)
    return told


def run(args: argparse.Namespace, files: Path) -> bool:
    redis_flush(CACHE_REDIS_DB, BROKER_REDIS_DB)
    db_url = common.database_recreate(DB_NAME)
    env = load_env(db_url, files)
    common.manage(env, "migrate", "--noinput", timeout=600)
    keys = create_accounts(env)
    print("seeding old turns", file=sys.stderr)
    seeded = seed_old_turns(db_url, env)
    shorten_aggregation_schedule(db_url)
    run_id = f"{time.time_ns() % 10**8:x}"
    plan = Plan(run_id, keys, seeded, args.archived_retries, not args.no_reordered_batches)
    port = common.free_port()
    with ExitStack() as services:
        meter = CpuMeter(start_services(services, env, port, files / "logs"))
        print(f"load: {args.users} users for {args.run_time:.0f} s", file=sys.stderr)
        host = f"http://127.0.0.1:{port}"
        result = run_load(host, plan, args, env, files / "logs", meter)
    print("services stopped; counting the backlog and reconciling", file=sys.stderr)
    aggregation_runs, aggregation_problem = finish_aggregation(db_url, env)
    told = merged(plan)
    checks = reconcile(db_url, env, files, result, told, aggregation_problem)
    text = report(args, result, told, checks, aggregation_runs, files / "logs")
    print(f"\n{text}")
    if not args.no_results:
        results_write(text)
    return all(c.passed for c in checks)


def run_lock() -> psycopg.Connection:
    """The session that holds RUN_LOCK; exits if another run holds it."""
    guard = psycopg.connect(common.database_url("postgres"), autocommit=True)
    if not guard.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK]).fetchone()[0]:
        guard.close()
        sys.exit(f"another bench/load.py is running: it uses {DB_NAME} and Redis 7 and 8 too")
    return guard


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--run-time", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument(
        "--users", type=int, default=30, help=f"locust users, {OPERATORS} of them operators"
    )
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument(
        "--archived-retries", type=float, default=0.3,
        help="share of the back-fill task that repeats seeded events, archived once the first "
        "archive run is through (half alone, half as batches of 10); default 0.3, 0 for none",
    )  # fmt: skip
    parser.add_argument(
        "--no-reordered-batches", action="store_true",
        help="never send a batch twice at once with the second copy reversed",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, help="hard limit for the whole run (default run time + 600 s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    parser.add_argument(
        "--no-results", action="store_true", help="do not write bench/load_results.md"
    )
    args = parser.parse_args()
    if args.users <= OPERATORS:
        parser.error(f"--users must be more than the {OPERATORS} operators")
    guard = run_lock()
    files = Path(tempfile.mkdtemp(prefix="robeing-bench-load-"))
    (files / "logs").mkdir()
    passed = False
    limit = args.timeout or args.run_time + 600
    try:
        # Every wait inside has its own limit; this one bounds them all.
        with gevent.Timeout(limit, HardTimeout(f"stopped: the run took more than {limit:.0f} s")):
            passed = run(args, files)
    except HardTimeout as exc:
        print(exc, file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {DB_NAME} and {files}", file=sys.stderr)
        else:
            shutil.rmtree(files, ignore_errors=True)
            common.database_drop(DB_NAME)
            redis_flush(CACHE_REDIS_DB, BROKER_REDIS_DB)
        guard.close()  # the run lock goes with the session
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
