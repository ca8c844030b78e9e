"""The small set of domain exceptions that services raise.

One DRF exception handler (core.api.exception_handler) turns each into a
JSON error of one shape, so bots see the same structure for every failure:

    {"code": "validation_error", "message": "...",
     "errors": [{"field": "items[3].confidence", "code": "...", "message": "..."}]}
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

import pydantic


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


def error_body(code: str, message: str, errors: list[FieldError]) -> dict[str, object]:
    """The one error shape, as JSON-ready data."""
    return {"code": code, "message": message, "errors": [e.as_dict() for e in errors]}


class ApplicationError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, errors: list[FieldError] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        if code:
            self.code = code


class InvalidInput(ApplicationError):
    code = "validation_error"

    @classmethod
    def for_field(cls, field: str, message: str, code: str = "invalid") -> InvalidInput:
        return cls("Invalid input.", errors=[FieldError(field, code, message)])


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"


class Forbidden(ApplicationError):
    status_code = 403
    code = "permission_denied"


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"


class PreconditionFailed(ApplicationError):
    status_code = 412
    code = "precondition_failed"


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"


class LengthRequired(ApplicationError):
    status_code = 411
    code = "length_required"


class RateLimited(ApplicationError):
    """429: too many requests; `retry_after` whole seconds until one is allowed."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def pydantic_errors(exc: pydantic.ValidationError, prefix: str = "") -> list[FieldError]:
    """pydantic's errors as FieldErrors whose paths read like `turns[2].confidence`."""
    errors = []
    for err in exc.errors(include_url=False, include_input=False):
        path = prefix
        for part in err["loc"]:
            path = (
                f"{path}[{part}]"
                if isinstance(part, int)
                else (f"{path}.{part}" if path else str(part))
            )
        message = err["msg"].removeprefix("Value error, ")
        errors.append(FieldError(path or "non_field_errors", err["type"], message))
    return errors


def exception_summary(exc: BaseException) -> str:
    """What a stored record may say of an error: its type and where it was
    raised. Never its message: a database error quotes the row it refused
    ("Key (slack_user_id)=(U...)"), and records outlive erasures."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    where = frames[-1]
    return f"{type(exc).__name__} at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}"
