"""Shapes of the growth API (pydantic, like the conversation API)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from stats.rules import MAX_DIFFICULTY, MIN_DIFFICULTY


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_id: StrictStr = Field(min_length=1, max_length=255, description="Idempotency key.")
    task_type: StrictStr = Field(min_length=1, max_length=50, description="e.g. email, counseling")
    difficulty: StrictInt = Field(ge=MIN_DIFFICULTY, le=MAX_DIFFICULTY)
    outcome: Literal["success", "failure"]


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    task_id: str
    task_type_id: str = Field(serialization_alias="task_type")
    difficulty: int
    outcome: str
    xp_awarded: int
    levels_gained: int
    points_granted: int
    level_after: int
    created_at: datetime


class AllocateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: dict[StrictStr, StrictInt] = Field(
        min_length=1, description='Points per stat, e.g. {"memory": 2, "empathy": 1}'
    )


class FeatureOut(BaseModel):
    key: str
    name: str
    min_level: int


class AchievementOut(BaseModel):
    key: str
    name: str
    awarded_at: datetime


class StatsOut(BaseModel):
    robeing_id: str
    level: int
    experience: int
    xp_to_next_level: int
    next_level_at: int
    stats: dict[str, int]
    unspent_points: int
    allocation_mode: str
    total_conversations: int
    successful_tasks: int
    failed_tasks: int
    unlocked_features: list[FeatureOut]
    achievements: list[AchievementOut]


class XPEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    amount: int
    reason: str
    source_key: str
    stat: str
    level_after: int
    experience_after: int
    created_at: datetime
