"""Reads of privacy requests."""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from accounts import selectors as account_selectors
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


def people_pending_erasure() -> tuple[set[uuid.UUID], set[str]]:
    """Every id of everyone with an erasure request not done yet: their turns
    are still in the log until the job has run, and must not leave it (the
    training-data export asks through this rule; privacy installs it into
    reviews from PrivacyConfig.ready)."""
    user_ids: set[uuid.UUID] = set()
    slack_user_ids: set[str] = set()
    for request in requests_open(ErasureRequest.objects.all()):
        if request.subject_user_id:
            user_ids.add(request.subject_user_id)
        if request.subject_slack_user_id:
            slack_user_ids.add(request.subject_slack_user_id)
        # Once work started the user row may be anonymised already: the ids
        # resolved then are the only ones left that name the person.
        user_ids.update(uuid.UUID(u) for u in request.resolved_user_ids)
        slack_user_ids.update(request.resolved_slack_user_ids)
    if not user_ids and not slack_user_ids:
        return user_ids, slack_user_ids
    return account_selectors.user_identities(user_ids=user_ids, slack_user_ids=slack_user_ids)


def requests_overdue_counts() -> dict[str, int]:
    """Overdue requests of each kind, for the metrics."""
    return {
        "erasure": requests_overdue(ErasureRequest.objects.all()).count(),
        "export": requests_overdue(ExportRequest.objects.all()).count(),
    }
