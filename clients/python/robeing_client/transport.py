"""What the sync and async clients share: requests, answers, errors, backoff.

Answers become results or one of `robeing_client.errors`; what is worth
retrying (429, 5xx, no answer) is retried by the caller with `backoff()`,
which honours the server's Retry-After.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

from robeing_client import errors

USER_AGENT = "robeing-client/0.1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Config:
    base_url: str  # e.g. https://console.example.com (the /api/v1 prefix is added)
    api_key: str
    timeout: float = 10.0

    @property
    def api_url(self) -> str:
        return self.base_url.rstrip("/") + "/api/v1"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Api-Key {self.api_key}", "User-Agent": USER_AGENT}


def sync_client(config: Config) -> httpx.Client:
    return httpx.Client(base_url=config.api_url, headers=config.headers(), timeout=config.timeout)


def async_client(config: Config) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=config.api_url, headers=config.headers(), timeout=config.timeout
    )


def raise_for_answer(response: httpx.Response) -> None:
    """Nothing for 2xx and 304; the matching error otherwise."""
    status = response.status_code
    if status < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or response.reason_phrase or f"HTTP {status}")
    code = str(body.get("code") or "")
    if status == 401:
        raise errors.AuthenticationError(
            f"The API key was refused ({message}): check that it is the robeing's current key "
            "and has not been revoked.",
            status=status,
            code=code,
        )
    if status == 403:
        raise errors.PermissionDenied(message, status=status, code=code)
    if status == 404:
        raise errors.NotFound(message, status=status, code=code)
    if status in (409, 412):
        raise errors.Conflict(message, status=status, code=code)
    if status == 429:
        raise errors.RateLimited(message, retry_after=retry_after(response, default=1.0))
    if status >= 500:
        wait = retry_after(response, default=-1.0) if "Retry-After" in response.headers else None
        raise errors.ServerError(message, status=status, code=code, retry_after=wait)
    raise errors.ValidationError(
        message, status=status, code=code, errors=field_errors(body.get("errors"))
    )


def field_errors(items: object) -> list[errors.FieldError]:
    if not isinstance(items, list):
        return []
    return [
        errors.FieldError(
            str(item.get("field", "")), str(item.get("code", "")), str(item.get("message", ""))
        )
        for item in items
        if isinstance(item, dict)
    ]


def retry_after(response: httpx.Response, *, default: float) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", default)))
    except ValueError:  # an HTTP date: not sent by this server
        return default


def retryable(error: BaseException) -> bool:
    return isinstance(error, (errors.RateLimited, errors.ServerError))


def backoff(attempt: int, error: BaseException, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds before retry number `attempt` (1, 2, ...): the server's
    Retry-After when it gave one, else exponential with full jitter."""
    if isinstance(error, errors.RateLimited):
        return error.retry_after
    if isinstance(error, errors.ServerError) and error.retry_after is not None:
        return min(cap, error.retry_after)
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def no_answer(error: httpx.HTTPError) -> errors.ServerError:
    return errors.ServerError(f"No answer from the server: {type(error).__name__}: {error}")


def call(
    client: httpx.Client, method: str, path: str, *, retries: int = 3, **options
) -> httpx.Response:
    """One request, retried on no answer, 429 and 5xx (the API's writes are
    idempotent by their keys); the answer, or the error it means."""
    import time

    attempt = 0
    while True:
        try:
            answer = client.request(method, path, **options)
            raise_for_answer(answer)
            return answer
        except httpx.HTTPError as error:
            failure: errors.RobeingError = no_answer(error)
        except errors.RobeingError as error:
            failure = error
        attempt += 1
        if not retryable(failure) or attempt > retries:
            raise failure
        time.sleep(backoff(attempt, failure))


async def acall(
    client: httpx.AsyncClient, method: str, path: str, *, retries: int = 3, **options
) -> httpx.Response:
    """`call` for the async twins."""
    import asyncio

    attempt = 0
    while True:
        try:
            answer = await client.request(method, path, **options)
            raise_for_answer(answer)
            return answer
        except httpx.HTTPError as error:
            failure: errors.RobeingError = no_answer(error)
        except errors.RobeingError as error:
            failure = error
        attempt += 1
        if not retryable(failure) or attempt > retries:
            raise failure
        await asyncio.sleep(backoff(attempt, failure))
