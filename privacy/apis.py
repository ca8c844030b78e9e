"""Thin HTTP views of privacy requests: staff only (session login), never a bot's key."""

from __future__ import annotations

import uuid

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis import StaffAPIView
from core.api import WRITE_ERROR_RESPONSES, validate_input
from privacy import selectors, services
from privacy.models import ErasureRequest, ExportRequest
from privacy.schemas import ExportRequestOut, PrivacyRequestIn, PrivacyRequestOut

TAG = ["privacy"]


def erasure_out(request: ErasureRequest) -> dict:
    return PrivacyRequestOut.model_validate({**_common(request)}).model_dump(mode="json")


def export_out(request: ExportRequest, http_request: Request) -> dict:
    url = None
    if request.file_path:
        url = http_request.build_absolute_uri(
            reverse("privacy-export-download", kwargs={"request_id": request.id})
        )
    body = {
        **_common(request),
        "expires_at": request.expires_at,
        "file_size": request.file_size,
        "download_url": url,
    }
    return ExportRequestOut.model_validate(body).model_dump(mode="json")


def _common(request) -> dict:
    fields = PrivacyRequestOut.model_fields.keys() - {"overdue"}
    return {**{name: getattr(request, name) for name in fields}, "overdue": request.is_overdue}


class ErasureRequestCreateApi(StaffAPIView):
    staff_permissions = {"POST": ("privacy.add_erasurerequest",)}

    @extend_schema(
        tags=TAG,
        operation_id="erasure_request_create",
        summary="Ask for a person's data to be erased (staff)",
        request=PrivacyRequestIn,
        responses={status.HTTP_201_CREATED: PrivacyRequestOut, **WRITE_ERROR_RESPONSES},
        description=(
            "Erases every conversation turn of the person, in the hot table and in "
            "archives, strips their user row and deletes their exports. The privacy "
            "job picks the request up within minutes; poll the request to see its "
            "counts. Deadline: 30 days after receipt."
        ),
    )
    def post(self, request: Request) -> Response:
        body = validate_input(PrivacyRequestIn, request.data)
        created = services.erasure_request_create(
            user_id=body.user_id, slack_user_id=body.slack_user_id, requested_by=request.user
        )
        return Response(erasure_out(created), status=status.HTTP_201_CREATED)


class ErasureRequestDetailApi(StaffAPIView):
    staff_permissions = {"GET": ("privacy.view_erasurerequest",)}

    @extend_schema(
        tags=TAG,
        operation_id="erasure_request_get",
        summary="An erasure request's status and outcome (staff)",
        responses={status.HTTP_200_OK: PrivacyRequestOut, **WRITE_ERROR_RESPONSES},
    )
    def get(self, request: Request, request_id: uuid.UUID) -> Response:
        return Response(erasure_out(selectors.erasure_request_get(request_id=request_id)))


class ExportRequestCreateApi(StaffAPIView):
    staff_permissions = {"POST": ("privacy.add_exportrequest",)}

    @extend_schema(
        tags=TAG,
        operation_id="export_request_create",
        summary="Ask for a copy of everything held about a person (staff)",
        request=PrivacyRequestIn,
        responses={status.HTTP_201_CREATED: ExportRequestOut, **WRITE_ERROR_RESPONSES},
        description=(
            "The privacy job writes one JSON file (user rows, hot and archived turns). "
            "It can be downloaded by staff until `expires_at`, then it is deleted."
        ),
    )
    def post(self, request: Request) -> Response:
        body = validate_input(PrivacyRequestIn, request.data)
        created = services.export_request_create(
            user_id=body.user_id, slack_user_id=body.slack_user_id, requested_by=request.user
        )
        return Response(export_out(created, request), status=status.HTTP_201_CREATED)


class ExportRequestDetailApi(StaffAPIView):
    staff_permissions = {"GET": ("privacy.view_exportrequest",)}

    @extend_schema(
        tags=TAG,
        operation_id="export_request_get",
        summary="An export request's status and download link (staff)",
        responses={status.HTTP_200_OK: ExportRequestOut, **WRITE_ERROR_RESPONSES},
    )
    def get(self, request: Request, request_id: uuid.UUID) -> Response:
        return Response(export_out(selectors.export_request_get(request_id=request_id), request))


class ExportDownloadApi(StaffAPIView):
    staff_permissions = {"GET": ("privacy.view_exportrequest",)}

    @extend_schema(
        tags=TAG,
        operation_id="export_download",
        summary="Download an export file (staff, until it expires)",
        responses={
            (status.HTTP_200_OK, "application/json"): OpenApiResponse(description="The file."),
            **WRITE_ERROR_RESPONSES,
        },
    )
    def get(self, request: Request, request_id: uuid.UUID) -> FileResponse:
        stream, export = services.export_file_open(request_id=request_id)
        return FileResponse(
            stream,
            as_attachment=True,
            filename=f"robeing-export-{export.id}.json",
            content_type="application/json",
        )
