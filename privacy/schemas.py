"""Shapes of the privacy API's bodies (pydantic: validation and OpenAPI)."""

from __future__ import annotations

import datetime as dt
import uuid

import pydantic


class PrivacyRequestIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = pydantic.Field(None, description="The person's user id, or...")
    slack_user_id: str | None = pydantic.Field(
        None, max_length=100, description="...their Slack user id (exactly one of the two)."
    )


class PrivacyRequestOut(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject_kind: str = pydantic.Field(description="user or slack_user: how the person was named.")
    subject_user_id: uuid.UUID | None = pydantic.Field(
        description="Cleared once an erasure is done."
    )
    subject_slack_user_id: str = pydantic.Field(description="Cleared once an erasure is done.")
    status: str = pydantic.Field(
        description="pending, running, done, failed (retried), expired, erased."
    )
    received_at: dt.datetime
    due_at: dt.datetime = pydantic.Field(description="Deadline: 30 days after receipt.")
    overdue: bool
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    attempts: int
    counts: dict[str, int] = pydantic.Field(
        description="What was done, per place (e.g. hot_turns, archived_turns, archives_rewritten)."
    )
    last_error: str


class ExportRequestOut(PrivacyRequestOut):
    expires_at: dt.datetime | None = pydantic.Field(description="The file is deleted after this.")
    file_size: int
    download_url: str | None
