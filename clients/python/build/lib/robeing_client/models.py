"""Typed results (pydantic): what the API answers, as the bot reads it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Answer(BaseModel):
    # A newer server may add fields: an older client keeps working.
    model_config = ConfigDict(extra="allow")


class Stats(_Answer):
    robeing_id: str
    level: int
    experience: int
    stats: dict[str, int]
    unspent_points: int = 0
    allocation_mode: str = ""
    total_conversations: int = 0
    successful_tasks: int = 0
    failed_tasks: int = 0


class TaskResult(_Answer):
    task_id: str
    task_type: str
    difficulty: int
    outcome: str
    xp_awarded: int
    levels_gained: int = 0
    level_after: int | None = None


class SettingValue(_Answer):
    category: str
    key: str
    value: Any
