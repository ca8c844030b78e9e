"""Plumbing shared by every API view: one error shape, input validation, body caps."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.db import connection
from django.http import Http404, JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import ratelimit
from core.errors import (
    ApplicationError,
    FieldError,
    InvalidInput,
    LengthRequired,
    PayloadTooLarge,
    RateLimited,
    error_body,
    pydantic_errors,
)
from core.middleware import API_PREFIX

logger = logging.getLogger(__name__)
ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)


def _drf_detail_to_errors(detail: Any, prefix: str = "") -> list[FieldError]:
    """Flatten DRF's nested error detail into field paths like `items[2].message`."""
    if isinstance(detail, dict):
        errors: list[FieldError] = []
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            errors.extend(_drf_detail_to_errors(value, path))
        return errors
    if isinstance(detail, list):
        if all(isinstance(item, (str, drf_exceptions.ErrorDetail)) for item in detail):
            return [
                FieldError(
                    prefix or "non_field_errors", getattr(item, "code", "invalid"), str(item)
                )
                for item in detail
            ]
        errors = []
        for index, item in enumerate(detail):
            errors.extend(_drf_detail_to_errors(item, f"{prefix}[{index}]"))
        return errors
    return [
        FieldError(prefix or "non_field_errors", getattr(detail, "code", "invalid"), str(detail))
    ]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The one error path: domain and DRF exceptions become one JSON shape."""
    if isinstance(exc, ApplicationError):
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        return Response(
            error_body(exc.code, exc.message, exc.errors), status=exc.status_code, headers=headers
        )
    if isinstance(exc, DatabaseOperationalError | DatabaseInterfaceError):
        # PostgreSQL down or restarting: a quick, honest 503 the client can
        # retry, not a 500. Django drops the broken connection at the end of
        # the request and the next one connects again.
        logger.warning("Database unavailable: %s", exc)
        body = error_body("database_unavailable", "The database is unavailable; retry shortly.", [])
        return Response(
            body,
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(settings.API_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if not isinstance(exc, drf_exceptions.APIException):
        return None  # A real bug: let Django log it and answer 500.

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, drf_exceptions.ValidationError):
        body = error_body("validation_error", "Invalid input.", _drf_detail_to_errors(exc.detail))
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        if isinstance(exc, drf_exceptions.ParseError):
            code = "malformed_json"
        body = error_body(code, str(exc.detail), [])
    return Response(body, status=exc.status_code, headers=headers)


def validate_input(model: type[ModelT], data: Any) -> ModelT:
    """Validate a request body (or query dict) with a pydantic model, or raise InvalidInput."""
    if not isinstance(data, dict):
        raise InvalidInput.for_field("non_field_errors", "Expected a JSON object.", "type_error")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InvalidInput("Invalid input.", errors=pydantic_errors(exc)) from exc


class JSONFirstNegotiation(DefaultContentNegotiation):
    """Bots send no Accept header, or */*, or application/json: they get JSON
    without DRF parsing and ranking media types on every request. Any other
    Accept goes through DRF's negotiation as before (406 when nothing fits)."""

    def select_renderer(self, request: Request, renderers: list, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if format_suffix is None and accept in ("*/*", "application/json"):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class BaseAPIView(APIView):
    """Rejects oversized bodies before anything reads them (413, not a 500 or OOM)."""

    content_negotiation_class = JSONFirstNegotiation
    # Name of the setting that caps this view's request body, read per request.
    max_body_setting = "API_MAX_BATCH_BODY_BYTES"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            # WSGI hands Django no length for a chunked body, and Django then
            # reads it as empty: the turn would be refused as "message: Field
            # required", which says nothing of the cause.
            raise LengthRequired(
                "Send the body with a Content-Length header; chunked transfer encoding "
                "is not supported."
            )
        limit = getattr(settings, self.max_body_setting)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise PayloadTooLarge(f"Request body is {length} bytes; the limit is {limit} bytes.")
        try:
            super().initial(request, *args, **kwargs)
        except (
            drf_exceptions.AuthenticationFailed,
            drf_exceptions.NotAuthenticated,
            drf_exceptions.PermissionDenied,
        ):
            # Refused callers count against their address too, so a flood of
            # bad keys turns into 429s (one Redis call each).
            ratelimit.enforce(_address_limit(request))
            raise
        # For the request's log line (core.request_log): which key, by its
        # public prefix, never the key.
        request._request.api_key_prefix = getattr(request.user, "key_prefix", None)

    def check_throttles(self, request: Request) -> None:
        """Per API key (a bot) or account (staff) and per address, once
        authenticated: both counted in one Redis call."""
        user = request.user
        key_prefix = getattr(user, "key_prefix", None)  # accounts.RobeingPrincipal
        subject = f"key:{key_prefix}" if key_prefix else f"user:{getattr(user, 'pk', '')}"
        ratelimit.enforce((subject, "API_RATE_LIMIT_PER_KEY", "API key"), _address_limit(request))


def _address_limit(request: Request) -> tuple[str, str, str]:
    return (f"addr:{ratelimit.client_address(request)}", "API_RATE_LIMIT_PER_ADDRESS", "address")


def _never(robeing_id: str) -> bool:
    return False


# Which robeings want their API responses timed. The base knows no settings:
# settings_app installs its rule (`system_settings.debug_mode`) from
# AppConfig.ready(), so this module imports no app.
_server_timing_wanted: Callable[[str], bool] = _never


def set_server_timing_rule(rule: Callable[[str], bool]) -> None:
    global _server_timing_wanted
    _server_timing_wanted = rule


class RobeingScopedAPIView(BaseAPIView):
    """A view under /robeings/{robeing_id}/. Permission (CanAccessRobeing) has
    already kept bots to their own robeing and answered 404 to staff for an
    unknown one.

    For a robeing the server-timing rule names (its `system_settings.debug_mode`
    is on), responses carry a `Server-Timing` header with the time spent in the
    database and in total.
    """

    _query_timer: QueryTimer | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if _server_timing_wanted(kwargs["robeing_id"]):
            self._query_timer = QueryTimer()
            self._query_timer.start()

    def finalize_response(self, request: Request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._query_timer is not None:
            response["Server-Timing"] = self._query_timer.stop()
        return response

    def dispatch(self, request, *args: Any, **kwargs: Any):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # An unhandled error skips finalize_response; the wrapper must not
            # stay on this thread's connection for the requests after it.
            if self._query_timer is not None:
                self._query_timer.uninstall()


class QueryTimer:
    """Times every query run while it is installed (Django execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0
        self.db_seconds = 0.0
        self._started = 0.0
        self._wrapper = None

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.db_seconds += time.perf_counter() - started

    def start(self) -> None:
        self._started = time.perf_counter()
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()

    def uninstall(self) -> None:
        if self._wrapper is not None:
            self._wrapper.__exit__(None, None, None)
            self._wrapper = None

    def stop(self) -> str:
        self.uninstall()
        total_ms = (time.perf_counter() - self._started) * 1000
        return (
            f'db;dur={self.db_seconds * 1000:.2f};desc="{self.count} queries", '
            f"total;dur={total_ms:.2f}"
        )


class FieldErrorOut(pydantic.BaseModel):
    field: str = pydantic.Field(description="Path of the offending input, e.g. turns[3].confidence")
    code: str
    message: str


class ErrorOut(pydantic.BaseModel):
    code: str = pydantic.Field(description="Machine-readable error code, e.g. validation_error")
    message: str
    errors: list[FieldErrorOut]


ERROR_RESPONSES = {
    status.HTTP_400_BAD_REQUEST: ErrorOut,
    status.HTTP_401_UNAUTHORIZED: ErrorOut,
    status.HTTP_403_FORBIDDEN: ErrorOut,
    status.HTTP_404_NOT_FOUND: ErrorOut,
    # Over a rate limit (per key, per address) or a login lockout; Retry-After says when.
    status.HTTP_429_TOO_MANY_REQUESTS: ErrorOut,
    # The database is down or restarting; Retry-After says when to try again.
    status.HTTP_503_SERVICE_UNAVAILABLE: ErrorOut,
}
WRITE_ERROR_RESPONSES = {
    **ERROR_RESPONSES,
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: ErrorOut,
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: ErrorOut,
}


def query_parameters(model: type[pydantic.BaseModel]) -> list[OpenApiParameter]:
    """The OpenAPI query parameters of a pydantic query model, so the schema
    states exactly what `validate_query` accepts (types, formats, bounds)."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        choices = [part for part in prop.get("anyOf", [prop]) if part.get("type") != "null"]
        field = dict(choices[0]) if len(choices) == 1 else {"anyOf": choices}
        for annotation in ("title", "default", "description"):
            field.pop(annotation, None)
        parameters.append(
            OpenApiParameter(
                name,
                field,
                location=OpenApiParameter.QUERY,
                required=name in required,
                description=prop.get("description", ""),
            )
        )
    return parameters


def validate_query(model: type[ModelT], request: Request) -> ModelT:
    """The query string through `model`, once. A parameter given twice is
    refused (which one to believe?), as is any the model does not know."""
    repeated = sorted(k for k, values in request.query_params.lists() if len(values) > 1)
    if repeated:
        raise InvalidInput.for_field(repeated[0], "Give this parameter once.", "repeated")
    return validate_input(model, request.query_params.dict())


class PageQuery(pydantic.BaseModel):
    """The query of a cursor-paginated list (StrictCursorPagination)."""

    model_config = pydantic.ConfigDict(extra="forbid")

    cursor: str | None = pydantic.Field(
        None, min_length=1, max_length=1000, description="Opaque cursor from `next` or `previous`."
    )
    page_size: int | None = pydantic.Field(None, ge=1, le=200, description="1-200, default 50.")


class StrictCursorPagination(CursorPagination):
    """Cursor pages of 50 (page_size up to 200); a cursor that does not decode
    is bad input (400 naming `cursor`), not DRF's 404. Subclasses set ordering."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:
            raise InvalidInput.for_field("cursor", "Invalid cursor.") from exc


def cursor_page_schema(name: str):
    """OpenAPI shape of a StrictCursorPagination response."""
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializers.ListField(child=serializers.DictField()),
        },
    )


def _is_api(request: Any) -> bool:
    return request.path_info.startswith(API_PREFIX)


def not_found(request: Any, exception: Exception | None = None) -> Any:
    """handler404: under /api/ the API's error shape, elsewhere Django's page.
    (An unmatched URL never reaches DRF, so its exception handler cannot
    answer it.)"""
    if _is_api(request):
        body = error_body("not_found", f"No endpoint at {request.path_info}.", [])
        return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: Any) -> Any:
    """handler500: under /api/ the API's error shape, elsewhere Django's page.
    The exception itself is logged by Django before this runs."""
    if _is_api(request):
        body = error_body("server_error", "Internal server error.", [])
        return JsonResponse(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)
