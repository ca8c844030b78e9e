"""Reads of privacy requests."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.errors import NotFound
from privacy.models import ErasureRequest, ExportRequest, RequestStatus


def erasure_request_get(*, request_id: uuid.UUID) -> ErasureRequest:
    request = ErasureRequest.objects.filter(id=request_id).first()
    if request is None:
        raise NotFound("No such erasure request.", code="erasure_request_not_found")
    return request


def export_request_get(*, request_id: uuid.UUID) -> ExportRequest:
    request = ExportRequest.objects.filter(id=request_id).first()
    if request is None:
        raise NotFound("No such export request.", code="export_request_not_found")
    return request


def overdue_erasure_requests() -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.filter(
        ~Q(status=RequestStatus.DONE), due_at__lt=timezone.now()
    ).order_by("due_at")
