"""Input of the review pages and of the training-data export (pydantic, as
everywhere at the edge): checked once here, so services and SQL get values
that fit their columns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from core.validation import reject_nul
from reviews.models import INTENT_MAX_CHARS, NOTE_MAX_CHARS, REASON_MAX_CHARS, Verdict


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else ("" if value is None else value)


def _text(max_length: int) -> Any:
    return Annotated[
        str, BeforeValidator(_stripped), Field(max_length=max_length), AfterValidator(reject_nul)
    ]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    correct_intent: _text(INTENT_MAX_CHARS) = ""  # type: ignore[valid-type]
    note: _text(NOTE_MAX_CHARS) = ""  # type: ignore[valid-type]


class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: _text(REASON_MAX_CHARS) = ""  # type: ignore[valid-type]


RobeingId = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(reject_nul)]


class TrainingExportIn(BaseModel):
    """Which turns a training export holds: Seoul days `since`..`until`, both
    included, of some robeings (all when empty)."""

    model_config = ConfigDict(extra="forbid")

    since: dt.date
    until: dt.date
    robeing_ids: list[RobeingId] = Field(default_factory=list, max_length=1000)
    reviewed_only: bool = False

    @model_validator(mode="after")
    def _in_order(self) -> TrainingExportIn:
        if self.until < self.since:
            raise ValueError("until must not be before since")
        return self
