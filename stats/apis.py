"""Thin HTTP views of the growth engine."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

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
from stats import selectors, services
from stats.schemas import AllocateIn, StatsOut, TaskIn, TaskOut, XPEventOut

TAG = ["growth"]


class StatsApi(RobeingScopedAPIView):
    staff_permissions = {"GET": ("stats.view_robeingstats",)}

    @extend_schema(
        tags=TAG,
        operation_id="stats_get",
        summary="Level, XP, stats, unlocks and achievements",
        responses={status.HTTP_200_OK: StatsOut, **ERROR_RESPONSES},
    )
    def get(self, request: Request, robeing_id: str) -> Response:
        summary = selectors.stats_summary(robeing_id=robeing_id)
        return Response(StatsOut.model_validate(summary).model_dump(mode="json"))


class TaskApi(RobeingScopedAPIView):
    staff_permissions = {"POST": ("stats.add_taskreport",)}

    @extend_schema(
        tags=TAG,
        operation_id="task_report",
        summary="Report a task for XP",
        request=TaskIn,
        responses={
            status.HTTP_201_CREATED: TaskOut,
            status.HTTP_200_OK: TaskOut,
            **WRITE_ERROR_RESPONSES,
        },
        description=(
            "XP = the task type's base XP x difficulty (1-5) on success, none on failure. "
            "201 with the result; the same `task_id` again answers 200 with the first "
            "result and changes nothing."
        ),
    )
    def post(self, request: Request, robeing_id: str) -> Response:
        task = validate_input(TaskIn, request.data)
        report, created = services.task_report_record(
            robeing_id=robeing_id,
            task_id=task.task_id,
            task_type=task.task_type,
            difficulty=task.difficulty,
            succeeded=task.outcome == "success",
        )
        body = TaskOut.model_validate(report, from_attributes=True).model_dump(
            mode="json", by_alias=True
        )
        return Response(body, status=201 if created else 200)


class AllocateApi(RobeingScopedAPIView):
    staff_permissions = {"POST": ("stats.change_robeingstats",)}

    @extend_schema(
        tags=TAG,
        operation_id="stats_allocate",
        summary="Spend unspent stat points (manual mode)",
        request=AllocateIn,
        responses={
            status.HTTP_200_OK: StatsOut,
            # More points than are unspent: the request is sound, the state says no.
            status.HTTP_409_CONFLICT: ERROR_RESPONSES[400],
            **WRITE_ERROR_RESPONSES,
        },
    )
    def post(self, request: Request, robeing_id: str) -> Response:
        body = validate_input(AllocateIn, request.data)
        services.stats_allocate(robeing_id=robeing_id, points=body.points)
        summary = selectors.stats_summary(robeing_id=robeing_id)
        return Response(StatsOut.model_validate(summary).model_dump(mode="json"))


class XPEventPagination(StrictCursorPagination):
    ordering = ("-created_at", "-id")


class XPEventListApi(RobeingScopedAPIView):
    staff_permissions = {"GET": ("stats.view_xpevent",)}

    @extend_schema(
        tags=TAG,
        operation_id="xp_events",
        summary="The XP ledger, newest first",
        parameters=query_parameters(PageQuery),
        responses={
            status.HTTP_200_OK: cursor_page_schema("XPEventPage"),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request, robeing_id: str) -> Response:
        validate_query(PageQuery, request)
        paginator = XPEventPagination()
        page = paginator.paginate_queryset(
            selectors.xp_events(robeing_id=robeing_id), request, view=self
        )
        rows = [
            XPEventOut.model_validate(e, from_attributes=True).model_dump(mode="json") for e in page
        ]
        return paginator.get_paginated_response(rows)
