"""The settings schema, written once: types, defaults, limits and help texts.

The API validates against it, the admin builds its forms from it, and reads
merge stored values over its defaults, so a key added here appears for every
robeing at once, with no data migration (seed section 4.3 gives the keys).
"""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


def _iana_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone such as Asia/Seoul") from exc
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class UserPreference(Strict):
    response_style: Literal["formal", "casual", "friendly"] = Field(
        "formal", description="How the robeing speaks."
    )
    response_length: Literal["brief", "normal", "detailed"] = Field(
        "normal", description="How long its answers are."
    )
    language: StrictStr = Field("ko", pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="e.g. ko, en")
    timezone: Annotated[StrictStr, AfterValidator(_iana_zone)] = Field(
        "Asia/Seoul", description="IANA zone used for local times in API responses."
    )


class SystemSettings(Strict):
    max_memory_size: StrictInt = Field(
        1000, ge=1, le=100_000, description="Most turns the context endpoint returns."
    )
    memory_ttl_days: StrictInt = Field(
        30, ge=1, le=3650, description="Context only looks back this many days."
    )
    auto_summarize: StrictBool = Field(True, description="Summarise long threads.")
    debug_mode: StrictBool = Field(False, description="Add query timing to API responses.")
    pii_masking: StrictBool = Field(True, description="Mask personal data at ingestion.")


class EmailSkill(Strict):
    enabled: StrictBool = True
    check_interval: StrictInt = Field(300, ge=30, le=86_400, description="Seconds between checks.")
    auto_reply: StrictBool = False


class NewsSkill(Strict):
    enabled: StrictBool = True
    categories: list[StrictStr] = Field(default_factory=lambda: ["tech", "business"], max_length=20)
    summary_length: StrictInt = Field(3, ge=1, le=10, description="Sentences per summary.")


class SkillSettings(Strict):
    # A new skill is a new field here with its own model.
    email: EmailSkill = Field(default_factory=EmailSkill)
    news: NewsSkill = Field(default_factory=NewsSkill)


CATEGORIES: dict[str, type[Strict]] = {
    "user_preference": UserPreference,
    "system_settings": SystemSettings,
    "skill_settings": SkillSettings,
}


def defaults(category: str) -> dict[str, Any]:
    return CATEGORIES[category]().model_dump(mode="json")
