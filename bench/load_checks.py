"""The reconciliation of bench/load.py: what the clients were told (a merged
load_users.Record) against what the database and the archive files hold.
Each check returns PASS or FAIL with its numbers; none of them relaxes a
rule to fit a result."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from locust.stats import RequestStats

from bench import common
from bench.load_users import OLD_DAYS, ROBEINGS, Key, Record

AGGREGATION_TASK = "stats.tasks.aggregate_conversation_stats"


@dataclass
class JobRun:
    """One job run beside the load (a command, or a task queued to the worker)."""

    name: str
    started: float  # seconds into the load
    finished: float | None = None
    outcome: str = ""


@dataclass
class LoadResult:
    stats: RequestStats
    seconds: float  # first request to last
    runs: list[JobRun]
    records: list[Record]
    user_errors: list[str]  # exceptions in the users' tasks
    cpu: dict[str, float]  # who used the machine's cores during the load: share of all


@dataclass
class Stored:
    """Every turn where it is now: the hot table and the archives."""

    hot: dict[Key, list[int]]
    archived: dict[Key, list[int]]
    hot_ids: set[int]
    archived_ids: set[int]
    per_robeing: Counter  # turns, hot plus archived
    manifest_problems: list[str]
    archive_files: int


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def read_stored(db_url: str, archive_dir: Path) -> Stored:
    hot: dict[Key, list[int]] = {}
    per_robeing: Counter = Counter()
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT robeing_id, event_id, id FROM conversation_log").fetchall()
        manifest = conn.execute(
            "SELECT path, state, row_count, sha256 FROM conversation_archive "
            "WHERE path <> '' ORDER BY id"
        ).fetchall()
    for robeing_id, event_id, row_id in rows:
        hot.setdefault((robeing_id, event_id), []).append(row_id)
        per_robeing[robeing_id] += 1
    archived: dict[Key, list[int]] = {}
    problems = []
    for path, state, row_count, sha256 in manifest:
        data = (archive_dir / path).read_bytes()
        lines = [json.loads(line) for line in gzip.decompress(data).splitlines()]
        if (
            state != "complete"
            or len(lines) != row_count
            or hashlib.sha256(data).hexdigest() != sha256
        ):
            problems.append(f"{path}: {state}, {len(lines)} lines for {row_count}")
        for line in lines:
            archived.setdefault((line["robeing_id"], line["event_id"]), []).append(line["id"])
            per_robeing[line["robeing_id"]] += 1
    hot_ids = {row_id for _, _, row_id in rows}
    archived_ids = {i for ids in archived.values() for i in ids}
    return Stored(hot, archived, hot_ids, archived_ids, per_robeing, problems, len(manifest))


def examples(items: Any, n: int = 3) -> str:
    shown = sorted(items)[:n]
    return f" (e.g. {', '.join(map(str, shown))})" if shown else ""


def check_stored_once(told: Record, stored: Stored) -> Check:
    copies = {k: len(stored.hot.get(k, ())) + len(stored.archived.get(k, ())) for k in told.turns}
    missing = [k for k, n in copies.items() if n == 0]
    twice = [k for k, n in copies.items() if n > 1]
    in_both = stored.hot_ids & stored.archived_ids
    detail = (
        f"{len(copies):,} acknowledged events: {len(copies) - len(missing) - len(twice):,} once, "
        f"{len(missing)} missing{examples(missing)}, {len(twice)} stored more than once"
        f"{examples(twice)}; {len(in_both)} turn ids both hot and archived"
    )
    return Check(
        "1. every acknowledged turn stored exactly once", not (missing or twice or in_both), detail
    )


def check_nothing_else(told: Record, stored: Stored) -> Check:
    unknown = told.in_flight - told.turns.keys()
    everywhere = Counter({k: len(v) for k, v in stored.hot.items()})
    everywhere.update({k: len(v) for k, v in stored.archived.items()})
    unacked = {k: n for k, n in everywhere.items() if k not in told.turns}
    allowed = {k for k, n in unacked.items() if k in unknown and n == 1}
    stray = sorted(set(unacked) - allowed)
    refused_present = sorted(k for k in told.refused if k in everywhere)
    detail = (
        f"{len(unacked)} stored events never acknowledged: {len(allowed)} of {len(unknown)} with "
        f"an unknown outcome (allowed), {len(stray)} others{examples(stray)}; "
        f"{len(told.refused):,} refused events or batch items, {len(refused_present)} stored"
        f"{examples(refused_present)}"
    )
    return Check("2. nothing unacknowledged stored", not (stray or refused_present), detail)


def check_totals(db_url: str, stored: Stored, aggregation_problem: str) -> Check:
    with psycopg.connect(db_url) as conn:
        totals = dict(conn.execute("SELECT robeing_id, total_conversations FROM robeing_stats"))
        xp = dict(
            conn.execute(
                "SELECT robeing_id, sum(amount) FROM stats_xp_event "
                "WHERE reason = 'conversations' GROUP BY robeing_id"
            )
        )
        backlog = conn.execute("SELECT count(*) FROM conversation_uncounted").fetchone()[0]
    wrong = [
        f"{r}: total {totals.get(r)}, turns {stored.per_robeing[r]}, XP {xp.get(r)}"
        for r in ROBEINGS
        if not totals.get(r) == stored.per_robeing[r] == xp.get(r)
    ]
    detail = (
        f"{len(ROBEINGS)} robeings, {sum(stored.per_robeing.values()):,} turns (hot + archived), "
        f"sum of total_conversations {sum(totals.values()):,}; backlog left {backlog}; "
        f"{len(wrong)} differ{': ' + '; '.join(wrong) if wrong else ''}"
        f"{'; ' + aggregation_problem if aggregation_problem else ''}"
    )
    passed = not wrong and backlog == 0 and not aggregation_problem
    return Check("3. total_conversations = turns counted", passed, detail)


def check_ledger(db_url: str, env: dict[str, str], told: Record) -> Check:
    verify = subprocess.run(
        [common.PYTHON, "manage.py", "stats_verify"],
        cwd=common.ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    with psycopg.connect(db_url) as conn:
        ledger = conn.execute(
            "SELECT robeing_id, substr(source_key, 6), count(*), sum(amount) FROM stats_xp_event "
            "WHERE reason = 'task' GROUP BY 1, 2"
        ).fetchall()
        reports = dict(
            ((r, t), n)
            for r, t, n in conn.execute(
                "SELECT robeing_id, task_id, count(*) FROM stats_task_report GROUP BY 1, 2"
            )
        )
    rows = {(r, t): (n, xp) for r, t, n, xp in ledger}
    earning = {k: xp for k, xp in told.tasks.items() if xp > 0}
    wrong = [k for k, xp in earning.items() if rows.get(k) != (1, xp)]
    unknown = told.tasks_in_flight - told.tasks.keys()
    stray = [k for k in rows if k not in earning and k not in unknown]
    no_report = [k for k in told.tasks if reports.get(k) != 1]
    stray_reports = [k for k in reports if k not in told.tasks and k not in unknown]
    detail = (
        f"stats_verify exit {verify.returncode} ({verify.stdout.strip().splitlines()[-1:]}); "
        f"{len(told.tasks):,} acknowledged tasks, {len(earning):,} with XP: {len(wrong)} without "
        f"exactly one ledger row of that XP{examples(wrong)}; {len(stray)} other task rows in the "
        f"ledger{examples(stray)}; {len(no_report)} acknowledged without one report, "
        f"{len(stray_reports)} reports never acknowledged ({len(unknown)} tasks with an "
        "unknown outcome)"
    )
    passed = verify.returncode == 0 and not (wrong or stray or no_report or stray_reports)
    return Check("4. XP = ledger, one ledger row per acknowledged task", passed, detail)


def check_settings_history(db_url: str, told: Record) -> Check:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT robeing_id, category, key, old_value, new_value, version "
            "FROM robeing_settings_change"
        ).fetchall()
    history = Counter(json.dumps(row, sort_keys=True) for row in rows)
    told_rows = Counter(
        json.dumps((c.robeing_id, c.category, c.key, c.old, c.new, c.version), sort_keys=True)
        for c in told.changes
    )
    missing = told_rows - history
    unexplained = history - told_rows
    in_flight = {k for k, n in told.changes_in_flight.items() if n}
    stray = [r for r in unexplained if tuple(json.loads(r)[:2]) not in in_flight]
    detail = (
        f"{sum(told_rows.values()):,} acknowledged key changes, {sum(missing.values())} not in the "
        f"history{examples(missing)}; {len(rows):,} history rows, {len(stray)} that no "
        f"acknowledged or unknown-outcome write explains{examples(stray)}"
    )
    return Check("5. every settings change in the history", not (missing or stray), detail)


def check_requests(result: LoadResult) -> Check:
    stats = result.stats
    failing = [
        f"{e.method} {e.name} x{e.num_failures}" for e in stats.entries.values() if e.num_failures
    ]
    bad = sum(e.num_requests for e in stats.entries.values() if e.name.startswith("bad: "))
    detail = (
        f"{stats.total.num_requests:,} requests, {stats.total.num_failures} failed"
        f"{': ' + ', '.join(failing) if failing else ''}; {bad} deliberately bad ones, "
        "each counted failed unless it got exactly its expected status; "
        f"{len(result.user_errors)} exceptions in the users' tasks{examples(result.user_errors)}"
    )
    passed = stats.total.num_failures == 0 and not result.user_errors
    return Check("6. no failed requests but the deliberately bad", passed, detail)


def check_jobs(result: LoadResult, worker: dict[str, Any]) -> Check:
    archive_runs = [r for r in result.runs if r.name.startswith("archive")]
    ok = all(r.finished and not r.outcome.startswith("FAILED") for r in result.runs)
    moved = worker["archived"]
    detail = (
        f"beat queued {worker['aggregations']} aggregation runs the worker finished; "
        + "; ".join(
            f"{r.name} at {r.started:.0f}-{r.finished or 0:.0f} s: {r.outcome}" for r in result.runs
        )
    )
    failures = worker["failures"]
    detail += f"; {len(failures)} tasks failed or retried in the worker{examples(failures, 2)}"
    passed = ok and worker["aggregations"] > 0 and len(archive_runs) == 2 and moved > 0
    passed = passed and not failures
    return Check("0. aggregation and archiving ran during the load", passed, detail)


def check_archives(stored: Stored) -> Check:
    problems = stored.manifest_problems
    detail = (
        f"{stored.archive_files} archive files, {len(problems)} unlike their manifest row"
        f"{examples(problems)}"
    )
    return Check("7. archives match their manifest", not stored.manifest_problems, detail)


def check_rollups(env: dict[str, str]) -> Check:
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=OLD_DAYS[1] + 2)).date()
    done = subprocess.run(
        [common.PYTHON, "manage.py", "analytics_verify", "--since", since.isoformat()],
        cwd=common.ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    last = (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:]  # not the progress
    return Check(
        "8. dashboard rollups = turns (analytics_verify)",
        done.returncode == 0,
        f"exit {done.returncode}: {last}",
    )


def worker_log_summary(log: Path) -> dict[str, Any]:
    text = log.read_text(errors="replace")
    aggregations = len(re.findall(rf"{re.escape(AGGREGATION_TASK)}\[[^\]]+\] succeeded", text))
    archived = sum(
        int(n)
        for n in re.findall(
            r"archive_conversations\[[^\]]+\] succeeded in [\d.]+s: \{'turns': (\d+)", text
        )
    )
    # A task that raised, or that Celery retries (a transient database error).
    failures = re.findall(r"Task (\S+) (?:raised unexpected|retry): (.{0,200})", text)
    return {"aggregations": aggregations, "archived": archived, "failures": failures}


# What is left on the backlog, and whether its turns exist.
BACKLOG = (
    "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS "
    "(SELECT 1 FROM conversation_log t WHERE t.id = u.turn_id)) FROM conversation_uncounted u"
)
# Other sessions on this database: what could hold the backlog's rows.
SESSIONS = (
    "SELECT pid, application_name, state, wait_event, left(query, 80) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def finish_aggregation(db_url: str, env: dict[str, str]) -> tuple[int, str]:
    """Count the backlog to the end, as the next beat runs would: the runs it
    took, and what went wrong if it did not empty (check 3 reports it)."""
    for run in range(1, 11):
        try:
            last = common.manage(env, "aggregate_stats", timeout=300).strip()
        except subprocess.CalledProcessError as exc:
            return run, f"aggregate_stats failed: {exc.stderr.strip()[-600:]}"
        with psycopg.connect(db_url) as conn:
            left, orphans = conn.execute(BACKLOG).fetchone()
            if not left:
                return run, ""
            sessions = conn.execute(SESSIONS).fetchall()
    return run, (
        f"the backlog did not empty in {run} runs: {left} turns left, {orphans} of them not in "
        f"conversation_log; the last run said {last!r}; other sessions: {sessions}"
    )


def reconcile(
    db_url: str,
    env: dict[str, str],
    files: Path,
    result: LoadResult,
    told: Record,
    aggregation_problem: str,
) -> list[Check]:
    worker = worker_log_summary(files / "logs" / "worker.log")
    stored = read_stored(db_url, files / "archives")
    return [
        check_jobs(result, worker),
        check_stored_once(told, stored),
        check_nothing_else(told, stored),
        check_totals(db_url, stored, aggregation_problem),
        check_ledger(db_url, env, told),
        check_settings_history(db_url, told),
        check_requests(result),
        check_archives(stored),
        check_rollups(env),
    ]
