"""API clients as staff scripts call."""

from __future__ import annotations

import base64

from rest_framework.test import APIClient


def basic_client(email: str, password: str, address: str = "127.0.0.1") -> APIClient:
    """A staff script calling with HTTP Basic from `address`."""
    client = APIClient(REMOTE_ADDR=address)
    token = base64.b64encode(f"{email}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client
