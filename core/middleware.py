from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation

from core.errors import FieldError, error_body
from core.metrics import http_request_duration
from core.validation import NUL_MESSAGE

API_PREFIX = "/api/"
logger = logging.getLogger(__name__)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Korean (or the browser's language) for operators; English for the API.

    API error messages are read by bots and by the engineers who debug them,
    next to English error codes; a mix of Korean library messages and English
    ones of ours would help nobody.

    Outside the API, Django's order decides, and it is the one we want: the
    language cookie that the admin header's switch sets (set_language) first,
    then the browser's Accept-Language, then LANGUAGE_CODE (Korean). An
    operator's explicit choice therefore wins over what the browser sends.
    """

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(API_PREFIX):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
            return
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return response
        return super().process_response(request, response)


class MessageMiddleware(DjangoMessageMiddleware):
    """Flash messages for the admin's pages only. The API never shows one, and
    setting up their cookie and session storage cost every bot request about
    5% of its time."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path_info.startswith(API_PREFIX):
            super().process_request(request)


class RejectNulMiddleware:
    """A request whose path, query string or a header holds a NUL is a 400
    before any view sees it: no string from those parts then reaches SQL
    with a character PostgreSQL cannot store (bodies are checked by the API's
    JSON parser). Under /api/ the answer is in the API's error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _field_with_nul(request)
        if field is None:
            return self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            errors = [FieldError(field, "nul_character", NUL_MESSAGE)]
            body = error_body("validation_error", "Invalid input.", errors)
            return JsonResponse(body, status=400)
        return HttpResponseBadRequest(f"{field} {NUL_MESSAGE}.", content_type="text/plain")


def _field_with_nul(request: HttpRequest) -> str | None:
    # The common case costs three substring searches and a pass over the
    # headers; only a request that has a NUL is looked at closer.
    if "\x00" in request.path_info:
        return "path"
    if "%00" in request.META.get("QUERY_STRING", ""):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key.replace("\x00", "")
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            return name.removeprefix("HTTP_").replace("_", "-").lower()
    return None


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request: HttpRequest) -> str:
    """The URL pattern's name (or pattern) that served the request: bounded,
    unlike the path, which carries robeing and turn ids."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unmatched"


class RequestMetricsMiddleware:
    """First in the stack: times every request, whatever answers it (a
    redirect, a refusal, a view), into robeing_http_request_duration_seconds.
    Also notes when the request began, for its log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.started_monotonic = started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        try:
            http_request_duration.labels(
                route_of(request), method, str(response.status_code)
            ).observe(time.perf_counter() - started)
        except OSError:  # the metrics folder went away: the request still answers
            logger.warning("request metrics could not be written", exc_info=True)
        return response
