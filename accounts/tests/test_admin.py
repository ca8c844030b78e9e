"""Operators manage robeings and their API keys in the admin."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from accounts.models import Robeing, RobeingAPIKey
from accounts.tests.factories import UserFactory
from conversations.models import ConversationLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_an_operator_registers_a_robeing(admin_client):
    response = admin_client.post(
        "/admin/accounts/robeing/add/",
        {
            "robeing_id": "rb20001",
            "name": "새 로빙",
            "is_active": "on",
            "api_keys-TOTAL_FORMS": 0,
            "api_keys-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302
    assert Robeing.objects.get(robeing_id="rb20001").name == "새 로빙"


def test_the_admin_refuses_an_invalid_robeing_id(admin_client):
    response = admin_client.post(
        "/admin/accounts/robeing/add/",
        {"robeing_id": "RB 1", "name": "x", "api_keys-TOTAL_FORMS": 0, "api_keys-INITIAL_FORMS": 0},
    )

    assert response.status_code == 200
    assert not Robeing.objects.exists()


def test_a_key_created_in_the_admin_is_shown_once_and_works(admin_client, robeing):
    response = admin_client.post(
        "/admin/accounts/robeingapikey/add/",
        {"name": "slack-bot", "robeing": robeing.robeing_id},
        follow=True,
    )

    shown = [str(m) for m in response.context["messages"]]
    key = re.search(r"([A-Za-z0-9]{8}\.[A-Za-z0-9]+)", shown[0]).group(1)
    bot = APIClient()
    bot.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert bot.get("/api/v1/robeings/rb8001/conversations/").status_code == 200
    assert key not in admin_client.get("/admin/accounts/robeingapikey/").content.decode()


def test_revoking_a_key_in_the_admin_locks_the_bot_out(admin_client, bot_client, api_key):
    assert bot_client.get("/api/v1/robeings/rb8001/conversations/").status_code == 200
    stored = RobeingAPIKey.objects.get()

    admin_client.post(
        "/admin/accounts/robeingapikey/",
        {"action": "revoke_keys", "_selected_action": [stored.pk]},
    )

    assert RobeingAPIKey.objects.get().revoked
    assert bot_client.get("/api/v1/robeings/rb8001/conversations/").status_code == 401


def test_the_robeing_page_lists_its_keys_without_secrets(admin_client, robeing, api_key):
    page = admin_client.get(f"/admin/accounts/robeing/{robeing.pk}/change/").content.decode()

    assert api_key.partition(".")[0] in page
    assert api_key.partition(".")[2] not in page


def test_deactivating_a_robeing_in_the_admin_stops_its_keys_at_once(
    admin_client, robeing, bot_client
):
    assert bot_client.get("/api/v1/robeings/rb8001/stats/").status_code == 200  # key now cached

    response = admin_client.post(
        f"/admin/accounts/robeing/{robeing.pk}/change/",
        {"name": robeing.name, "api_keys-TOTAL_FORMS": 1, "api_keys-INITIAL_FORMS": 1,
         "api_keys-0-id": RobeingAPIKey.objects.get(robeing=robeing).pk,
         "api_keys-0-robeing": robeing.pk},
    )  # fmt: skip

    assert response.status_code == 302
    assert bot_client.get("/api/v1/robeings/rb8001/stats/").status_code == 401


def test_a_slack_id_given_in_the_admin_links_the_next_turns_at_once(admin_client, bot_client):
    person = UserFactory(email="minji@example.com", slack_user_id=None)
    turns = "/api/v1/robeings/rb8001/conversations/"
    bot_client.post(
        turns, {"message": "전", "slack_user_id": "U0MINJI"}, format="json"
    )  # cached miss

    response = admin_client.post(
        f"/admin/accounts/user/{person.pk}/change/",
        {"email": person.email, "display_name": "민지", "slack_user_id": "U0MINJI",
         "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
    )  # fmt: skip
    bot_client.post(turns, {"message": "후", "slack_user_id": "U0MINJI"}, format="json")

    assert response.status_code == 302
    assert ConversationLog.objects.get(message="후").user_id == person.id


def test_api_key_columns_and_fields_are_named_in_the_operators_language(admin_client, api_key):
    korean = admin_client.get("/admin/accounts/robeingapikey/").content.decode()
    english = admin_client.get(
        "/admin/accounts/robeingapikey/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    form = admin_client.get("/admin/accounts/robeingapikey/add/").content.decode()

    for label in ("접두어", "만료 시각", "폐기됨", "만료됨", "폐기됨 기준"):
        assert label in korean, label
    for label in ("Prefix", "Expires", "Revoked", "Expired"):
        assert label in english, label
    assert "폐기한 키는 곧바로 쓸 수 없게 되며, 되돌릴 수 없습니다." in form
    assert "If the API key is revoked" not in form


def test_permissions_are_listed_in_the_operators_language(admin_client, superuser):
    korean = admin_client.get(f"/admin/accounts/user/{superuser.pk}/change/").content.decode()
    english = admin_client.get("/admin/auth/group/add/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "계정과 로빙 | 로빙 | 로빙 추가 가능" in korean
    assert "Can add robeing" not in korean
    assert "Accounts and robeings | robeing | Can add robeing" in english


def test_a_new_keys_message_is_in_korean_and_holds_the_key(admin_client, robeing):
    response = admin_client.post(
        "/admin/accounts/robeingapikey/add/",
        {"name": "slack-bot", "robeing": robeing.robeing_id},
        follow=True,
    )

    shown = str(list(response.context["messages"])[0])
    assert shown.startswith("slack-bot의 API 키: ") and "다시 볼 수 없습니다." in shown
