"""One exception hierarchy for every answer the API refuses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One refused field, by the server's path (`turns[3].confidence`)."""

    field: str
    code: str
    message: str


class RobeingError(Exception):
    """Anything the client could not do; `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


class AuthenticationError(RobeingError):
    """The API key is missing, malformed, unknown, revoked or expired."""


class PermissionDenied(RobeingError):
    """The key is valid but may not reach this robeing (each key has one)."""


class NotFound(RobeingError):
    """An unknown robeing, category or key."""


class ValidationError(RobeingError):
    """The server refused the input; `errors` name the fields."""

    def __init__(self, message: str, *, status: int, code: str, errors: list[FieldError]) -> None:
        super().__init__(message, status=status, code=code)
        self.errors = errors


class Conflict(RobeingError):
    """The current state refuses the change (409, or 412: the settings changed meanwhile)."""


class RateLimited(RobeingError):
    """429: too many requests; `retry_after` seconds to wait, from the server."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, status=429, code="rate_limited")
        self.retry_after = retry_after


class ServerError(RobeingError):
    """5xx, or no answer at all (connection refused, timeout): worth retrying;
    `retry_after` is the server's Retry-After (a 503 while its database is
    away sends one), or None."""

    def __init__(
        self, message: str, *, status: int = 0, code: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after
