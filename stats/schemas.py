"""Shapes of the growth API (pydantic, like the conversation API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db import DatabaseError
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from core.validation import Integer
from stats.models import TaskType
from stats.rules import MAX_DIFFICULTY, MIN_DIFFICULTY, STATS


def _active_task_types(schema: dict[str, Any]) -> None:
    """The schema lists the task types the database has now (operators add
    them in the admin); without a database (an offline schema build) it says
    only what the description does."""
    try:
        names = sorted(TaskType.objects.filter(is_active=True).values_list("name", flat=True))
    except DatabaseError:
        return
    if names:
        schema["enum"] = names


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_id: StrictStr = Field(min_length=1, max_length=255, description="Idempotency key.")
    task_type: StrictStr = Field(
        min_length=1,
        max_length=50,
        description="An active task type (admin: 성장 › 작업 종류), e.g. email, counseling.",
        json_schema_extra=_active_task_types,
    )
    difficulty: Integer = Field(ge=MIN_DIFFICULTY, le=MAX_DIFFICULTY)
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

    points: dict[StrictStr, Integer] = Field(
        min_length=1,
        description='Points per stat, e.g. {"memory": 2, "empathy": 1}',
        json_schema_extra={
            "propertyNames": {"enum": list(STATS)},
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
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
