"""The async twins, for bots on asyncio (Slack Bolt's async app, aiohttp):
the same calls and guarantees, on httpx.AsyncClient and an asyncio task."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx

from robeing_client import errors, transport
from robeing_client.conversations import Counters, OnFull, QueuedTurn, turn_body
from robeing_client.models import Stats, TaskResult
from robeing_client.settings import _MISSING, CATEGORIES, category_name
from robeing_client.stats import task_body

logger = logging.getLogger("robeing_client")


class AsyncConversationLogger:
    """`await log_conversation(...)` as the seed's async handler writes it:
    it queues the turn and returns at once; a task of the running loop sends.
    `await flush()` / `await close()`."""

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
    ) -> None:
        if not 1 <= batch_size <= 1000:
            raise ValueError("batch_size must be 1..1000 (the server's batch limit)")
        self.config = transport.Config(base_url, api_key, timeout)
        self.batch_size, self.flush_interval = batch_size, flush_interval
        self.max_queue, self.on_full = max_queue, on_full
        self.counters = Counters()
        self._queue: list[QueuedTurn] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self._client: httpx.AsyncClient | None = None
        self._closing = False

    async def log_conversation(
        self,
        robeing_id: str,
        user_id: str | None,
        message: str,
        response: str,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if self._closing:
            raise RuntimeError("this AsyncConversationLogger is closed")
        if len(self._queue) >= self.max_queue:
            self.counters.add(dropped=1)
            if self.on_full == "drop_newest":
                return
            self._queue.pop(0)
        self._queue.append(QueuedTurn(robeing_id, turn_body(user_id, message, response, metadata)))
        self.counters.add(queued=1)
        self._idle.clear()
        if self._task is None or self._task.done():
            self._client = self._client or transport.async_client(self.config)
            self._task = asyncio.get_running_loop().create_task(self._run())
        if len(self._queue) >= self.batch_size:
            self._wake.set()

    async def flush(self, timeout: float = 10.0) -> bool:
        self._wake.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self, timeout: float = 10.0) -> bool:
        self._closing = True
        done = await self.flush(timeout)
        if self._task is not None:
            self._task.cancel()
        if self._client is not None:
            await self._client.aclose()
        if not done:
            logger.error("robeing_client: closed with %d turns unsent", len(self._queue))
        return done

    async def __aenter__(self) -> AsyncConversationLogger:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self) -> None:
        while self._queue:
            if len(self._queue) < self.batch_size and not self._wake.is_set():
                try:
                    await asyncio.wait_for(self._wake.wait(), self.flush_interval)
                except TimeoutError:
                    pass
            self._wake.clear()
            robeing_id = self._queue[0].robeing_id
            count = 0
            while count < min(self.batch_size, len(self._queue)):
                if self._queue[count].robeing_id != robeing_id:
                    break
                count += 1
            # Out of the queue while it is sent: a full queue drops only turns
            # that wait, never one being sent.
            batch = self._queue[:count]
            del self._queue[:count]
            await self._send(batch)
        self._idle.set()

    async def _send(self, batch: list[QueuedTurn]) -> None:
        path = f"/robeings/{batch[0].robeing_id}/conversations/batch/"
        body = {"turns": [turn.body for turn in batch]}
        attempt = 0
        while True:
            try:
                answer = await self._client.post(path, json=body)
                transport.raise_for_answer(answer)
                result = answer.json()
                self.counters.add(sent=int(result.get("created", 0)),
                                  duplicates=int(result.get("duplicates", 0)))  # fmt: skip
                rejected = [r for r in result.get("results", []) if r.get("status") == "error"]
                if rejected:
                    self.counters.add(rejected=len(rejected))
                    logger.error("robeing_client: %d turns refused: %s", len(rejected), rejected)
                return
            except httpx.HTTPError as error:
                failure: errors.RobeingError = transport.no_answer(error)
            except errors.RobeingError as error:
                failure = error
            if not transport.retryable(failure):
                self.counters.add(rejected=len(batch))
                logger.error("robeing_client: %d turns refused: %s", len(batch), failure)
                return
            attempt += 1
            self.counters.add(retried=1)
            await asyncio.sleep(transport.backoff(attempt, failure))


class AsyncStatsManager:
    def __init__(self, base_url: str, api_key: str, robeing_id: str, *, timeout: float = 10.0):
        self.robeing_id = robeing_id
        self._client = transport.async_client(transport.Config(base_url, api_key, timeout))

    async def get_stats(self) -> Stats:
        answer = await transport.acall(self._client, "GET", f"/robeings/{self.robeing_id}/stats/")
        return Stats.model_validate(answer.json())

    initialize_stats = get_stats

    async def on_task_success(
        self, task_type: str, difficulty: int, *, task_id: str | None = None
    ) -> TaskResult:
        return await self._report(task_type, difficulty, "success", task_id)

    async def on_task_failure(
        self, task_type: str, difficulty: int, *, task_id: str | None = None
    ) -> TaskResult:
        return await self._report(task_type, difficulty, "failure", task_id)

    add_experience = on_task_success

    async def _report(self, task_type: str, difficulty: int, outcome: str, task_id: str | None):
        answer = await transport.acall(
            self._client, "POST", f"/robeings/{self.robeing_id}/tasks/",
            json=task_body(task_type, difficulty, outcome, task_id),
        )  # fmt: skip
        return TaskResult.model_validate(answer.json())

    async def close(self) -> None:
        await self._client.aclose()


class AsyncSettingsManager:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        robeing_id: str,
        *,
        revalidate_seconds: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        self.robeing_id = robeing_id
        self.revalidate_seconds = revalidate_seconds
        self._client = transport.async_client(transport.Config(base_url, api_key, timeout))
        self._lock = asyncio.Lock()
        self._values: dict[str, dict[str, Any]] | None = None
        self._etag: str | None = None
        self._fresh_until = float("-inf")
        self.requests = 0

    @property
    def _path(self) -> str:
        return f"/robeings/{self.robeing_id}/settings/"

    async def _current(self) -> dict[str, dict[str, Any]]:
        async with self._lock:
            if self._values is not None and time.monotonic() < self._fresh_until:
                return self._values
            headers = {"If-None-Match": self._etag} if self._etag else {}
            started = time.monotonic()
            answer = await transport.acall(self._client, "GET", self._path, headers=headers)
            self.requests += 1
            if answer.status_code != 304:
                body = answer.json()
                self._values = {
                    name: body[name] for name in set(CATEGORIES.values()) if name in body
                }
                self._etag = answer.headers.get("ETag")
            self._fresh_until = started + self.revalidate_seconds
            return self._values

    async def get_setting(self, category: str, key: str, default: Any = None) -> Any:
        value = (await self._current()).get(category_name(category), {}).get(key, _MISSING)
        return default if value is _MISSING else value

    async def update_setting(self, category: str, key: str, value: Any) -> dict[str, Any]:
        name = category_name(category)
        for attempt in (1, 2):
            await self._current()
            try:
                answer = await transport.acall(
                    self._client, "PATCH", f"{self._path}{name}/",
                    json={key: value},
                    headers={"If-Match": self._etag or "*",
                             "Content-Type": "application/merge-patch+json"},
                )  # fmt: skip
            except errors.Conflict as conflict:
                if conflict.status != 412 or attempt == 2:
                    raise
                self._fresh_until = float("-inf")
                continue
            body = answer.json()
            if self._values is not None:
                self._values[name] = body["values"]
            self._etag = answer.headers.get("ETag", self._etag)
            return body["values"]
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self._client.aclose()
