"""Every response names its request id; a proxy's id is used only when trusted."""

from __future__ import annotations

import re
import uuid

import pytest

pytestmark = pytest.mark.django_db
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_every_response_carries_a_new_request_id(client):
    first = client.get("/api/v1/nowhere/")["X-Request-ID"]
    second = client.get("/admin/login/")["X-Request-ID"]

    assert UUID.fullmatch(first) and UUID.fullmatch(second)
    assert first != second


def test_a_clients_own_request_id_is_ignored_without_a_trusted_proxy(client):
    response = client.get("/admin/login/", HTTP_X_REQUEST_ID="i-made-this-up")

    assert response["X-Request-ID"] != "i-made-this-up"


def test_a_trusted_proxys_request_id_is_kept(client, settings):
    settings.DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
    proxy_id = f"lb-{uuid.uuid4().hex}"

    assert client.get("/admin/login/", HTTP_X_REQUEST_ID=proxy_id)["X-Request-ID"] == proxy_id


def test_a_trusted_proxys_id_that_is_not_an_id_is_replaced(client, settings):
    settings.DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True

    for bad in ("x" * 129, "two words", "<script>"):
        response = client.get("/admin/login/", HTTP_X_REQUEST_ID=bad)
        assert UUID.fullmatch(response["X-Request-ID"]), bad
