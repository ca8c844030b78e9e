from __future__ import annotations

from django.urls import path

from analytics import apis

urlpatterns = [
    path("analytics/overview/", apis.AnalyticsOverviewApi.as_view(), name="analytics-overview"),
]
