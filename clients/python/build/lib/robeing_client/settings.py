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
        self.revalidate_seconds = revalidate_seconds
        self._client = transport.sync_client(transport.Config(base_url, api_key, timeout))
        self._lock = threading.Lock()
        self._values: dict[str, dict[str, Any]] | None = None
        self._etag: str | None = None
        self._fresh_until = float("-inf")
        self.requests = 0  # GETs sent, for the curious (and the tests)

    @property
    def _path(self) -> str:
        return f"/robeings/{self.robeing_id}/settings/"

    def _current(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            if self._values is not None and time.monotonic() < self._fresh_until:
                return self._values
            headers = {"If-None-Match": self._etag} if self._etag else {}
            started = time.monotonic()
            answer = transport.call(self._client, "GET", self._path, headers=headers)
            self.requests += 1
            if answer.status_code != 304:
                body = answer.json()
                self._values = {
                    name: body[name] for name in set(CATEGORIES.values()) if name in body
                }
                self._etag = answer.headers.get("ETag")
            self._fresh_until = started + self.revalidate_seconds
            return self._values

    def get_setting(self, category: str, key: str, default: Any = None) -> Any:
        """The value (merged over the schema's defaults by the server), or `default`."""
        value = self._current().get(category_name(category), {}).get(key, _MISSING)
        return default if value is _MISSING else value

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
                    json={key: value},
                    headers={"If-Match": self._etag or "*",
                             "Content-Type": "application/merge-patch+json"},
                )  # fmt: skip
            except errors.Conflict as conflict:
                if conflict.status != 412 or attempt == 2:
                    raise
                self.invalidate()
                continue
            body = answer.json()
            with self._lock:
                if self._values is not None:
                    self._values[name] = body["values"]
                self._etag = answer.headers.get("ETag", self._etag)
            return body["values"]
        raise AssertionError("unreachable")

    def invalidate(self) -> None:
        """Read from the server on the next get_setting."""
        with self._lock:
            self._fresh_until = float("-inf")

    def close(self) -> None:
        self._client.close()
