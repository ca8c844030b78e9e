"""Writes to robeing settings: JSON merge patches, validated whole, applied
all or nothing, under optimistic concurrency, with a history row per key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pydantic
from django.db import transaction

from core.errors import InvalidInput, NotFound, PreconditionFailed, pydantic_errors
from settings_app.models import RobeingSettings, SettingsChange
from settings_app.schemas import CATEGORIES, defaults
from settings_app.selectors import (
    SettingsSnapshot,
    deep_merge,
    settings_version_published,
    snapshot_of,
)


@dataclass(frozen=True)
class Actor:
    """Who changes settings: an operator (user id) or a bot (its key prefix)."""

    user_id: uuid.UUID | None = None
    key_prefix: str = ""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, null deletes, the rest replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def settings_patch(
    *,
    robeing_id: str,
    category: str,
    patch: dict[str, Any],
    actor: Actor,
    expected_version: int | None = None,
) -> SettingsSnapshot:
    """Apply a merge patch to one category. The whole result is validated
    against the schema before anything is written; a stale expected_version
    (the client's If-Match) is refused with 412. A null resets a key to its
    default."""
    schema = _schema(category)
    with transaction.atomic():
        row = _locked_row(robeing_id)
        if expected_version is not None and expected_version != row.version:
            raise PreconditionFailed(
                f"Settings changed since version {expected_version}; now {row.version}.",
                code="version_mismatch",
            )
        old_stored = getattr(row, category)
        new_stored = merge_patch(old_stored, patch)
        new_values = _validated(schema, deep_merge(defaults(category), new_stored))
        old_values = deep_merge(defaults(category), old_stored)
        changes = _flat_diff(old_values, new_values)
        if not changes:
            return snapshot_of(row)
        _write(row, category, _sparse(new_values, defaults(category)), changes, actor)
    # What was just committed, not the cache: the shared version is bumped on
    # commit, and this answer must already show the write.
    return snapshot_of(row)


def settings_reset(
    *,
    robeing_id: str,
    category: str,
    key: str | None,
    actor: Actor,
    expected_version: int | None = None,
) -> SettingsSnapshot:
    """Back to defaults: one key of a category, or the whole category."""
    _schema(category)
    if key is None:
        patch = {k: None for k in defaults(category)}
    elif key in defaults(category):
        patch = {key: None}
    else:
        raise InvalidInput.for_field("key", f"Unknown key {category}.{key}.", "unknown_key")
    return settings_patch(
        robeing_id=robeing_id,
        category=category,
        patch=patch,
        actor=actor,
        expected_version=expected_version,
    )


def _schema(category: str) -> type[pydantic.BaseModel]:
    if category not in CATEGORIES:
        raise NotFound(
            f"Unknown settings category {category!r}; one of {', '.join(CATEGORIES)}.",
            code="unknown_category",
        )
    return CATEGORIES[category]


def _locked_row(robeing_id: str) -> RobeingSettings:
    RobeingSettings.objects.bulk_create(
        [RobeingSettings(robeing_id=robeing_id, version=0)], ignore_conflicts=True
    )
    # Two writers of one robeing's settings queue here; each validates against
    # what the other committed.
    return RobeingSettings.objects.select_for_update().get(robeing_id=robeing_id)


def _validated(schema: type[pydantic.BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.model_validate(values).model_dump(mode="json")
    except pydantic.ValidationError as exc:
        raise InvalidInput("Invalid settings.", errors=pydantic_errors(exc)) from exc


def _sparse(values: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the defaults is stored, so a changed default
    reaches every robeing that never chose otherwise."""
    stored = {}
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            nested = _sparse(value, base[key])
            if nested:
                stored[key] = nested
        elif base.get(key) != value:
            stored[key] = value
    return stored


def _flat_diff(
    old: dict[str, Any], new: dict[str, Any], prefix: str = ""
) -> list[tuple[str, Any, Any]]:
    changes = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        before, after = old.get(key), new.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            changes += _flat_diff(before, after, f"{path}.")
        elif before != after:
            changes.append((path, before, after))
    return changes


def _write(row: RobeingSettings, category: str, stored: dict, changes: list, actor: Actor) -> None:
    row.version += 1
    setattr(row, category, stored)
    row.save()
    SettingsChange.objects.bulk_create(
        [
            SettingsChange(
                robeing_id=row.robeing_id,
                category=category,
                key=key,
                old_value=before,
                new_value=after,
                changed_by_user_id=actor.user_id,
                changed_by_key=actor.key_prefix,
                version=row.version,
            )
            for key, before, after in changes
        ]
    )
    robeing_id, version = row.robeing_id, row.version
    # After commit, so no process can read the new version before the data.
    transaction.on_commit(
        lambda: settings_version_published(robeing_id=robeing_id, version=version)
    )
