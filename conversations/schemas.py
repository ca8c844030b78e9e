"""The shapes bots send and receive, validated with pydantic.

pydantic (Rust core) validates a turn in a few microseconds where a DRF
serializer takes a hundred or more; on a 1,000-turn batch that is the
difference between validation and the database dominating the request.
The same models document the API (drf-spectacular's pydantic extension).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from django.conf import settings
from django.utils import timezone
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from conversations.models import MESSAGE_MAX_CHARS, ChannelType
from core.api import PageQuery
from core.validation import Moment, reject_nul, storable_json


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


def _text(max_length: int) -> Any:
    return Annotated[
        StrictStr,
        BeforeValidator(_none_as_empty),
        Field(max_length=max_length),
        AfterValidator(reject_nul),
        # null is taken as "" (bots send None for "no thread"): the schema says so.
        WithJsonSchema({"type": ["string", "null"], "maxLength": max_length}),
    ]


LongText = _text(MESSAGE_MAX_CHARS)
ChannelTypeValue = Literal["", *ChannelType.values]  # type: ignore[valid-type]


class TurnIn(BaseModel):
    """One conversation turn as a bot reports it."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # The schema's form of the rule _says_something enforces.
        json_schema_extra={
            "anyOf": [
                {"properties": {"message": {"type": "string", "minLength": 1}}},
                {
                    "properties": {"response": {"type": "string", "minLength": 1}},
                    "required": ["response"],
                },
            ]
        },
    )

    message: LongText = Field(description="What the person said (masked before storage).")
    response: LongText = Field("", description="What the robeing answered.")
    channel_id: _text(100) = ""
    thread_ts: _text(128) = Field("", description="Slack thread root ts; empty outside threads.")
    channel_type: ChannelTypeValue = ""
    intent: _text(100) = ""
    confidence: StrictFloat | None = Field(None, ge=0, le=1, description="0..1")
    timestamp: Moment | None = Field(
        None,
        description=(
            "When the turn happened, ISO 8601 with a UTC offset, from 1970 to 2099 (UTC); "
            "defaults to now."
        ),
    )
    user_id: uuid.UUID | None = None
    slack_user_id: _text(100) = ""
    event_id: (
        Annotated[StrictStr, Field(min_length=1, max_length=255), AfterValidator(reject_nul)] | None
    ) = Field(
        None,
        description="Idempotency key (Slack event id or channel:ts). Retries return the first row.",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Any JSON object within the size limit; its numbers must be smaller than 2**63 in "
            "magnitude and its strings free of NUL, so that it reads back as it was sent."
        ),
    )

    @field_validator("confidence")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number between 0 and 1")
        return value

    @field_validator("timestamp")
    @classmethod
    def _not_in_the_future(cls, value: datetime | None) -> datetime | None:
        skew = timedelta(seconds=settings.CONVERSATION_MAX_CLOCK_SKEW_SECONDS)
        if value is not None and value > timezone.now() + skew:
            raise ValueError(f"must not be more than {skew.seconds} seconds in the future")
        return value

    @field_validator("metadata")
    @classmethod
    def _small_and_storable(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            storable_json(value)
        except RecursionError:
            raise ValueError("is nested too deeply") from None
        size = len(orjson.dumps(value))
        limit = settings.CONVERSATION_METADATA_MAX_BYTES
        if size > limit:
            raise ValueError(f"is {size} bytes as JSON; the limit is {limit} bytes")
        return value

    @model_validator(mode="after")
    def _says_something(self) -> TurnIn:
        if not self.message and not self.response:
            raise ValueError("a turn needs a message or a response")
        return self


class TurnOut(BaseModel):
    """A stored turn."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    robeing_id: str
    channel_id: str
    channel_type: str
    thread_ts: str
    user_id: uuid.UUID | None
    slack_user_id: str
    message: str
    response: str
    intent: str
    confidence: float | None
    timestamp: datetime
    event_id: str | None
    metadata: dict[str, Any]
    created_at: datetime
    local_timestamp: str | None = Field(
        None, description="History and context only: `timestamp` in the robeing's time zone."
    )


class TurnBatch(BaseModel):
    """What the schema documents for a batch: up to 1,000 turns. The view
    checks each item on its own (BatchIn), so a bad item is reported in its
    result and the others are stored."""

    model_config = ConfigDict(extra="forbid")

    turns: list[TurnIn] = Field(min_length=1, max_length=1000)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Items are validated one by one in the view so that one bad turn does not
    # reject the others; here they are only required to be a list of objects.
    turns: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class BatchItemOut(BaseModel):
    index: int
    status: Literal["created", "duplicate", "error"]
    id: int | None = None
    event_id: str | None = None
    errors: list[dict[str, str]] | None = None


class BatchOut(BaseModel):
    created: int
    duplicates: int
    errors: int
    results: list[BatchItemOut]


class HistoryQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = Field(None, description="Only turns of this user.")
    slack_user_id: str | None = Field(
        None, max_length=100, description="Only turns of this Slack user."
    )
    channel_id: str | None = Field(None, max_length=100, description="Only turns in this channel.")
    thread_ts: str | None = Field(None, max_length=128, description="Only turns in this thread.")
    intent: str | None = Field(None, max_length=100, description="Only turns with this intent.")
    since: Moment | None = Field(
        None, description="Turns at or after this time (ISO 8601 with offset, 1970-2099 UTC)."
    )
    until: Moment | None = Field(
        None, description="Turns before this time (ISO 8601 with offset, 1970-2099 UTC)."
    )


CONTEXT_MAX_TURNS = 100


class ContextQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: str = Field(min_length=1, max_length=100, description="The Slack channel.")
    thread_ts: str = Field("", max_length=128, description="Thread root ts; omit outside threads.")
    limit: int | None = Field(
        None,
        ge=1,
        le=CONTEXT_MAX_TURNS,
        description="1-100. Default: 10 + the robeing's memory stat (20 for a new robeing).",
    )


class ContextOut(BaseModel):
    channel_id: str
    thread_ts: str
    limit: int
    turns: list[TurnOut]
