"""Thin HTTP views of robeing settings."""

from __future__ import annotations

import re
from typing import Any

import pydantic
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import RobeingPrincipal
from core.api import (
    ERROR_RESPONSES,
    WRITE_ERROR_RESPONSES,
    PageQuery,
    RobeingScopedAPIView,
    StrictCursorPagination,
    cursor_page_schema,
    query_parameters,
    validate_input,
    validate_query,
)
from core.errors import InvalidInput
from core.jsonio import OrjsonParser
from settings_app import selectors, services
from settings_app.schemas import CATEGORIES
from settings_app.selectors import SettingsSnapshot

TAG = ["settings"]
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": '^(\\*|(W/)?"?[0-9]{1,9}"?)$'},
    location=OpenApiParameter.HEADER,
    description=(
        'The ETag you read (e.g. "3"; a bare 3 is taken too), or *; a stale one gets 412 '
        "and nothing is written, a malformed one 400."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    {
        "type": "string",
        "pattern": '^(\\*|(W/)?"?[0-9]{1,9}"?( *, *(W/)?"?[0-9]{1,9}"?){0,19})$',
    },
    location=OpenApiParameter.HEADER,
    description=(
        'The ETag you hold (e.g. "3"), up to 20 of them comma-separated, or *: when the '
        "settings are still at that version the answer is 304 with no body, so a client's "
        "cached copy costs one small request to revalidate. A malformed one gets 400."
    ),
)
NOT_MODIFIED = {
    status.HTTP_304_NOT_MODIFIED: OpenApiResponse(
        description="Not modified: the settings are still at the version If-None-Match named."
    )
}
CATEGORY = OpenApiParameter(
    "category", {"type": "string", "enum": list(CATEGORIES)}, location=OpenApiParameter.PATH
)
KEY = OpenApiParameter(
    "key",
    {"type": "string", "enum": sorted({k for m in CATEGORIES.values() for k in m.model_fields})},
    location=OpenApiParameter.PATH,
    description="A key of the category (see GET .../settings/).",
)


class ResetIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    key: str | None = pydantic.Field(
        None, min_length=1, max_length=100, description="One key; omit to reset the category."
    )


# RFC 9110 quotes an ETag; a bare version number is taken too.
_ETAG = re.compile(r'^(?:W/)?"?([0-9]{1,9})"?$')


class MergePatchParser(OrjsonParser):
    media_type = "application/merge-patch+json"


def _actor(request: Request) -> services.Actor:
    if isinstance(request.user, RobeingPrincipal):
        return services.Actor(key_prefix=request.user.key_prefix)
    return services.Actor(user_id=request.user.id)


def _expected_version(request: Request) -> int | None:
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header.strip())
    if match is None:
        raise InvalidInput.for_field(
            "If-Match", 'Expected an ETag such as "3" (as the ETag header gave it) or *.', "etag"
        )
    return int(match.group(1))


def _with_etag(body: dict[str, Any], snapshot: SettingsSnapshot, code: int = 200) -> Response:
    return Response(body, status=code, headers={"ETag": snapshot.etag})


# At most this many ETags in one If-None-Match: a client holds one.
MAX_IF_NONE_MATCH_TAGS = 20


def _held_versions(request: Request) -> set[int] | None:
    """The versions an If-None-Match names; None without the header, an
    empty set for * (any version matches)."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    if header.strip() == "*":
        return set()
    tags = header.split(",")
    matches = [_ETAG.match(tag.strip()) for tag in tags]
    if len(tags) > MAX_IF_NONE_MATCH_TAGS or not all(matches):
        raise InvalidInput.for_field(
            "If-None-Match",
            f'Expected up to {MAX_IF_NONE_MATCH_TAGS} ETags such as "3", comma-separated, or *.',
            "etag",
        )
    return {int(match.group(1)) for match in matches}


def _read_answer(request: Request, body: dict[str, Any], snapshot: SettingsSnapshot) -> Response:
    """The GET answer, or 304 Not Modified (no body) when the client's
    If-None-Match names the current version (RFC 9110, 13.1.2)."""
    held = _held_versions(request)
    if held is not None and (not held or snapshot.version in held):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": snapshot.etag})
    return _with_etag(body, snapshot)


def _category_body(snapshot: SettingsSnapshot, category: str) -> dict[str, Any]:
    return {"category": category, "version": snapshot.version, "values": snapshot.values[category]}


CategoryOut = inline_serializer(
    "SettingsCategory",
    {
        "category": serializers.CharField(),
        "version": serializers.IntegerField(),
        "values": serializers.DictField(),
    },
)


# What the admin asks of staff for the same rows.
VIEW = "settings_app.view_robeingsettings"
CHANGE = "settings_app.change_robeingsettings"


class SettingsApi(RobeingScopedAPIView):
    staff_permissions = {"GET": (VIEW,)}

    @extend_schema(
        tags=TAG,
        operation_id="settings_get",
        summary="All settings, merged over defaults",
        responses={
            status.HTTP_200_OK: inline_serializer(
                "Settings",
                {
                    "version": serializers.IntegerField(),
                    "user_preference": serializers.DictField(),
                    "system_settings": serializers.DictField(),
                    "skill_settings": serializers.DictField(),
                },
            ),
            **NOT_MODIFIED,
            **ERROR_RESPONSES,
        },
        parameters=[IF_NONE_MATCH],
    )
    def get(self, request: Request, robeing_id: str) -> Response:
        snapshot = selectors.settings_get(robeing_id=robeing_id)
        return _read_answer(request, {"version": snapshot.version, **snapshot.values}, snapshot)


class SettingsCategoryApi(RobeingScopedAPIView):
    staff_permissions = {"GET": (VIEW,), "PATCH": (CHANGE,)}
    parser_classes = [MergePatchParser, OrjsonParser]

    @extend_schema(
        tags=TAG,
        operation_id="settings_category_get",
        summary="One category",
        parameters=[IF_NONE_MATCH, CATEGORY],
        responses={status.HTTP_200_OK: CategoryOut, **NOT_MODIFIED, **ERROR_RESPONSES},
    )
    def get(self, request: Request, robeing_id: str, category: str) -> Response:
        snapshot = selectors.settings_get(robeing_id=robeing_id)
        if category not in snapshot.values:
            services._schema(category)  # raises the 404 naming the categories
        return _read_answer(request, _category_body(snapshot, category), snapshot)

    @extend_schema(
        tags=TAG,
        operation_id="settings_category_patch",
        summary="Change a category (JSON merge patch; null resets a key)",
        parameters=[IF_MATCH, CATEGORY],
        request={
            "application/merge-patch+json": OpenApiTypes.OBJECT,
            "application/json": OpenApiTypes.OBJECT,
        },
        responses={
            status.HTTP_200_OK: CategoryOut,
            status.HTTP_412_PRECONDITION_FAILED: ERROR_RESPONSES[400],
            **WRITE_ERROR_RESPONSES,
        },
    )
    def patch(self, request: Request, robeing_id: str, category: str) -> Response:
        if not isinstance(request.data, dict):
            raise InvalidInput.for_field(
                "non_field_errors", "Expected a JSON object.", "type_error"
            )
        snapshot = services.settings_patch(
            robeing_id=robeing_id,
            category=category,
            patch=request.data,
            actor=_actor(request),
            expected_version=_expected_version(request),
        )
        return _with_etag(_category_body(snapshot, category), snapshot)


class SettingsKeyApi(RobeingScopedAPIView):
    staff_permissions = {"GET": (VIEW,)}

    @extend_schema(
        tags=TAG,
        operation_id="settings_key_get",
        parameters=[IF_NONE_MATCH, CATEGORY, KEY],
        summary="One setting (the seed's get_setting)",
        responses={
            status.HTTP_200_OK: inline_serializer(
                "SettingValue",
                {
                    "category": serializers.CharField(),
                    "key": serializers.CharField(),
                    "value": serializers.JSONField(),
                },
            ),
            **NOT_MODIFIED,
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request, robeing_id: str, category: str, key: str) -> Response:
        value = selectors.setting_value(robeing_id=robeing_id, category=category, key=key)
        snapshot = selectors.settings_get(robeing_id=robeing_id)
        return _read_answer(request, {"category": category, "key": key, "value": value}, snapshot)


class SettingsResetApi(RobeingScopedAPIView):
    staff_permissions = {"POST": (CHANGE,)}

    @extend_schema(
        tags=TAG,
        operation_id="settings_reset",
        summary="Back to defaults: one key, or the whole category",
        parameters=[IF_MATCH, CATEGORY],
        request=ResetIn,
        responses={
            status.HTTP_200_OK: CategoryOut,
            status.HTTP_412_PRECONDITION_FAILED: ERROR_RESPONSES[400],
            **WRITE_ERROR_RESPONSES,
        },
    )
    def post(self, request: Request, robeing_id: str, category: str) -> Response:
        key = validate_input(ResetIn, request.data).key  # an empty body is {}
        snapshot = services.settings_reset(
            robeing_id=robeing_id,
            category=category,
            key=key,
            actor=_actor(request),
            expected_version=_expected_version(request),
        )
        return _with_etag(_category_body(snapshot, category), snapshot)


class HistoryPagination(StrictCursorPagination):
    ordering = ("-changed_at", "-id")


class SettingsHistoryApi(RobeingScopedAPIView):
    staff_permissions = {"GET": ("settings_app.view_settingschange",)}

    @extend_schema(
        tags=TAG,
        operation_id="settings_history",
        summary="Every change, newest first",
        parameters=query_parameters(PageQuery),
        responses={
            status.HTTP_200_OK: cursor_page_schema("SettingsHistoryPage"),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request, robeing_id: str) -> Response:
        validate_query(PageQuery, request)
        zone = selectors.robeing_zone(robeing_id=robeing_id)
        paginator = HistoryPagination()
        page = paginator.paginate_queryset(
            selectors.settings_history(robeing_id=robeing_id), request, view=self
        )
        rows = [
            {
                "category": c.category,
                "key": c.key,
                "old_value": c.old_value,
                "new_value": c.new_value,
                "changed_by": str(c.changed_by_user)
                if c.changed_by_user
                else f"api key {c.changed_by_key}",
                "version": c.version,
                "changed_at": c.changed_at.isoformat().replace("+00:00", "Z"),
                "local_changed_at": c.changed_at.astimezone(zone).isoformat(),
            }
            for c in page
        ]
        return paginator.get_paginated_response(rows)
