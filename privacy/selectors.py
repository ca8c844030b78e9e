"""Reads of privacy requests."""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from core.errors import NotFound
from privacy.models import OPEN_STATUSES, ErasureRequest, ExportRequest, PrivacyRequest

RequestT = TypeVar("RequestT", bound=PrivacyRequest)


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


def requests_open(queryset: QuerySet[RequestT]) -> QuerySet[RequestT]:
    """Requests not answered yet (erasure or export)."""
    return queryset.filter(status__in=OPEN_STATUSES)


def requests_overdue(queryset: QuerySet[RequestT]) -> QuerySet[RequestT]:
    """Open requests past their deadline (PrivacyRequest.is_overdue, in SQL)."""
    return requests_open(queryset).filter(due_at__lt=timezone.now())
