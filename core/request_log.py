"""One log line per request, and a request id on every line.

django-structlog's RequestMiddleware gives each request an id (a proxy's
X-Request-ID when REQUEST_ID_FROM_PROXY trusts it), binds it to every log line
written while the request runs, carries it into the Celery tasks the request
queues, and writes the request's line (`request_finished`). Here: the id is
returned in the X-Request-ID response header, an incoming one must look like
an id, and the line holds what an operator needs and nothing personal:
method, route (the URL pattern, not the path), status, duration, robeing and
API-key prefix. No query string, no message text, no address, no user id.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import structlog
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django_structlog import signals

from core.middleware import route_of

HEADER = "X-Request-ID"
# What a proxy's id may look like: a UUID, a hex trace id, "req-123:4".
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


class UpstreamRequestIdMiddleware:
    """Before django-structlog's: a proxy's X-Request-ID that is not an id
    (too long, spaces, control characters) is dropped, and a new id made."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID")
        if incoming is not None and not _REQUEST_ID.fullmatch(incoming):
            del request.META["HTTP_X_REQUEST_ID"]
        return self.get_response(request)


class RequestIdResponseMiddleware:
    """After django-structlog's (inside it, while the id is bound): the
    response says which id its log lines carry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            response[HEADER] = request_id
        return response


def request_fields(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    fields: dict[str, Any] = {"method": request.method, "route": route_of(request)}
    robeing_id = match.kwargs.get("robeing_id") if match else None
    if robeing_id:
        fields["robeing"] = robeing_id
    key_prefix = getattr(request, "api_key_prefix", None)
    if key_prefix:
        fields["api_key_prefix"] = key_prefix
    started = getattr(request, "started_monotonic", None)
    if started is not None:
        fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return fields


@receiver(signals.bind_extra_request_metadata)
def _request_started_fields(request: HttpRequest, log_kwargs: dict, **kwargs: Any) -> None:
    # Its default "request" is the full path with the query string: a search
    # term is a person's words.
    log_kwargs.pop("request", None)
    log_kwargs.update(method=request.method)


@receiver(signals.bind_extra_request_finished_metadata)
def _request_finished_fields(
    request: HttpRequest, response: HttpResponse, log_kwargs: dict, **kwargs: Any
) -> None:
    log_kwargs.pop("request", None)
    log_kwargs["status"] = log_kwargs.pop("code", response.status_code)
    log_kwargs.update(request_fields(request))


@receiver(signals.bind_extra_request_failed_metadata)
def _request_failed_fields(request: HttpRequest, log_kwargs: dict, **kwargs: Any) -> None:
    log_kwargs.pop("request", None)
    log_kwargs["status"] = log_kwargs.pop("code", 500)
    log_kwargs.update(request_fields(request))
