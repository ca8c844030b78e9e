"""Settings through the API: defaults, merge patches, validation, ETags, reset, history."""

from __future__ import annotations

import pytest

from settings_app.models import RobeingSettings, SettingsChange

pytestmark = pytest.mark.django_db
BASE = "/api/v1/robeings/rb8001/settings/"


def patch(committing_bot, category: str, body: dict, **headers):
    return committing_bot.patch(f"{BASE}{category}/", body, format="json", **headers)


def test_a_new_robeing_reads_the_schema_defaults(committing_bot):
    response = committing_bot.get(BASE)

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 0
    assert body["user_preference"] == {
        "response_style": "formal",
        "response_length": "normal",
        "language": "ko",
        "timezone": "Asia/Seoul",
    }
    assert body["system_settings"]["pii_masking"] is True
    assert body["skill_settings"]["news"] == {
        "enabled": True,
        "categories": ["tech", "business"],
        "summary_length": 3,
    }
    assert response["ETag"] == '"0"'


def test_a_patch_merges_into_the_category_and_bumps_the_version(committing_bot):
    response = patch(committing_bot, "user_preference", {"response_style": "casual"})

    assert response.status_code == 200
    assert response.json()["values"]["response_style"] == "casual"
    assert response.json()["values"]["response_length"] == "normal"  # untouched
    assert response["ETag"] == '"1"'
    assert committing_bot.get(f"{BASE}user_preference/response_style/").json()["value"] == "casual"


def test_only_values_that_differ_from_defaults_are_stored(committing_bot):
    patch(committing_bot, "skill_settings", {"email": {"auto_reply": True}})

    stored = RobeingSettings.objects.get(robeing_id="rb8001")
    assert stored.skill_settings == {"email": {"auto_reply": True}}
    values = committing_bot.get(f"{BASE}skill_settings/").json()["values"]
    assert values["email"] == {"enabled": True, "check_interval": 300, "auto_reply": True}


def test_null_in_a_patch_resets_a_key_to_its_default(committing_bot):
    patch(committing_bot, "system_settings", {"max_memory_size": 50})

    response = patch(committing_bot, "system_settings", {"max_memory_size": None})

    assert response.json()["values"]["max_memory_size"] == 1000


@pytest.mark.parametrize(
    ("category", "body", "path"),
    [
        ("user_preference", {"response_style": "rude"}, "response_style"),
        ("user_preference", {"timezone": "Mars/Olympus"}, "timezone"),
        ("user_preference", {"nickname": "x"}, "nickname"),
        ("system_settings", {"max_memory_size": "10"}, "max_memory_size"),
        ("system_settings", {"max_memory_size": 0}, "max_memory_size"),
        ("system_settings", {"debug_mode": "yes"}, "debug_mode"),
        ("skill_settings", {"email": {"check_interval": 1}}, "email.check_interval"),
        ("skill_settings", {"email": {"bogus": True}}, "email.bogus"),
        ("skill_settings", {"weather": {"enabled": True}}, "weather"),
    ],
)
def test_a_bad_patch_names_the_path_and_changes_nothing(committing_bot, category, body, path):
    response = patch(committing_bot, category, body)

    assert response.status_code == 400
    assert path in [e["field"] for e in response.json()["errors"]]
    assert committing_bot.get(BASE).json()["version"] == 0
    assert not SettingsChange.objects.exists()


def test_a_patch_is_all_or_nothing(committing_bot):
    response = patch(
        committing_bot, "user_preference", {"response_style": "casual", "language": "Korean!"}
    )

    assert response.status_code == 400
    assert (
        committing_bot.get(f"{BASE}user_preference/").json()["values"]["response_style"] == "formal"
    )


def test_an_unknown_category_is_404(committing_bot):
    assert committing_bot.get(f"{BASE}moods/").status_code == 404
    assert patch(committing_bot, "moods", {"x": 1}).status_code == 404


def test_a_stale_if_match_gets_412_and_writes_nothing(committing_bot):
    first = committing_bot.get(BASE)["ETag"]
    patch(committing_bot, "user_preference", {"response_style": "casual"}, HTTP_IF_MATCH=first)

    stale = patch(
        committing_bot, "user_preference", {"response_style": "friendly"}, HTTP_IF_MATCH=first
    )

    assert stale.status_code == 412
    assert (
        committing_bot.get(f"{BASE}user_preference/").json()["values"]["response_style"] == "casual"
    )


def test_a_current_if_match_is_accepted(committing_bot):
    etag = committing_bot.get(BASE)["ETag"]

    response = patch(
        committing_bot, "user_preference", {"response_style": "casual"}, HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200


def test_a_merge_patch_content_type_is_accepted(committing_bot):
    response = committing_bot.generic(
        "PATCH",
        f"{BASE}user_preference/",
        b'{"response_length": "brief"}',
        content_type="application/merge-patch+json",
    )

    assert response.status_code == 200
    assert response.json()["values"]["response_length"] == "brief"


def test_reset_one_key_or_the_whole_category(committing_bot):
    patch(committing_bot, "user_preference", {"response_style": "casual", "language": "en"})

    one = committing_bot.post(
        f"{BASE}user_preference/reset/", {"key": "language"}, format="json"
    ).json()
    assert (one["values"]["language"], one["values"]["response_style"]) == ("ko", "casual")

    whole = committing_bot.post(f"{BASE}user_preference/reset/", {}, format="json").json()
    assert whole["values"]["response_style"] == "formal"


def test_resetting_an_unknown_key_is_400(committing_bot):
    response = committing_bot.post(
        f"{BASE}user_preference/reset/", {"key": "nickname"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "key"


def test_history_records_who_changed_what(committing_bot, api_key, staff_client, staff_user):
    patch(
        committing_bot, "system_settings", {"max_memory_size": 50, "debug_mode": False}
    )  # debug unchanged
    staff_client.patch(f"{BASE}user_preference/", {"timezone": "America/New_York"}, format="json")

    rows = committing_bot.get(f"{BASE}history/").json()["results"]

    assert [(r["category"], r["key"], r["old_value"], r["new_value"]) for r in rows] == [
        ("user_preference", "timezone", "Asia/Seoul", "America/New_York"),
        ("system_settings", "max_memory_size", 1000, 50),
    ]
    assert rows[0]["changed_by"] == str(staff_user)
    assert rows[1]["changed_by"] == f"api key {api_key.partition('.')[0]}"


def test_history_shows_local_times_in_the_robeings_zone(committing_bot):
    patch(committing_bot, "user_preference", {"timezone": "America/New_York"})

    row = committing_bot.get(f"{BASE}history/").json()["results"][0]

    assert row["local_changed_at"].endswith(("-05:00", "-04:00"))


@pytest.mark.parametrize("url", ["", "user_preference/", "user_preference/language/", "history/"])
def test_reads_reject_another_robeings_key(other_bot_client, url):
    assert other_bot_client.get(f"{BASE}{url}").status_code == 403


def test_writes_reject_another_robeings_key(other_bot_client):
    response = other_bot_client.patch(f"{BASE}user_preference/", {"language": "en"}, format="json")

    assert response.status_code == 403


def test_reads_need_a_key(client, robeing):
    assert client.get(BASE).status_code == 401


@pytest.mark.parametrize(
    "path", ["", "user_preference/", "user_preference/language/"], ids=["all", "category", "key"]
)
def test_a_client_holding_the_current_etag_gets_304_with_no_body(committing_bot, path):
    etag = committing_bot.get(f"{BASE}{path}")["ETag"]

    response = committing_bot.get(f"{BASE}{path}", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_after_a_change_the_old_etag_gets_the_new_settings(committing_bot):
    old = committing_bot.get(f"{BASE}user_preference/")["ETag"]
    patch(committing_bot, "user_preference", {"language": "en"})

    response = committing_bot.get(f"{BASE}user_preference/", HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response.json()["values"]["language"] == "en"
    assert response["ETag"] != old


def test_if_none_match_takes_a_list_weak_tags_bare_versions_and_a_star(committing_bot):
    for header in ('"7", W/"0"', "0", "*"):
        assert committing_bot.get(BASE, HTTP_IF_NONE_MATCH=header).status_code == 304, header
    assert committing_bot.get(BASE, HTTP_IF_NONE_MATCH='"7", "8"').status_code == 200


@pytest.mark.parametrize("header", ["banana", '"1", nope', ", ".join(['"1"'] * 21)])
def test_a_malformed_if_none_match_is_refused_naming_the_header(committing_bot, header):
    response = committing_bot.get(BASE, HTTP_IF_NONE_MATCH=header)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "If-None-Match"


def test_an_unknown_key_is_404_whatever_etag_is_held(committing_bot):
    response = committing_bot.get(f"{BASE}user_preference/nope/", HTTP_IF_NONE_MATCH='"0"')

    assert response.status_code == 404
