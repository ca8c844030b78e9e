"""Input and output of the analytics API (and the dashboard's query string)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The rollups hold Seoul days; a period longer than this is a BI export, not a page.
MAX_PERIOD_DAYS = 366
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)
DEFAULT_LOW_CONFIDENCE = 0.5


class OverviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    robeing: str | None = Field(None, min_length=1, max_length=100)
    since: dt.date | None = None
    until: dt.date | None = None
    # Two decimals at most: the confidence rollup counts hundredths.
    low_confidence_below: Decimal = Field(
        Decimal("0.5"), gt=0, le=1, max_digits=3, decimal_places=2
    )

    @field_validator("since", "until")
    @classmethod
    def _in_range(cls, day: dt.date | None) -> dt.date | None:
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ValueError(f"Dates run from {EARLIEST_DAY} to {LATEST_DAY}.")
        return day

    @model_validator(mode="after")
    def _ordered(self) -> OverviewQuery:
        if self.since and self.until:
            if self.since > self.until:
                raise ValueError("since is after until.")
            if (self.until - self.since).days + 1 > MAX_PERIOD_DAYS:
                raise ValueError(f"A period is at most {MAX_PERIOD_DAYS} days.")
        return self


class DayOut(BaseModel):
    date: dt.date
    turns: int


class IntentOut(BaseModel):
    intent: str
    turns: int
    share: float


class QuestionOut(BaseModel):
    text: str
    turns: int


class LowConfidenceOut(BaseModel):
    below: float
    turns: int
    share: float
    latest: list[int] = Field(description="Ids of the newest low-confidence turns, newest first.")


class RobeingActivityOut(BaseModel):
    robeing_id: str
    level: int
    experience: int
    total_conversations: int
    unspent_points: int
    turns: int = Field(description="Turns in the period.")
    last_turn_at: dt.datetime | None


class OverviewOut(BaseModel):
    robeing: str | None
    since: dt.date
    until: dt.date
    time_zone: str
    turns: int
    previous_turns: int = Field(description="Turns in the period of the same length before.")
    change: float | None = Field(
        description="turns / previous_turns - 1; null without turns before."
    )
    daily: list[DayOut]
    heatmap: list[list[int]] = Field(description="7 rows (Monday first) of 24 hourly counts.")
    top_intents: list[IntentOut]
    frequent_questions: list[QuestionOut]
    low_confidence: LowConfidenceOut
    robeings: list[RobeingActivityOut]
