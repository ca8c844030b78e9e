"""The async twins, for bots on asyncio (Slack Bolt's async app, aiohttp):
the same calls and guarantees, on httpx.AsyncClient and an asyncio task."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

import httpx

from robeing_client import errors, transport
from robeing_client.conversations import (
    Counters,
    OnFull,
    QueuedTurn,
    batch_answered,
    batch_refused,
    batch_request,
    batch_retry_wait,
    batch_take,
    turn_body,
    turn_dropped,
)
from robeing_client.models import Stats, TaskResult
from robeing_client.settings import SettingsCache, category_name, is_stale_write
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
        self._queue: deque[QueuedTurn] = deque()
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
            turn_dropped(self.counters, self.max_queue)
            if self.on_full == "drop_newest":
                return
            self._queue.popleft()
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
            # Out of the queue while it is sent: a full queue drops only turns
            # that wait, never one being sent.
            await self._send(batch_take(self._queue, self.batch_size))
        self._idle.set()

    async def _send(self, batch: list[QueuedTurn]) -> None:
        path, body = batch_request(batch)
        attempt = 0
        while True:
            try:
                answer = await self._client.post(path, json=body)
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
            await asyncio.sleep(batch_retry_wait(self.counters, attempt, failure))


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
        self._client = transport.async_client(transport.Config(base_url, api_key, timeout))
        self._lock = asyncio.Lock()
        self._cache = SettingsCache(revalidate_seconds)
        self.requests = 0

    @property
    def _path(self) -> str:
        return f"/robeings/{self.robeing_id}/settings/"

    async def _current(self) -> None:
        async with self._lock:
            if self._cache.fresh():
                return
            asked_at = time.monotonic()
            answer = await transport.acall(
                self._client, "GET", self._path, headers=self._cache.read_headers()
            )
            self.requests += 1
            self._cache.store_read(answer, asked_at=asked_at)

    async def get_setting(self, category: str, key: str, default: Any = None) -> Any:
        await self._current()
        return self._cache.lookup(category, key, default)

    async def update_setting(self, category: str, key: str, value: Any) -> dict[str, Any]:
        name = category_name(category)
        for attempt in (1, 2):
            await self._current()
            try:
                answer = await transport.acall(
                    self._client, "PATCH", f"{self._path}{name}/",
                    json={key: value}, headers=self._cache.patch_headers(),
                )  # fmt: skip
            except errors.Conflict as conflict:
                if not is_stale_write(conflict, attempt):
                    raise
                self._cache.invalidate()
                continue
            return self._cache.store_patch(name, answer)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self._client.aclose()
