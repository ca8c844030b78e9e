"""StatsManager: the seed's growth interface (3.3) over the API."""

from __future__ import annotations

import uuid

from robeing_client import transport
from robeing_client.models import Stats, TaskResult


def task_body(task_type: str, difficulty: int, outcome: str, task_id: str | None) -> dict:
    # The task id makes a report idempotent: a resend after a lost answer
    # awards nothing twice. Give the bot's own id when it has one.
    return {
        "task_id": task_id or f"client:{uuid.uuid4()}",
        "task_type": task_type,
        "difficulty": difficulty,
        "outcome": outcome,
    }


class StatsManager:
    def __init__(self, base_url: str, api_key: str, robeing_id: str, *, timeout: float = 10.0):
        self.robeing_id = robeing_id
        self._client = transport.sync_client(transport.Config(base_url, api_key, timeout))

    def _get_stats(self) -> Stats:
        answer = transport.call(self._client, "GET", f"/robeings/{self.robeing_id}/stats/")
        return Stats.model_validate(answer.json())

    def initialize_stats(self) -> Stats:
        """The seed's initialize_stats: the server makes the row when the robeing
        is registered, so this reads it (and proves the key works)."""
        return self._get_stats()

    def get_stats(self) -> Stats:
        return self._get_stats()

    def on_task_success(
        self, task_type: str, difficulty: int, *, task_id: str | None = None
    ) -> TaskResult:
        return self._report(task_type, difficulty, "success", task_id)

    def on_task_failure(
        self, task_type: str, difficulty: int, *, task_id: str | None = None
    ) -> TaskResult:
        return self._report(task_type, difficulty, "failure", task_id)

    def add_experience(
        self, task_type: str, difficulty: int, *, task_id: str | None = None
    ) -> TaskResult:
        """The seed's add_experience: XP comes from a reported task, by its rules."""
        return self.on_task_success(task_type, difficulty, task_id=task_id)

    def _report(
        self, task_type: str, difficulty: int, outcome: str, task_id: str | None
    ) -> TaskResult:
        answer = transport.call(
            self._client, "POST", f"/robeings/{self.robeing_id}/tasks/",
            json=task_body(task_type, difficulty, outcome, task_id),
        )  # fmt: skip
        return TaskResult.model_validate(answer.json())

    def close(self) -> None:
        self._client.close()
