from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Robeing, RobeingAPIKey

pytestmark = pytest.mark.django_db
URL = "/api/v1/robeings/rb8001/conversations/"


def create_key(robeing_id: str) -> str:
    out = io.StringIO()
    call_command("robeing_key", "create", robeing_id, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_the_command_registers_the_robeing_and_prints_a_working_key():
    key = create_key("rb8001")

    assert Robeing.objects.filter(robeing_id="rb8001").exists()
    assert client_with(key).get(URL).status_code == 200


def test_a_key_is_stored_only_as_a_hash():
    key = create_key("rb8001")

    stored = RobeingAPIKey.objects.get()
    assert key not in stored.hashed_key
    assert key.partition(".")[2] not in stored.id


def test_the_command_revokes_a_key_by_its_prefix():
    key = create_key("rb8001")
    out = io.StringIO()

    call_command("robeing_key", "revoke", key.partition(".")[0], stdout=out)

    assert "Revoked" in out.getvalue()
    assert client_with(key).get(URL).status_code == 401


def test_the_command_refuses_an_invalid_robeing_id():
    with pytest.raises(CommandError, match="robeing_id"):
        create_key("RB 8001!")
    assert not Robeing.objects.exists()


def test_revoking_an_unknown_prefix_is_an_error():
    with pytest.raises(CommandError, match="No API key"):
        call_command("robeing_key", "revoke", "nope1234")


def test_a_key_for_one_robeing_cannot_read_another():
    key = create_key("rb8001")
    create_key("rb10508")

    response = client_with(key).get("/api/v1/robeings/rb10508/conversations/")

    assert response.status_code == 403
