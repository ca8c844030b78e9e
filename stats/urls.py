from __future__ import annotations

from django.urls import path

from stats import apis

urlpatterns = [
    path("robeings/<str:robeing_id>/stats/", apis.StatsApi.as_view(), name="stats"),
    path(
        "robeings/<str:robeing_id>/stats/allocate/",
        apis.AllocateApi.as_view(),
        name="stats-allocate",
    ),
    path("robeings/<str:robeing_id>/tasks/", apis.TaskApi.as_view(), name="tasks"),
    path("robeings/<str:robeing_id>/xp-events/", apis.XPEventListApi.as_view(), name="xp-events"),
]
