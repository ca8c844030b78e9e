"""ConversationLogger: the seed's `log_conversation`, which never blocks a reply.

A call builds the turn and puts it in a bounded in-memory queue; a background
thread sends queued turns through the batch endpoint (up to `batch_size` per
request, at least every `flush_interval` seconds). What the server did not
answer (no answer, 429, 5xx) is sent again, with backoff and the server's
Retry-After, until it is stored: each turn carries an event id, so a batch
sent twice stores each turn once. A turn the server refuses (its fields) is
logged and counted, and the rest of its batch is stored.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from robeing_client import errors, transport

logger = logging.getLogger("robeing_client")

OnFull = Literal["drop_oldest", "drop_newest"]
# Where the Slack handler's metadata keys go (seed 6.1: channel, ts, thread_ts).
SLACK_COLUMNS = {
    "slack_channel": "channel_id",  # the seed's handler (2.2) sends these names
    "channel": "channel_id",
    "channel_id": "channel_id",
    "thread_ts": "thread_ts",
    "channel_type": "channel_type",
    "intent": "intent",
    "confidence": "confidence",
}


@dataclass
class Counters:
    """What the logger did, readable at any time (`logger.counters`)."""

    queued: int = 0
    sent: int = 0  # stored by the server (created)
    duplicates: int = 0  # the server had them already (a resend after a lost answer)
    rejected: int = 0  # refused by the server (their fields): logged, not resent
    dropped: int = 0  # the queue was full
    retried: int = 0  # batch requests sent again
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **increments: int) -> None:
        with self.lock:
            for name, value in increments.items():
                setattr(self, name, getattr(self, name) + value)


@dataclass(frozen=True)
class QueuedTurn:
    robeing_id: str
    body: dict[str, Any]


def turn_body(user_id: str | None, message: str, response: str, metadata: dict | None) -> dict:
    """The batch item for the seed's arguments. A Slack user id (U...) goes to
    `slack_user_id`, a console user's UUID to `user_id`; the Slack event id, or
    channel:ts, is the event id, so a Slack retry of the same event is a
    duplicate; without either, one is made here, so a resend still is."""
    metadata = dict(metadata or {})
    body: dict[str, Any] = {"message": message, "response": response or ""}
    for key, column in SLACK_COLUMNS.items():
        if key in metadata and metadata[key] not in (None, ""):
            body[column] = metadata.pop(key)
    ts = (
        metadata.pop("slack_ts", None) or metadata.pop("ts", None) or metadata.pop("event_ts", None)
    )
    event_id = metadata.pop("event_id", None) or metadata.pop("slack_event_id", None)
    if not event_id and ts and body.get("channel_id"):
        event_id = f"{body['channel_id']}:{ts}"
    body["event_id"] = str(event_id or f"client:{uuid.uuid4()}")
    if ts and "ts" not in metadata:
        metadata["ts"] = str(ts)
    if user_id:
        try:
            body["user_id"] = str(uuid.UUID(str(user_id)))
        except ValueError:
            body["slack_user_id"] = str(user_id)
    if metadata:
        body["metadata"] = metadata
    return body


def batch_take(queue: deque[QueuedTurn], size: int) -> list[QueuedTurn]:
    """Up to `size` turns off the front of the queue, all of the first one's
    robeing (the batch endpoint is the robeing's)."""
    batch: list[QueuedTurn] = []
    robeing_id = queue[0].robeing_id if queue else ""
    while queue and len(batch) < size and queue[0].robeing_id == robeing_id:
        batch.append(queue.popleft())
    return batch


def batch_request(batch: list[QueuedTurn]) -> tuple[str, dict[str, Any]]:
    """The path and body of one batch (the batch endpoint is the robeing's)."""
    path = f"/robeings/{batch[0].robeing_id}/conversations/batch/"
    return path, {"turns": [turn.body for turn in batch]}


def batch_answered(counters: Counters, batch: list[QueuedTurn], answer: dict) -> None:
    """Count the server's answer to a batch; log each turn it refused."""
    counters.add(sent=int(answer.get("created", 0)), duplicates=int(answer.get("duplicates", 0)))
    for result in answer.get("results", []):
        if result.get("status") == "error":
            counters.add(rejected=1)
            event_id = batch[result["index"]].body.get("event_id")
            logger.error("robeing_client: turn %s refused: %s", event_id, result.get("errors"))


def batch_refused(
    counters: Counters, batch: list[QueuedTurn], failure: errors.RobeingError
) -> None:
    # The key or the robeing is refused: resending cannot help.
    counters.add(rejected=len(batch))
    logger.error("robeing_client: %d turns refused: %s", len(batch), failure)


def batch_retry_wait(counters: Counters, attempt: int, failure: errors.RobeingError) -> float:
    """Seconds before sending a batch again, counted and logged."""
    counters.add(retried=1)
    wait = transport.backoff(attempt, failure)
    logger.warning("robeing_client: batch not stored (%s); again in %.1f s", failure, wait)
    return wait


def turn_dropped(counters: Counters, max_queue: int) -> None:
    counters.add(dropped=1)
    dropped = counters.dropped
    if dropped & (dropped - 1) == 0:  # 1, 2, 4, 8, ...: a full queue does not flood the log
        logger.warning(
            "robeing_client: queue full (%d turns); %d dropped so far", max_queue, dropped
        )


class ConversationLogger:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        batch_size: int = 100,
        flush_interval: float = 0.5,
        max_queue: int = 10_000,
        on_full: OnFull = "drop_oldest",
        timeout: float = 10.0,
        exit_flush_seconds: float = 5.0,
    ) -> None:
        if not 1 <= batch_size <= 1000:
            raise ValueError("batch_size must be 1..1000 (the server's batch limit)")
        if on_full not in ("drop_oldest", "drop_newest"):
            raise ValueError("on_full must be 'drop_oldest' or 'drop_newest'")
        self.config = transport.Config(base_url, api_key, timeout)
        self.batch_size, self.flush_interval = batch_size, flush_interval
        self.max_queue, self.on_full = max_queue, on_full
        self.counters = Counters()
        self._exit_flush_seconds = exit_flush_seconds
        self._start()
        # A bot that exits sends what is queued, within a bound.
        self_ref = weakref.ref(self)
        atexit.register(lambda: (logger_ := self_ref()) and logger_.close(exit_flush_seconds))
        # A forked child (gunicorn, Celery prefork) starts with its own empty
        # queue and thread: the parent's turns are the parent's to send.
        os.register_at_fork(after_in_child=lambda: (child := self_ref()) and child._start())

    def _start(self) -> None:
        self._queue: deque[QueuedTurn] = deque()
        self._condition = threading.Condition()
        self._in_flight = 0
        self._closing = False  # close() called: send what is left, then stop
        self._stopping = False  # close() gave up waiting: stop now
        self._flush_wanted = False
        self._client = transport.sync_client(self.config)
        self._thread = threading.Thread(target=self._run, name="robeing-logger", daemon=True)
        self._thread.start()

    # --- the bot's side ---------------------------------------------------------

    def log_conversation(
        self,
        robeing_id: str,
        user_id: str | None,
        message: str,
        response: str,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Queue one turn and return at once (seed 3.1.1)."""
        turn = QueuedTurn(robeing_id, turn_body(user_id, message, response, metadata))
        with self._condition:
            if self._closing:
                raise RuntimeError("this ConversationLogger is closed")
            if len(self._queue) >= self.max_queue:
                turn_dropped(self.counters, self.max_queue)
                if self.on_full == "drop_newest":
                    return
                self._queue.popleft()
            self._queue.append(turn)
            self.counters.add(queued=1)
            if len(self._queue) >= self.batch_size:
                self._condition.notify()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued turn is answered; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._condition:
            self._flush_wanted = True
            self._condition.notify_all()
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Send what is queued (within `timeout`) and stop the thread."""
        with self._condition:
            if self._closing and not self._thread.is_alive():
                return not self._queue
            self._closing = True
        done = self.flush(timeout)
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join(timeout=max(0.1, timeout))
        if not done:
            logger.error(
                "robeing_client: closed with %d turns unsent", len(self._queue) + self._in_flight
            )
        self._client.close()
        return done

    def __enter__(self) -> ConversationLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the background thread ---------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._send(batch)
            finally:
                with self._condition:
                    self._in_flight = 0
                    self._condition.notify_all()

    def _next_batch(self) -> list[QueuedTurn] | None:
        """The next batch: when `batch_size` turns wait, when `flush_interval`
        has passed with some waiting, or at once for flush() and close().
        None when the thread is to stop."""
        with self._condition:
            deadline = time.monotonic() + self.flush_interval
            while not (self._closing or self._flush_wanted) and len(self._queue) < self.batch_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    if self._queue:
                        break
                    deadline = time.monotonic() + self.flush_interval
                    left = self.flush_interval
                self._condition.wait(left)
            if self._stopping or (self._closing and not self._queue):
                return None
            if not self._queue:
                self._flush_wanted = False
                return []
            batch = batch_take(self._queue, self.batch_size)
            self._in_flight = len(batch)
            return batch

    def _send(self, batch: list[QueuedTurn]) -> None:
        if not batch:
            return
        path, body = batch_request(batch)
        attempt = 0
        while True:
            try:
                answer = self._client.post(path, json=body)
                transport.raise_for_answer(answer)
                batch_answered(self.counters, batch, answer.json())
                return
            except httpx.HTTPError as error:
                failure: errors.RobeingError = transport.no_answer(error)
            except errors.RobeingError as error:
                failure = error
            if not transport.retryable(failure):
                batch_refused(self.counters, batch, failure)
                return
            attempt += 1
            wait = batch_retry_wait(self.counters, attempt, failure)
            with self._condition:
                # Wake early only to stop: a close() whose flush gave up.
                if self._condition.wait_for(lambda: self._stopping, timeout=wait):
                    self._queue.extendleft(reversed(batch))  # left for close() to report
                    return
