from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import User
from accounts.selectors import RobeingPrincipal, api_key_principal, basic_auth_cache
from core.errors import RateLimited

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
        try:
            user, auth = super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            # django-axes (the first backend) refused before any hashing.
            if getattr(request, "axes_locked_out", False):
                raise _locked_out() from None
            raise
        basic_auth_cache.set(digest, (user.pk, user.password), settings.BASIC_AUTH_CACHE_SECONDS)
        return user, auth


def _locked_out() -> RateLimited:
    wait = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return RateLimited(
        "Too many failed logins for this account or from this address; "
        f"locked for {wait // 60} minutes from the last attempt.",
        retry_after=wait,
    )


def login_name(request, credentials: dict | None) -> str | None:
    """The account django-axes counts failures against (AXES_USERNAME_CALLABLE):
    the email of a staff script's HTTP Basic pair, or the admin form's username."""
    credentials = credentials or {}
    name = credentials.get(User.USERNAME_FIELD) or credentials.get("username")
    if name is None and request is not None and hasattr(request, "POST"):
        name = request.POST.get("username")
    return name.strip().lower() if isinstance(name, str) else None


def lockout_page(request, original_response=None, credentials=None):
    """The admin's answer to a locked-out login (AXES_LOCKOUT_CALLABLE): the
    console's own page, in the operator's language, 429 with Retry-After."""
    from django.contrib import admin
    from django.template.response import TemplateResponse

    wait = int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {
        **admin.site.each_context(request),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": wait // 60,
    }
    response = TemplateResponse(request, "admin/lockout.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response.render()
