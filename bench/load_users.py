"""The locust users of bench/load.py, and what each records of the answers it got.

BotUser is one bot of one robeing; OperatorUser a staff user in the admin's
session. Each books every event, task and settings change it was told is
stored (acknowledged), refused, or neither (the request's outcome unknown),
so that the reconciliation (bench/load_checks.py) can hold the database to
exactly what the clients were told.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, task
from locust.exception import StopUser

ROBEINGS = tuple(f"rbload{n}" for n in range(1, 7))
# Operators change these most; their bots change their own settings as well.
CONTENDED = ROBEINGS[:2]
OPERATORS = 3
OPERATOR_PASSWORD = "load-bench-operator"  # a throwaway database's staff users
OLD_DAYS = (100, 190)  # seeded and back-filled turns: past ARCHIVE_AFTER_DAYS (90)
API = "/api/v1/robeings"
REQUEST_TIMEOUT = 30.0
TASK_TYPES = ("email", "counseling", "schedule", "team_report", "moderation", "news")
INTENTS = ("schedule", "question", "report", "chat", "email", "")
MESSAGES = (
    "내일 오전 10시 분기 보고서 검토 회의 자료를 미리 받아볼 수 있을까요?",
    "회의 끝나면 010-1234-5678로 연락 주세요",
    "Can you summarise yesterday's #sales thread for me?",
    "지난주 신규 고객 온보딩 현황 정리해 주세요. 담당자는 kim@example.com 입니다.",
    "What's on my calendar for Friday afternoon?",
)
RESPONSES = (
    "네, 회의 자료를 정리해 금요일 오후까지 공유하겠습니다.",
    "Sure: three deals moved to negotiation, one closed.",
    "알겠습니다. 회의 후에 알려드릴게요.",
    "Friday 14:00-15:00 design review, 16:00 one-on-one.",
)

Key = tuple[str, str]  # (robeing_id, event_id or task_id)


# --- What the load was told ---------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One settings key that an acknowledged write changed."""

    robeing_id: str
    category: str
    key: str
    old: Any
    new: Any
    version: int


@dataclass
class Record:
    """What one locust user was told; merged over all users at the end."""

    turns: dict[Key, set[int]] = field(default_factory=dict)  # acknowledged -> row ids answered
    refused: set[Key] = field(default_factory=set)  # a 4xx or a batch error: must be absent
    in_flight: set[Key] = field(default_factory=set)  # no definite answer: once or absent
    tasks: dict[Key, int] = field(default_factory=dict)  # acknowledged -> XP awarded
    tasks_refused: set[Key] = field(default_factory=set)
    tasks_in_flight: set[Key] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    changes_in_flight: Counter = field(default_factory=Counter)  # (robeing, category)
    counts: Counter = field(default_factory=Counter)

    def ack_turn(self, key: Key, row_id: int) -> None:
        self.turns.setdefault(key, set()).add(row_id)
        self.in_flight.discard(key)

    def merge(self, other: Record) -> None:
        for key, ids in other.turns.items():
            self.turns.setdefault(key, set()).update(ids)
        self.refused |= other.refused
        self.in_flight |= other.in_flight
        self.tasks.update(other.tasks)
        self.tasks_refused |= other.tasks_refused
        self.tasks_in_flight |= other.tasks_in_flight
        self.changes += other.changes
        self.changes_in_flight += other.changes_in_flight
        self.counts += other.counts


@dataclass
class Plan:
    """What the users need to know, set before the run."""

    run_id: str
    keys: dict[str, str]
    seeded: dict[str, list[tuple[int, dict]]]  # robeing -> (row id, body) of the seeded turns
    archived_retries: float  # share of the back-fill task that repeats a seeded event
    reordered_batches: bool  # send some batches twice at once, the second copy reversed
    records: list[Record] = field(default_factory=list)
    stopping: bool = False  # set at the end of the run time: users stop between tasks


class BadRequest(NamedTuple):
    """A deliberately bad request and the one status it must get."""

    name: str
    status: int
    method: str
    path: str
    body: str | None
    headers: dict[str, str]
    key: Key | None = None  # what it would have stored: must be absent
    task: bool = False  # the key is a task's, not an event's


def flat_diff(old: dict, new: dict, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """The changed leaves of two settings categories, as the history names them."""
    changes = []
    for key in sorted(set(old) | set(new)):
        path, before, after = f"{prefix}{key}", old.get(key), new.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            changes += flat_diff(before, after, f"{path}.")
        elif before != after:
            changes.append((path, before, after))
    return changes


def failed(response: Any, expectation: str) -> None:
    """Mark a locust response failed, saying what was expected and what came."""
    text = (response.text or "")[:200] if response.status_code else str(response.error)
    response.failure(f"{expectation}; got {response.status_code}: {text}")


def etag_version(response: Any) -> int:
    return int(response.headers["ETag"].strip('"'))


# --- Locust users ---------------------------------------------------------------


class LoadUser(FastHttpUser):
    abstract = True
    network_timeout = connection_timeout = REQUEST_TIMEOUT
    pause: tuple[float, float]  # seconds between tasks
    plan: Plan  # set by run_load
    numbers = itertools.count()

    def on_start(self) -> None:
        self.number = next(self.numbers)
        self.rng = random.Random(f"{self.plan.run_id}-{type(self).__name__}-{self.number}")
        self.record = Record()
        self.plan.records.append(self.record)
        self.serial = itertools.count(1)

    def wait_time(self) -> float:
        # Users stop here, between tasks, with nothing in flight. Locust's own
        # stop kills a user that is waiting, and when its pause ends in the same
        # moment the kill lands in the request it has begun: an answer lost.
        if self.plan.stopping:
            raise StopUser()
        return self.rng.uniform(*self.pause)

    def next_id(self, prefix: str) -> str:
        return (
            f"{prefix}{self.plan.run_id}-{type(self).__name__[0]}{self.number}-{next(self.serial)}"
        )

    def check_failed(self, name: str, message: str) -> None:
        """A failure that is no single response's: reported as its own request."""
        self.environment.events.request.fire(
            request_type="CHECK", name=name, response_time=0, response_length=0,
            exception=AssertionError(message), context={}, response=None,
        )  # fmt: skip

    def change_settings(
        self, robeing_id: str, category: str, patch: Callable[[dict], dict], name: str, **headers
    ) -> int | None:
        """Read a category, then PATCH it with If-Match: the acknowledged version,
        or None (412 on a lost race is counted, not failed)."""
        path = f"{API}/{robeing_id}/settings/{category}/"
        with self.client.get(
            path, headers=headers, name="settings category", catch_response=True
        ) as r:
            if r.status_code != 200:
                return failed(r, "expected 200")
            before, version = r.json()["values"], etag_version(r)
        self.before_write()
        headers = {**headers, "Content-Type": "application/merge-patch+json"}
        headers["If-Match"] = f'"{version}"'
        self.record.changes_in_flight[(robeing_id, category)] += 1
        body = json.dumps(patch(before))
        with self.client.request(
            "PATCH", path, data=body, headers=headers, name=name, catch_response=True
        ) as r:
            if r.status_code == 412:
                self.record.counts["settings 412 (lost the race)"] += 1
                self.record.changes_in_flight[(robeing_id, category)] -= 1
                return r.success()
            if r.status_code != 200:
                return failed(r, "expected 200 or 412")
            after = r.json()
            changes = flat_diff(before, after["values"])
            if changes and after["version"] != version + 1:
                r.failure(f"version {after['version']} after If-Match {version}")
        self.record.changes_in_flight[(robeing_id, category)] -= 1
        self.record.counts["settings changes acknowledged"] += 1
        for key, old, new in changes:
            change = Change(robeing_id, category, key, old, new, after["version"])
            self.record.changes.append(change)
        return after["version"]

    def before_write(self) -> None:
        """Between reading a category and writing it (operators think)."""


class BotUser(LoadUser):
    """One bot of one robeing: users are dealt to the robeings in turn."""

    weight = 10
    pause = (0.05, 0.3)

    def on_start(self) -> None:
        super().on_start()
        self.robeing = ROBEINGS[self.number % len(ROBEINGS)]
        self.other = ROBEINGS[(self.number + 1) % len(ROBEINGS)]
        self.auth = {"Authorization": f"Api-Key {self.plan.keys[self.robeing]}"}
        # Each bot has threads of its own, so it knows the last turn of each.
        self.threads = [
            (f"CLOAD{self.number:03d}", f"1724000{self.number:03d}.{k:06d}") for k in range(3)
        ]
        self.last_in_thread: dict[tuple[str, str], int] = {}
        self.seeded = self.plan.seeded[self.robeing]
        self.seeded_ids = {(self.robeing, body["event_id"]): {i} for i, body in self.seeded}
        self.sent: list[dict] = []  # acknowledged single turns, for later retries
        self.successes = 0  # this bot's successful tasks: a floor for the robeing's stats
        self.settings_version = 0  # the newest version this bot wrote

    def post(self, path: str, body: dict, name: str, robeing_id: str | None = None, **headers):
        url = f"{API}/{robeing_id or self.robeing}/{path}"
        return self.client.post(
            url, json=body, headers={**self.auth, **headers}, name=name, catch_response=True
        )

    def get(self, path: str, name: str):
        url = f"{API}/{self.robeing}/{path}"
        return self.client.get(url, headers=self.auth, name=name, catch_response=True)

    def turn_body(self, *, old: bool = False) -> dict:
        channel, thread = ("CBACKFILL", "") if old else self.rng.choice(self.threads)
        body = {
            "event_id": self.next_id("Ev"),
            "channel_id": channel,
            "channel_type": "channel",
            "thread_ts": thread,
            "slack_user_id": f"U0LOAD{self.number:03d}{self.rng.randrange(4)}",
            "message": self.rng.choice(MESSAGES),
            "response": self.rng.choice(RESPONSES),
            "intent": self.rng.choice(INTENTS),
            "confidence": round(self.rng.random(), 2),
            "metadata": {"team": "T0LOAD", "client_msg_id": f"{self.rng.getrandbits(64):016x}"},
        }
        if old:
            days = self.rng.uniform(*OLD_DAYS)
            body["timestamp"] = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()
        return body

    def acked(self, body: dict, row_id: int) -> None:
        self.record.ack_turn((self.robeing, body["event_id"]), row_id)
        thread = (body["channel_id"], body["thread_ts"])
        if thread in self.threads:  # not a back-filled or seeded turn
            # The newest of the thread: a duplicate in a batch answers an older row.
            self.last_in_thread[thread] = max(row_id, self.last_in_thread.get(thread, 0))
            self.sent = [*self.sent[-499:], body]

    def store_turn(self, body: dict, name: str) -> int | None:
        self.record.in_flight.add((self.robeing, body["event_id"]))
        with self.post("conversations/", body, name) as r:
            if r.status_code != 201:
                return failed(r, "expected 201")
            row_id = r.json()["id"]
        self.acked(body, row_id)
        self.record.counts["turns stored"] += 1
        return row_id

    def retry(self, body: dict, name: str, originals: set[int]) -> None:
        """Send an event again: 200 with the original row, nothing stored."""
        self.record.counts["retries"] += 1
        with self.post("conversations/", body, name) as r:
            if r.status_code == 200 and r.json()["id"] in originals:
                self.record.counts["retries answered 200 with the original"] += 1
                return
            if r.status_code == 201:  # stored again: check 1 counts the copies
                self.record.ack_turn((self.robeing, body["event_id"]), r.json()["id"])
            failed(r, f"a retry must answer 200 with row {sorted(originals)}")

    @task(30)
    def log_turn(self) -> None:
        body = self.turn_body()
        row_id = self.store_turn(body, "turn")
        if row_id is not None and self.rng.random() < 0.15:
            self.retry(body, "turn retry (at once)", {row_id})

    @task(6)
    def retry_earlier_turn(self) -> None:
        if self.sent:
            body = self.rng.choice(self.sent)
            self.retry(
                body, "turn retry (later)", self.record.turns[(self.robeing, body["event_id"])]
            )

    @task(3)
    def log_turn_twice_at_once(self) -> None:
        """Slack's retry arriving while the first delivery is still being stored."""
        body = self.turn_body()
        self.record.in_flight.add((self.robeing, body["event_id"]))
        answers: list[tuple[int, int]] = []

        def send() -> None:
            with self.post("conversations/", body, "turn (twice at once)") as r:
                if r.status_code not in (200, 201):
                    return failed(r, "expected 201 or 200")
                answers.append((r.status_code, r.json()["id"]))

        gevent.joinall([gevent.spawn(send), gevent.spawn(send)], timeout=REQUEST_TIMEOUT + 5)
        for status, row_id in answers:
            self.acked(body, row_id)
            self.record.counts["turns stored"] += status == 201
        self.record.counts["retries"] += 1
        if len(answers) == 2:
            if sorted(s for s, _ in answers) == [200, 201] and len({i for _, i in answers}) == 1:
                self.record.counts["retries answered 200 with the original"] += 1
            else:
                self.check_failed(
                    "turn (twice at once)", f"one 201 and one 200 expected: {answers}"
                )

    @task(6)
    def log_batch(self) -> None:
        turns = [self.turn_body() for _ in range(self.rng.randint(20, 100))]
        if self.rng.random() < 0.3:  # a few items the server must refuse alone
            for index in self.rng.sample(range(len(turns)), self.rng.randint(1, 3)):
                turns[index] = {**turns[index], "confidence": 7}
        if self.sent and self.rng.random() < 0.3:  # events sent before: duplicates
            turns += self.rng.sample(self.sent, min(5, len(self.sent)))
            self.rng.shuffle(turns)
        if self.send_batch(turns, "batch") and self.rng.random() < 0.3:
            self.record.counts["batch resends"] += 1
            self.send_batch(turns, "batch resend")

    @task(1)
    def log_batch_twice_at_once(self) -> None:
        """The same new batch from two deliveries at the same moment, in opposite
        orders (two replicas of a bot that both took the same events off a queue):
        each event created by one, a duplicate of that row for the other."""
        if not self.plan.reordered_batches:
            return self.log_batch()
        turns = [self.turn_body() for _ in range(self.rng.randint(20, 100))]
        self.record.in_flight.update((self.robeing, t["event_id"]) for t in turns)
        name, answers = "batch (twice at once, one reversed)", []  # event id -> result

        def send(items: list[dict]) -> None:
            with self.post("conversations/batch/", {"turns": items}, name) as r:
                if r.status_code != 200:
                    return failed(r, "expected 200")
                answers.append({item.get("event_id"): item for item in r.json()["results"]})

        pair = [gevent.spawn(send, turns), gevent.spawn(send, turns[::-1])]
        gevent.joinall(pair, timeout=REQUEST_TIMEOUT + 5)
        self.record.counts["batches sent twice at once"] += 1
        problems = [p for t in turns if (p := self.paired_item(t, answers))]
        if problems:
            self.check_failed(name, f"{len(problems)} items: {'; '.join(problems[:3])}")

    def paired_item(self, turn: dict, answers: list[dict[str, dict]]) -> str:
        """Book one event of a batch sent twice; what is wrong with it, if anything."""
        results = [answer.get(turn["event_id"]) for answer in answers]
        for result in results:
            if result and result["status"] != "error":
                self.acked(turn, result["id"])
        statuses = sorted(result["status"] if result else "missing" for result in results)
        self.record.counts["turns stored"] += statuses.count("created")
        if len(results) == 2 and (
            statuses != ["created", "duplicate"]
            or len(self.record.turns[(self.robeing, turn["event_id"])]) != 1
        ):
            return f"{turn['event_id']}: {results}"
        return ""

    def send_batch(self, turns: list[dict], name: str) -> bool:
        keys = [(self.robeing, t["event_id"]) for t in turns]
        new = (k for k in keys if k not in self.record.turns and k not in self.seeded_ids)
        self.record.in_flight.update(new)
        with self.post("conversations/batch/", {"turns": turns}, name) as r:
            if r.status_code != 200:
                return bool(failed(r, "expected 200"))
            problems = [
                problem
                for turn, key, result in zip(turns, keys, r.json()["results"], strict=True)
                if (problem := self.batch_item(turn, key, result))
            ]
            if problems:
                r.failure(f"{len(problems)} items: {'; '.join(problems[:3])}")
        return True

    def batch_item(self, turn: dict, key: Key, result: dict) -> str:
        """Book one item of a batch answer; what is wrong with it, if anything."""
        known = self.record.turns.get(key, set()) | self.seeded_ids.get(key, set())
        status = result["status"]
        if status == "error":
            self.record.refused.add(key)
            self.record.in_flight.discard(key)
            self.record.counts["batch items refused"] += 1
            return "" if turn["confidence"] == 7 else f"{key[1]} refused: {result['errors']}"
        self.acked(turn, result["id"])
        if turn["confidence"] == 7:
            return f"{key[1]} with confidence 7 was {status}"
        if status == "created" and not known:
            self.record.counts["turns stored"] += 1
            return ""
        if status == "duplicate" and result["id"] in known:
            self.record.counts["batch items answered duplicate"] += 1
            return ""
        return f"{key[1]} {status} as row {result['id']}, earlier answers {sorted(known)}"

    @task(6)
    def report_task(self) -> None:
        body = {
            "task_id": self.next_id("T"),
            "task_type": self.rng.choice(TASK_TYPES),
            "difficulty": self.rng.randint(1, 5),
            "outcome": "success" if self.rng.random() < 0.85 else "failure",
        }
        key = (self.robeing, body["task_id"])
        self.record.tasks_in_flight.add(key)
        with self.post("tasks/", body, "task") as r:
            if r.status_code != 201:
                return failed(r, "expected 201")
            xp = r.json()["xp_awarded"]
        self.record.tasks[key] = xp
        self.record.tasks_in_flight.discard(key)
        self.successes += body["outcome"] == "success"
        if self.rng.random() < 0.2:
            self.record.counts["task replays"] += 1
            with self.post("tasks/", body, "task replay") as r:
                if r.status_code != 200 or r.json()["xp_awarded"] != xp:
                    failed(r, f"a replay must answer 200 with xp_awarded {xp}")

    @task(10)
    def read_context(self) -> None:
        channel, thread = self.rng.choice(self.threads)
        last = self.last_in_thread.get((channel, thread))
        path = f"context/?{urlencode({'channel_id': channel, 'thread_ts': thread})}"
        with self.get(path, "context") as r:
            if r.status_code != 200:
                return failed(r, "expected 200")
            if last is not None and last not in {t["id"] for t in r.json()["turns"]}:
                r.failure(f"the context misses this bot's last turn of the thread, {last}")

    @task(6)
    def read_stats(self) -> None:
        with self.get("stats/", "stats") as r:
            if r.status_code != 200:
                return failed(r, "expected 200")
            if r.json()["successful_tasks"] < self.successes:
                r.failure(f"stats older than this bot's {self.successes} successful tasks")

    @task(6)
    def read_settings(self) -> None:
        with self.get("settings/", "settings") as r:
            if r.status_code != 200:
                return failed(r, "expected 200")
            if r.json()["version"] < self.settings_version:
                r.failure(f"settings older than this bot's own write, {self.settings_version}")

    @task(1)
    def change_own_settings(self) -> None:
        def patch(before: dict) -> dict:
            return {"response_length": self.rng.choice(["brief", "normal", "detailed"])}

        # A bot's own write, racing the operators' on the contended robeings.
        version = self.change_settings(
            self.robeing, "user_preference", patch, "settings change (bot)", **self.auth
        )
        self.settings_version = max(self.settings_version, version or 0)

    @task(1)
    def backfill_or_retry_archived(self) -> None:
        """A client back-filling old history: new old turns, or seeded events
        again (archived once the first archive run is through), alone or as a batch."""
        roll, share = self.rng.random(), self.plan.archived_retries
        if roll < share / 2:
            row_id, body = self.rng.choice(self.seeded)
            self.retry(body, "turn retry (seeded, archived)", {row_id})
        elif roll < share:
            self.record.counts["batch resends"] += 1
            turns = [body for _, body in self.rng.sample(self.seeded, 10)]
            self.send_batch(turns, "batch resend (seeded, archived)")
        else:
            self.store_turn(self.turn_body(old=True), "turn (back-filled, 100+ days old)")

    @task(2)
    def send_bad_request(self) -> None:
        bad = self.rng.choice(self.bad_requests())()
        if bad.key:
            self.record.in_flight.add(bad.key)
        with self.client.request(
            bad.method, bad.path, data=bad.body, headers=bad.headers, name=bad.name,
            catch_response=True,
        ) as r:  # fmt: skip
            if r.status_code != bad.status:
                return failed(r, f"expected {bad.status}")
            r.success()
            self.record.counts[f"{bad.name} -> {bad.status}"] += 1
        if bad.key:  # refused: must not be stored
            self.record.in_flight.discard(bad.key)
            (self.record.tasks_refused if bad.task else self.record.refused).add(bad.key)

    def bad_requests(self) -> list[Callable[[], BadRequest]]:
        mine = f"{API}/{self.robeing}"
        json_auth = {**self.auth, "Content-Type": "application/json"}
        patch_auth = {**self.auth, "Content-Type": "application/merge-patch+json"}

        def turn(name: str, status: int, change: dict, robeing_id: str = "") -> Callable:
            def build() -> BadRequest:
                body = {**self.turn_body(), **change}
                where = robeing_id or self.robeing
                path = f"{API}/{where}/conversations/"
                key = (where, body["event_id"])
                return BadRequest(name, status, "POST", path, json.dumps(body), json_auth, key)

            return build

        def bad_task() -> BadRequest:
            body = {"task_id": self.next_id("T"), "task_type": "email", "difficulty": 9}
            body["outcome"] = "success"
            key = (self.robeing, body["task_id"])
            path, data = f"{mine}/tasks/", json.dumps(body)
            return BadRequest(
                "bad: task difficulty 9", 400, "POST", path, data, json_auth, key, True
            )

        def bad_setting(name: str, status: int, category: str, body: dict) -> Callable:
            path = f"{mine}/settings/{category}/"
            return lambda: BadRequest(name, status, "PATCH", path, json.dumps(body), patch_auth)

        wrong_key = {"Authorization": "Api-Key not-a-key"}
        return [
            turn("bad: confidence 1.5", 400, {"confidence": 1.5}),
            turn("bad: NUL in message", 400, {"message": "hi\u0000there"}),
            turn("bad: another robeing's URL", 403, {}, self.other),
            bad_task,
            lambda: BadRequest("bad: wrong API key", 401, "GET", f"{mine}/stats/", None, wrong_key),
            bad_setting("bad: unknown settings category", 404, "nope", {"a": 1}),
            bad_setting(
                "bad: setting of wrong type", 400, "system_settings", {"max_memory_size": "x"}
            ),
        ]


class OperatorUser(LoadUser):
    """A staff user in the admin's session, changing settings through the API."""

    fixed_count = OPERATORS
    pause = (0.2, 1.0)

    def on_start(self) -> None:
        super().on_start()
        self.headers: dict[str, str] = {}
        with self.client.get("/admin/login/", name="operator login", catch_response=True) as r:
            if r.status_code != 200:
                return failed(r, "expected 200")
        form = {
            "username": f"operator{self.number % OPERATORS}@load.example",
            "password": OPERATOR_PASSWORD,
            "csrfmiddlewaretoken": self.cookie("csrftoken"),
            "next": "/admin/",
        }
        with self.client.post(
            "/admin/login/", data=urlencode(form), allow_redirects=False, catch_response=True,
            headers={"Content-Type": "application/x-www-form-urlencoded"}, name="operator login",
        ) as r:  # fmt: skip
            if r.status_code != 302:
                return failed(r, "expected 302 to the admin")
        self.headers = {"X-CSRFToken": self.cookie("csrftoken")}  # a new token after login

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.client.cookiejar if c.name == name), "")

    def before_write(self) -> None:
        gevent.sleep(self.rng.uniform(0, 0.3))  # reading what is there: others may write

    @task(5)
    def change_settings_of_a_robeing(self) -> None:
        robeing_id = self.rng.choice(CONTENDED if self.rng.random() < 0.8 else ROBEINGS)
        category = self.rng.choice(list(OPERATOR_PATCHES))
        patch = OPERATOR_PATCHES[category]
        self.change_settings(
            robeing_id,
            category,
            lambda before: patch(self.rng),
            "settings change (operator)",
            **self.headers,
        )

    @task(2)
    def read_history(self) -> None:
        robeing_id = self.rng.choice(CONTENDED)
        path = f"{API}/{robeing_id}/settings/history/"
        with self.client.get(
            path, headers=self.headers, name="settings history", catch_response=True
        ) as r:
            if r.status_code != 200:
                failed(r, "expected 200")


OPERATOR_PATCHES: dict[str, Callable[[random.Random], dict]] = {
    "user_preference": lambda rng: {
        "response_style": rng.choice(["formal", "casual", "friendly"]),
        "timezone": rng.choice(["Asia/Seoul", "UTC", "Europe/Berlin"]),
    },
    "system_settings": lambda rng: {
        "max_memory_size": rng.randint(20, 2000),
        "memory_ttl_days": rng.randint(7, 90),
    },
    "skill_settings": lambda rng: {
        "email": {"check_interval": rng.randint(30, 3600)},
        "news": {"summary_length": rng.randint(1, 10)},
    },
}
