"""Writes about identities: robeings, their API keys, users."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Robeing, RobeingAPIKey, User
from accounts.selectors import api_key_cache, slack_user_cache
from core.errors import InvalidInput, NotFound

# An erased person's user row keeps an address at a reserved domain (RFC 2606).
ERASED_EMAIL_DOMAIN = "@erased.invalid"

# What else a robeing gets when it is registered: each is called as
# step(robeing_id=...). Higher
# apps add to it from their AppConfig.ready() (stats: the robeing's stats row),
# so that accounts, below them, imports none of them.
_robeing_registration_steps: list[Callable[..., None]] = []


def on_robeing_registered(step: Callable[..., None]) -> None:
    """Run `step(robeing_id=...)` whenever a robeing is registered (idempotent:
    also for one that already exists, so a step may be added later)."""
    if step not in _robeing_registration_steps:
        _robeing_registration_steps.append(step)


def robeing_get_or_create(*, robeing_id: str, name: str = "") -> tuple[Robeing, bool]:
    """Register a robeing if it is new. Safe under concurrent calls (primary key)."""
    robeing = Robeing(robeing_id=robeing_id, name=name)
    try:
        robeing.full_clean(validate_unique=False)
    except ValidationError as exc:  # -> our one error shape
        raise InvalidInput.for_field("robeing_id", "; ".join(exc.messages)) from exc
    robeing, created = Robeing.objects.get_or_create(robeing_id=robeing_id, defaults={"name": name})
    for step in _robeing_registration_steps:
        step(robeing_id=robeing_id)
    return robeing, created


def robeing_set_active(*, robeing_id: str, is_active: bool) -> Robeing:
    updated = Robeing.objects.filter(robeing_id=robeing_id).update(is_active=is_active)
    if not updated:
        raise NotFound(f"Robeing {robeing_id!r} does not exist.", code="robeing_not_found")
    # A deactivated robeing's keys must stop working in this process at once.
    api_key_cache.clear()
    return Robeing.objects.get(robeing_id=robeing_id)


@transaction.atomic
def api_key_create(*, robeing_id: str, name: str = "default") -> tuple[RobeingAPIKey, str]:
    """Create a key for a robeing (registering the robeing if needed).

    Returns the stored key row and the raw key, which exists only in this
    return value: the database keeps a SHA-512 hash.
    """
    robeing, _ = robeing_get_or_create(robeing_id=robeing_id)
    api_key, raw_key = RobeingAPIKey.objects.create_key(robeing=robeing, name=name[:50])
    return api_key, raw_key


def api_key_revoke(*, prefix: str) -> RobeingAPIKey:
    """Revoke a key by its public prefix. Revocation cannot be undone."""
    updated = RobeingAPIKey.objects.filter(prefix=prefix).update(revoked=True)
    if not updated:
        raise NotFound(f"No API key with prefix {prefix!r}.", code="api_key_not_found")
    # Effective at once here; other processes drop it within API_KEY_CACHE_SECONDS.
    api_key_cache.clear()
    return RobeingAPIKey.objects.get(prefix=prefix)


@transaction.atomic
def api_keys_replace(*, robeing_ids: list[str], name: str) -> dict[str, str]:
    """Revoke the robeings' live keys called `name` and give each a fresh one;
    returns the raw keys by robeing id (shown once, as at creation).

    The robeing rows are locked first: two runs at once would otherwise each
    revoke only the keys they saw and both create new ones, leaving four live."""
    list(Robeing.objects.select_for_update().filter(robeing_id__in=robeing_ids))
    old = RobeingAPIKey.objects.filter(robeing_id__in=robeing_ids, name=name, revoked=False)
    for prefix in old.values_list("prefix", flat=True):
        api_key_revoke(prefix=prefix)
    return {
        robeing_id: api_key_create(robeing_id=robeing_id, name=name)[1]
        for robeing_id in robeing_ids
    }


def user_get_or_create(
    *, email: str, display_name: str = "", slack_user_id: str | None = None
) -> tuple[User, bool]:
    """The user with this e-mail, created with the given profile if new."""
    user, created = User.objects.get_or_create(
        email=email, defaults={"display_name": display_name, "slack_user_id": slack_user_id}
    )
    if created and slack_user_id:
        slack_user_cache.clear()  # a cached "no such user" for this id is now wrong
    return user, created


def superuser_set(*, email: str, password: str, display_name: str = "") -> User:
    """Create this superuser, or make the existing user one again with this
    password (so that a printed login always works)."""
    user, _ = user_get_or_create(email=email, display_name=display_name)
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return user


def user_set_slack_user_id(*, user: User, slack_user_id: str | None) -> User:
    user.slack_user_id = slack_user_id or None
    user.save(update_fields=["slack_user_id"])
    slack_user_cache.clear()
    return user


def user_anonymise(*, user_id: uuid.UUID) -> bool:
    """Strip a user row of everything that identifies the person (erasure).
    The row stays, so that records pointing at it (settings changes an
    operator made) keep their integrity; it can no longer log in. Returns
    whether there was a row with identifying data to strip."""
    user = User.objects.filter(id=user_id).first()
    if user is None or user.email.endswith(ERASED_EMAIL_DOMAIN):
        return False
    user.email = f"erased-{user.id.hex}{ERASED_EMAIL_DOMAIN}"
    user.display_name = ""
    user.slack_user_id = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    # Logged-in sessions of this person end (their session rows name the user).
    _sessions_delete(user_id=user.id)
    slack_user_cache.clear()  # in this process at once; elsewhere within its TTL
    api_key_cache.clear()
    return True


def _sessions_delete(*, user_id: uuid.UUID) -> None:
    for session in Session.objects.iterator():
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            session.delete()
