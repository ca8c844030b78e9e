"""The base of staff-only API views (privacy requests, analytics)."""

from __future__ import annotations

from rest_framework.authentication import SessionAuthentication

from accounts.authentication import RobeingApiKeyAuthentication, StaffBasicAuthentication
from accounts.permissions import IsStaff
from core.api import BaseAPIView


class StaffAPIView(BaseAPIView):
    # Staff scripts authenticate with HTTP Basic (over HTTPS), the browser with
    # its admin session. A bot's key is recognised only to be refused (403).
    authentication_classes = [
        StaffBasicAuthentication,
        SessionAuthentication,
        RobeingApiKeyAuthentication,
    ]
    permission_classes = [IsStaff]
    max_body_setting = "API_MAX_TURN_BODY_BYTES"
