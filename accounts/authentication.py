from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.selectors import RobeingPrincipal, api_key_principal

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
