from __future__ import annotations

from django.urls import path

from privacy import apis

urlpatterns = [
    path(
        "privacy/erasure-requests/",
        apis.ErasureRequestCreateApi.as_view(),
        name="privacy-erasure-list",
    ),
    path(
        "privacy/erasure-requests/<uuid:request_id>/",
        apis.ErasureRequestDetailApi.as_view(),
        name="privacy-erasure-detail",
    ),
    path(
        "privacy/export-requests/",
        apis.ExportRequestCreateApi.as_view(),
        name="privacy-export-list",
    ),
    path(
        "privacy/export-requests/<uuid:request_id>/",
        apis.ExportRequestDetailApi.as_view(),
        name="privacy-export-detail",
    ),
    path(
        "privacy/export-requests/<uuid:request_id>/download/",
        apis.ExportDownloadApi.as_view(),
        name="privacy-export-download",
    ),
]
