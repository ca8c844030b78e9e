from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import User
from accounts.selectors import RobeingPrincipal, api_key_principal, basic_auth_cache

KEYWORD = "Api-Key"


class RobeingApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`: the caller is the key's robeing."""

    def authenticate(self, request: Request) -> tuple[RobeingPrincipal, RobeingPrincipal] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != KEYWORD.lower():
            return None  # Not ours: let session auth (staff) try.
        key = key.strip()
        if not key or len(key) > 200:
            raise exceptions.AuthenticationFailed("Malformed API key.")
        principal = api_key_principal(key=key)
        if principal is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key.")
        return principal, principal

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class StaffBasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic for staff scripts (BI tools, the privacy API), without paying
    the password hash on every request: PBKDF2 takes about half a second by
    design, which made each analytics call cost 0.5 s more than its query.

    A verified pair of credentials is remembered per process for
    BASIC_AUTH_CACHE_SECONDS under an HMAC of the pair (never the password
    itself), and counts only while the user is active and their stored
    password hash is unchanged: a new password or a deactivation takes effect
    at once, in every process. Failures are not remembered.
    """

    def authenticate_credentials(self, userid: str, password: str, request=None):
        if "\x00" in userid or "\x00" in password:
            # No account has one, and the user lookup would hand it to SQL.
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        digest = hmac.new(
            settings.SECRET_KEY.encode(), f"{userid}\0{password}".encode(), hashlib.sha256
        ).digest()
        hit, remembered = basic_auth_cache.get(digest)
        if hit:
            user_id, password_hash = remembered
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if user is not None and hmac.compare_digest(user.password, password_hash):
                return user, None
        user, auth = super().authenticate_credentials(userid, password, request)
        basic_auth_cache.set(digest, (user.pk, user.password), settings.BASIC_AUTH_CACHE_SECONDS)
        return user, auth
