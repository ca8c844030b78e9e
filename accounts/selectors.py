"""Reads about identities. The API key and Slack-id lookups sit on the ingestion
hot path, so both are served from small per-process caches."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from accounts.models import Robeing, RobeingAPIKey, User
from core.errors import NotFound


@dataclass(frozen=True)
class RobeingPrincipal:
    """Who is calling when a bot authenticates with its API key (request.user)."""

    robeing_id: str
    key_prefix: str
    is_authenticated: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_active: bool = True
    pk: None = None

    def __str__(self) -> str:
        return f"robeing {self.robeing_id} (key {self.key_prefix})"


class _TTLCache:
    """A tiny thread-safe TTL map. Bounded: when full it simply starts over,
    which costs one miss per live entry and can never grow without limit."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._data: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(self, key: object) -> tuple[bool, object]:
        entry = self._data.get(key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def set(self, key: object, value: object, ttl: float) -> None:
        with self._lock:
            if len(self._data) >= self._max_entries:
                self._data.clear()
            self._data[key] = (time.monotonic() + ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


api_key_cache = _TTLCache()
slack_user_cache = _TTLCache()
# Staff HTTP Basic credentials already verified (accounts.authentication).
basic_auth_cache = _TTLCache(max_entries=1_000)


def robeing_get(*, robeing_id: str) -> Robeing:
    try:
        return Robeing.objects.get(robeing_id=robeing_id)
    except Robeing.DoesNotExist:
        raise NotFound(
            f"Robeing {robeing_id!r} does not exist.", code="robeing_not_found"
        ) from None


def api_key_principal(*, key: str) -> RobeingPrincipal | None:
    """The robeing a raw API key belongs to, or None if the key is unknown,
    revoked, expired, or its robeing is inactive.

    Cached per process by the key's SHA-256 (never the key itself) for
    API_KEY_CACHE_SECONDS, so a busy bot costs no query per request. Negative
    answers are cached too, so a flood of bad keys cannot hammer the database.
    """
    digest = hashlib.sha256(key.encode()).digest()
    hit, principal = api_key_cache.get(digest)
    if hit:
        return principal  # type: ignore[return-value]
    principal = _api_key_principal_uncached(key)
    api_key_cache.set(digest, principal, settings.API_KEY_CACHE_SECONDS)
    return principal


def _api_key_principal_uncached(key: str) -> RobeingPrincipal | None:
    # The library's get_from_key, plus the robeing in the same query.
    prefix, _, _ = key.partition(".")
    api_key = (
        RobeingAPIKey.objects.get_usable_keys()
        .select_related("robeing")
        .filter(prefix=prefix)
        .first()
    )
    if api_key is None or not api_key.is_valid(key):
        return None
    if api_key.has_expired or not api_key.robeing.is_active:
        return None
    return RobeingPrincipal(robeing_id=api_key.robeing_id, key_prefix=api_key.prefix)


def user_ids_for_slack_users(*, slack_user_ids: set[str]) -> dict[str, uuid.UUID]:
    """Map Slack user ids to user ids, one query for all cache misses.

    A Slack id that no user (or more than one user, across workspaces) has maps
    to nothing; that answer is cached too, for SLACK_USER_CACHE_SECONDS.
    """
    found: dict[str, uuid.UUID] = {}
    missing = set()
    for slack_user_id in slack_user_ids:
        hit, user_id = slack_user_cache.get(slack_user_id)
        if not hit:
            missing.add(slack_user_id)
        elif user_id is not None:
            found[slack_user_id] = user_id  # type: ignore[assignment]
    if missing:
        matches: dict[str, list[uuid.UUID]] = {}
        rows = User.objects.filter(slack_user_id__in=missing).values_list("slack_user_id", "id")
        for slack_user_id, user_id in rows:
            matches.setdefault(slack_user_id, []).append(user_id)
        for slack_user_id in missing:
            ids = matches.get(slack_user_id, [])
            user_id = ids[0] if len(ids) == 1 else None
            slack_user_cache.set(slack_user_id, user_id, settings.SLACK_USER_CACHE_SECONDS)
            if user_id is not None:
                found[slack_user_id] = user_id
    return found


def existing_user_ids(*, user_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return set(User.objects.filter(id__in=user_ids).values_list("id", flat=True))


def user_identities(
    *, user_ids: set[uuid.UUID], slack_user_ids: set[str]
) -> tuple[set[uuid.UUID], set[str]]:
    """Every id one person is known by: the given ones, the users holding the
    given Slack ids, and the Slack ids of the given users."""
    users = User.objects.filter(
        person_filter(user_ids=user_ids, slack_user_ids=slack_user_ids, user_field="id")
    )
    found_users, found_slack = set(user_ids), {s for s in slack_user_ids if s}
    for user_id, slack_user_id in users.values_list("id", "slack_user_id"):
        found_users.add(user_id)
        if slack_user_id:
            found_slack.add(slack_user_id)
    return found_users, found_slack


def person_filter(
    *,
    user_ids: set[uuid.UUID],
    slack_user_ids: set[str],
    user_field: str = "user_id",
    slack_user_field: str = "slack_user_id",
) -> Q:
    """Rows of one person, known by any of these user ids or Slack user ids
    (fields named for the model queried); with no ids, a filter matching none."""
    match = Q(pk__in=[])
    if user_ids:
        match |= Q(**{f"{user_field}__in": user_ids})
    if slack_user_ids:
        match |= Q(**{f"{slack_user_field}__in": slack_user_ids})
    return match


def user_personal_data(*, user_ids: set[uuid.UUID]) -> list[dict]:
    """What the user table holds about a person, for an access request."""
    fields = (
        "id",
        "email",
        "display_name",
        "slack_user_id",
        "is_active",
        "date_joined",
        "last_login",
    )
    return list(User.objects.filter(id__in=user_ids).values(*fields))


def robeings_all() -> list[Robeing]:
    """Every robeing, by id: the choices of a robeing picker (a small table)."""
    return list(Robeing.objects.order_by("robeing_id"))
