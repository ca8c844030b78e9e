"""The dashboard's figures as JSON, for BI tools and scripts: staff only."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis import StaffAPIView
from analytics import selectors
from analytics.schemas import OverviewOut, OverviewQuery
from core.api import ERROR_RESPONSES, validate_input


def overview_query(params: dict) -> selectors.Period:
    """The period a query string asks for (the API's and the dashboard's)."""
    query = validate_input(OverviewQuery, params)
    return selectors.period_resolve(
        robeing=query.robeing,
        since=query.since,
        until=query.until,
        low_confidence_below=query.low_confidence_below,
    )


class AnalyticsOverviewApi(StaffAPIView):
    # The dashboard's figures come from the log (its questions are turn texts).
    staff_permissions = {"GET": ("conversations.view_conversationlog",)}

    @extend_schema(
        tags=["analytics"],
        operation_id="analytics_overview",
        summary="The dashboard's figures for a period",
        description=(
            "Seoul days `since`..`until` (inclusive; default the last 7 days), for one "
            "robeing or all. Counts come from rollups that the 5-minute stats aggregation "
            "keeps, so turns of the last few minutes may not be in them yet."
        ),
        parameters=[
            OpenApiParameter(
                "robeing", OpenApiTypes.STR, description="A robeing id (all if absent)."
            ),
            OpenApiParameter("since", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("until", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."),
            OpenApiParameter(
                "low_confidence_below",
                OpenApiTypes.NUMBER,
                description="Threshold for low confidence, 0.01-1 in hundredths (default 0.5).",
            ),
        ],
        responses={status.HTTP_200_OK: OverviewOut, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        period = overview_query(request.query_params.dict())
        body = OverviewOut.model_validate(selectors.overview(period=period))
        return Response(body.model_dump(mode="json"))
