"""SettingsManager: the seed's get_setting / update_setting (4.3), cached.

The robeing's settings are read whole once and kept with their ETag. Within
`revalidate_seconds` (30 s) a read costs no request; after it, one GET with
If-None-Match, which the server answers 304 (nothing changed: no body) or with
the new settings. So an operator's change reaches the bot within that time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from robeing_client import errors, transport

# The seed's short names, and the API's.
CATEGORIES = {
    "user_preference": "user_preference",
    "system": "system_settings",
    "system_settings": "system_settings",
    "skill": "skill_settings",
    "skill_settings": "skill_settings",
}
_MISSING = object()


def category_name(category: str) -> str:
    try:
        return CATEGORIES[category]
    except KeyError:
        raise ValueError(
            f"unknown settings category {category!r}; one of {sorted(CATEGORIES)}"
        ) from None


class SettingsCache:
    """What the sync and async managers keep, and how an answer changes it:
    the values, their ETag, and until when they are trusted without asking."""

    def __init__(self, revalidate_seconds: float) -> None:
        self.revalidate_seconds = revalidate_seconds
        self.values: dict[str, dict[str, Any]] | None = None
        self.etag: str | None = None
        self.fresh_until = float("-inf")

    def fresh(self) -> bool:
        return self.values is not None and time.monotonic() < self.fresh_until

    def read_headers(self) -> dict[str, str]:
        return {"If-None-Match": self.etag} if self.etag else {}

    def store_read(self, answer: httpx.Response, *, asked_at: float) -> dict[str, dict[str, Any]]:
        """A GET's answer: 304 keeps the values, 200 replaces them. Trusted from
        when the request was sent, not from when it was answered."""
        if answer.status_code != 304:
            body = answer.json()
            self.values = {name: body[name] for name in set(CATEGORIES.values()) if name in body}
            self.etag = answer.headers.get("ETag")
        self.fresh_until = asked_at + self.revalidate_seconds
        return self.values

    def lookup(self, category: str, key: str, default: Any) -> Any:
        value = (self.values or {}).get(category_name(category), {}).get(key, _MISSING)
        return default if value is _MISSING else value

    def patch_headers(self) -> dict[str, str]:
        return {"If-Match": self.etag or "*", "Content-Type": "application/merge-patch+json"}

    def store_patch(self, category: str, answer: httpx.Response) -> dict[str, Any]:
        body = answer.json()
        if self.values is not None:
            self.values[category] = body["values"]
        self.etag = answer.headers.get("ETag", self.etag)
        return body["values"]

    def invalidate(self) -> None:
        self.fresh_until = float("-inf")


def is_stale_write(conflict: errors.Conflict, attempt: int) -> bool:
    """A 412 on the first try: someone changed the settings; read and try again."""
    return conflict.status == 412 and attempt == 1


class SettingsManager:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        robeing_id: str,
        *,
        revalidate_seconds: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        self.robeing_id = robeing_id
        self._client = transport.sync_client(transport.Config(base_url, api_key, timeout))
        self._lock = threading.Lock()
        self._cache = SettingsCache(revalidate_seconds)
        self.requests = 0  # GETs sent, for the curious (and the tests)

    @property
    def _path(self) -> str:
        return f"/robeings/{self.robeing_id}/settings/"

    def _current(self) -> None:
        with self._lock:
            if self._cache.fresh():
                return
            asked_at = time.monotonic()
            answer = transport.call(
                self._client, "GET", self._path, headers=self._cache.read_headers()
            )
            self.requests += 1
            self._cache.store_read(answer, asked_at=asked_at)

    def get_setting(self, category: str, key: str, default: Any = None) -> Any:
        """The value (merged over the schema's defaults by the server), or `default`."""
        self._current()
        return self._cache.lookup(category, key, default)

    def update_setting(self, category: str, key: str, value: Any) -> dict[str, Any]:
        """Change one key (a JSON merge patch; None resets it to the default).
        Sent with If-Match; if someone changed the settings meanwhile (412),
        re-read and try once more. Returns the category's values after it."""
        name = category_name(category)
        for attempt in (1, 2):
            self._current()
            try:
                answer = transport.call(
                    self._client, "PATCH", f"{self._path}{name}/",
                    json={key: value}, headers=self._cache.patch_headers(),
                )  # fmt: skip
            except errors.Conflict as conflict:
                if not is_stale_write(conflict, attempt):
                    raise
                self.invalidate()
                continue
            with self._lock:
                return self._cache.store_patch(name, answer)
        raise AssertionError("unreachable")

    def invalidate(self) -> None:
        """Read from the server on the next get_setting."""
        with self._lock:
            self._cache.invalidate()

    def close(self) -> None:
        self._client.close()
