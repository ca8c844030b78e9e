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
