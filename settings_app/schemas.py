"""The settings schema, written once: types, defaults, limits and help texts.

The API validates against it, the admin builds its forms from it, and reads
merge stored values over its defaults, so a key added here appears for every
robeing at once, with no data migration (seed section 4.3 gives the keys).

Titles and descriptions stay plain English strings (the API and its OpenAPI
schema speak English); `N_` only marks them for the translation catalogue, and
the admin's forms translate them when they draw a field. A new key needs its
Korean title and help text in locale/ko/LC_MESSAGES/django.po.
"""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Any, Literal

from django.utils.translation import gettext_noop as N_
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


def iana_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone such as Asia/Seoul") from exc
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class UserPreference(Strict):
    response_style: Literal["formal", "casual", "friendly"] = Field(
        "formal", title=N_("response style"), description=N_("How the robeing speaks.")
    )
    response_length: Literal["brief", "normal", "detailed"] = Field(
        "normal", title=N_("response length"), description=N_("How long its answers are.")
    )
    language: StrictStr = Field(
        "ko",
        pattern=r"^[a-z]{2}(-[A-Z]{2})?$",
        title=N_("language"),
        description=N_("e.g. ko, en"),
    )
    timezone: Annotated[StrictStr, AfterValidator(iana_zone)] = Field(
        "Asia/Seoul",
        title=N_("time zone"),
        description=N_("IANA zone used for local times in API responses."),
    )


class SystemSettings(Strict):
    max_memory_size: StrictInt = Field(
        1000,
        ge=1,
        le=100_000,
        title=N_("max memory size"),
        description=N_("Most turns the context endpoint returns."),
    )
    memory_ttl_days: StrictInt = Field(
        30,
        ge=1,
        le=3650,
        title=N_("memory TTL (days)"),
        description=N_("Context only looks back this many days."),
    )
    auto_summarize: StrictBool = Field(
        True, title=N_("auto summarize"), description=N_("Summarise long threads.")
    )
    debug_mode: StrictBool = Field(
        False, title=N_("debug mode"), description=N_("Add query timing to API responses.")
    )
    pii_masking: StrictBool = Field(
        True, title=N_("PII masking"), description=N_("Mask personal data at ingestion.")
    )


class EmailSkill(Strict):
    enabled: StrictBool = Field(True, title=N_("enabled"))
    check_interval: StrictInt = Field(
        300,
        ge=30,
        le=86_400,
        title=N_("check interval (seconds)"),
        description=N_("Seconds between checks."),
    )
    auto_reply: StrictBool = Field(False, title=N_("auto reply"))


class NewsSkill(Strict):
    enabled: StrictBool = Field(True, title=N_("enabled"))
    categories: list[StrictStr] = Field(
        default_factory=lambda: ["tech", "business"], max_length=20, title=N_("categories")
    )
    summary_length: StrictInt = Field(
        3, ge=1, le=10, title=N_("summary length"), description=N_("Sentences per summary.")
    )


class SkillSettings(Strict):
    # A new skill is a new field here with its own model.
    email: EmailSkill = Field(default_factory=EmailSkill, title=N_("email skill"))
    news: NewsSkill = Field(default_factory=NewsSkill, title=N_("news skill"))


CATEGORIES: dict[str, type[Strict]] = {
    "user_preference": UserPreference,
    "system_settings": SystemSettings,
    "skill_settings": SkillSettings,
}


def defaults(category: str) -> dict[str, Any]:
    return CATEGORIES[category]().model_dump(mode="json")
