"""Teaches drf-spectacular our API key scheme (imported by AccountsConfig.ready)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class RobeingApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.RobeingApiKeyAuthentication"
    name = "RobeingApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Api-Key <key>`; create one with `manage.py robeing_key create <robeing_id>`."
            ),
        }


class StaffBasicScheme(OpenApiAuthenticationExtension):
    # The same HTTP Basic scheme as DRF's own class, documented under the
    # name drf-spectacular gives that one.
    target_class = "accounts.authentication.StaffBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "A staff user's e-mail and password, over HTTPS (scripts, BI tools).",
        }
