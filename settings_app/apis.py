"""Thin HTTP views of robeing settings."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import RobeingPrincipal
from core.api import (
    ERROR_RESPONSES,
    WRITE_ERROR_RESPONSES,
    RobeingScopedAPIView,
    StrictCursorPagination,
    cursor_page_schema,
)
from core.errors import InvalidInput, PreconditionFailed
from core.jsonio import OrjsonParser
from settings_app import selectors, services
from settings_app.selectors import SettingsSnapshot

TAG = ["settings"]
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="The ETag you read; a stale one gets 412 and nothing is written.",
)


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
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise PreconditionFailed(f"If-Match {header!r} matches no version.") from None


def _with_etag(body: dict[str, Any], snapshot: SettingsSnapshot, code: int = 200) -> Response:
    return Response(body, status=code, headers={"ETag": snapshot.etag})


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
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request, robeing_id: str) -> Response:
        snapshot = selectors.settings_get(robeing_id=robeing_id)
        return _with_etag({"version": snapshot.version, **snapshot.values}, snapshot)


class SettingsCategoryApi(RobeingScopedAPIView):
    staff_permissions = {"GET": (VIEW,), "PATCH": (CHANGE,)}
    parser_classes = [MergePatchParser, OrjsonParser]

    @extend_schema(
        tags=TAG, operation_id="settings_category_get", summary="One category",
        responses={status.HTTP_200_OK: CategoryOut, **ERROR_RESPONSES},
    )  # fmt: skip
    def get(self, request: Request, robeing_id: str, category: str) -> Response:
        snapshot = selectors.settings_get(robeing_id=robeing_id)
        if category not in snapshot.values:
            services._schema(category)  # raises the 404 naming the categories
        return _with_etag(_category_body(snapshot, category), snapshot)

    @extend_schema(
        tags=TAG,
        operation_id="settings_category_patch",
        summary="Change a category (JSON merge patch; null resets a key)",
        parameters=[IF_MATCH],
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
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request, robeing_id: str, category: str, key: str) -> Response:
        value = selectors.setting_value(robeing_id=robeing_id, category=category, key=key)
        snapshot = selectors.settings_get(robeing_id=robeing_id)
        return _with_etag({"category": category, "key": key, "value": value}, snapshot)


class SettingsResetApi(RobeingScopedAPIView):
    staff_permissions = {"POST": (CHANGE,)}

    @extend_schema(
        tags=TAG,
        operation_id="settings_reset",
        summary="Back to defaults: one key, or the whole category",
        parameters=[IF_MATCH],
        request=inline_serializer("SettingsReset", {"key": serializers.CharField(required=False)}),
        responses={status.HTTP_200_OK: CategoryOut, **WRITE_ERROR_RESPONSES},
    )
    def post(self, request: Request, robeing_id: str, category: str) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        unknown = sorted(set(body) - {"key"})
        if unknown:
            raise InvalidInput.for_field(unknown[0], "Unknown field.", "extra_forbidden")
        key = body.get("key")
        if key is not None and not isinstance(key, str):
            raise InvalidInput.for_field("key", "Expected a string.", "string_type")
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
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={
            status.HTTP_200_OK: cursor_page_schema("SettingsHistoryPage"),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request, robeing_id: str) -> Response:
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
