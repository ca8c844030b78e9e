"""A NUL (U+0000) reaches no SQL from any part of a request: path, query
string, header, body or HTTP Basic credentials. Each is a 400 (401 for
credentials) that names where it was, never a 500."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from conversations.models import ConversationLog
from stats.models import TaskReport

pytestmark = pytest.mark.django_db
API = "/api/v1/robeings/rb8001"


def nul_error(response) -> dict:
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["code"] == "nul_character"
    assert "NUL" in error["message"]
    return error


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/conversations/", "channel_id=C1%00", "channel_id"),
        ("/conversations/", "intent=%00", "intent"),
        ("/context/", "channel_id=C1&thread_ts=1.2%00", "thread_ts"),
        ("/conversations/", "sin%00ce=x", "since"),
    ],
)
def test_a_nul_in_a_query_string_is_a_400_naming_the_parameter(bot_client, path, query, field):
    response = bot_client.get(f"{API}{path}?{query}")

    assert nul_error(response)["field"] == field


def test_a_nul_in_the_path_is_a_400(bot_client):
    assert nul_error(bot_client.get(f"{API}%00/conversations/"))["field"] == "path"


def test_a_nul_in_a_header_is_a_400_naming_the_header(bot_client):
    response = bot_client.get(f"{API}/conversations/", HTTP_X_SLACK_RETRY_NUM="1\x00")

    assert nul_error(response)["field"] == "x-slack-retry-num"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/tasks/", {"task_id": "T\x00", "task_type": "email", "difficulty": 1,
                     "outcome": "success"}, "task_id"),
        ("/tasks/", {"task_id": "T1", "task_type": "em\x00ail", "difficulty": 1,
                     "outcome": "success"}, "task_type"),
        ("/conversations/", {"message": "안녕", "metadata": {"k\x00": 1}}, "metadata.k\x00"),
        ("/conversations/batch/", {"turns": [{"message": "a"}, {"message": "b\x00"}]},
         "turns[1].message"),
    ],
)  # fmt: skip
def test_a_nul_in_any_string_of_a_body_is_a_400_naming_the_field(bot_client, url, body, field):
    response = bot_client.post(f"{API}{url}", body, format="json")

    assert nul_error(response)["field"] == field
    assert not ConversationLog.objects.exists()
    assert not TaskReport.objects.exists()


def test_a_nul_in_a_settings_value_is_a_400(bot_client):
    response = bot_client.patch(
        f"{API}/settings/user_preference/", {"response_style": "casual\x00"}, format="json"
    )

    assert nul_error(response)["field"] == "response_style"


def test_text_that_only_looks_like_an_escaped_nul_is_stored(bot_client):
    response = bot_client.post(
        f"{API}/conversations/", {"message": "경로 C:\\u0000 문자열"}, format="json"
    )

    assert response.status_code == 201
    assert ConversationLog.objects.get().message == "경로 C:\\u0000 문자열"


@pytest.mark.parametrize(("user", "password"), [("a\x00@example.com", "x"), ("a@x.io", "p\x00")])
def test_a_nul_in_http_basic_credentials_is_a_401_not_a_500(user, password):
    UserFactory(email="a@x.io", is_staff=True)
    client = APIClient()
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")

    response = client.get("/api/v1/privacy/erasure-requests/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_nul_in_an_admin_query_string_is_a_plain_400(client, superuser):
    client.force_login(superuser)

    response = client.get("/admin/conversations/conversationlog/?q=%00")

    assert response.status_code == 400
    assert "must not contain NUL" in response.content.decode()
