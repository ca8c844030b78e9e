"""POST /api/v1/robeings/{robeing_id}/conversations/ — logging one turn."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from conversations.models import ConversationLog

URL = "/api/v1/robeings/rb8001/conversations/"
pytestmark = pytest.mark.django_db


def a_turn(**overrides) -> dict:
    turn = {
        "message": "내일 오전 회의 일정 알려줘",
        "response": "내일 오전 10시에 주간 회의가 있습니다.",
        "channel_id": "C0123ABCD",
        "channel_type": "channel",
        "thread_ts": "1724041200.123456",
        "intent": "schedule",
        "confidence": 0.92,
        "slack_user_id": "U024BE7LH",
        "event_id": "Ev0123ABCD",
        "metadata": {"slack_ts": "1724041260.000200"},
    }
    turn.update(overrides)
    return turn


def test_it_stores_a_turn_and_returns_the_stored_row(bot_client):
    response = bot_client.post(URL, a_turn(), format="json")

    assert response.status_code == 201
    body = response.json()
    stored = ConversationLog.objects.get()
    assert body["id"] == stored.id
    assert body["robeing_id"] == "rb8001"
    assert body["message"] == "내일 오전 회의 일정 알려줘"
    assert body["thread_ts"] == "1724041200.123456"
    assert body["confidence"] == 0.92
    assert body["event_id"] == "Ev0123ABCD"
    assert body["metadata"] == {"slack_ts": "1724041260.000200"}
    assert stored.intent == "schedule"


def test_it_defaults_the_timestamp_to_now(bot_client):
    before = timezone.now()
    response = bot_client.post(URL, a_turn(event_id=None), format="json")

    stored = ConversationLog.objects.get(id=response.json()["id"])
    assert before <= stored.timestamp <= timezone.now()


def test_it_keeps_the_time_the_bot_reports_with_its_offset(bot_client):
    response = bot_client.post(URL, a_turn(timestamp="2025-08-18T09:30:00+09:00"), format="json")

    assert response.status_code == 201
    assert response.json()["timestamp"] == "2025-08-18T00:30:00Z"


def test_it_returns_the_original_row_when_slack_retries_an_event(bot_client):
    first = bot_client.post(URL, a_turn(), format="json")
    retry = bot_client.post(URL, a_turn(message="재시도된 메시지"), format="json")

    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert ConversationLog.objects.count() == 1


@pytest.mark.postgresql
def test_a_slack_retry_costs_the_insert_and_one_read_of_the_original(bot_client):
    first = bot_client.post(URL, a_turn(), format="json")
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        retry = bot_client.post(URL, a_turn(message="재시도된 메시지"), format="json")

    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert [sql.split()[0] for sql in statements] == ["INSERT", "SELECT"], statements


def test_the_same_event_id_in_two_robeings_is_two_turns(bot_client, other_bot_client):
    bot_client.post(URL, a_turn(), format="json")
    other = other_bot_client.post(
        "/api/v1/robeings/rb10508/conversations/", a_turn(), format="json"
    )

    assert other.status_code == 201
    assert ConversationLog.objects.count() == 2


def test_it_stores_turns_without_event_id_every_time(bot_client):
    bot_client.post(URL, a_turn(event_id=None), format="json")
    bot_client.post(URL, a_turn(event_id=None), format="json")

    assert ConversationLog.objects.count() == 2


def test_it_resolves_a_known_slack_user_to_the_user(bot_client):
    person = UserFactory(slack_user_id="U024BE7LH")

    response = bot_client.post(URL, a_turn(), format="json")

    assert response.json()["user_id"] == str(person.id)
    assert response.json()["slack_user_id"] == "U024BE7LH"


def test_it_keeps_an_unknown_slack_user_id_alone(bot_client):
    response = bot_client.post(URL, a_turn(slack_user_id="U0UNKNOWN"), format="json")

    assert response.json()["user_id"] is None
    assert response.json()["slack_user_id"] == "U0UNKNOWN"


def test_it_does_not_guess_between_two_users_with_the_same_slack_id(bot_client):
    UserFactory(slack_user_id="U024BE7LH")
    UserFactory(slack_user_id="U024BE7LH")  # same id in another workspace

    response = bot_client.post(URL, a_turn(), format="json")

    assert response.json()["user_id"] is None


def test_it_sees_a_slack_id_given_to_a_user_after_a_miss(bot_client):
    bot_client.post(URL, a_turn(event_id="e1"), format="json")
    person = account_services.user_set_slack_user_id(user=UserFactory(), slack_user_id="U024BE7LH")

    response = bot_client.post(URL, a_turn(event_id="e2"), format="json")

    assert response.json()["user_id"] == str(person.id)


def test_it_links_a_given_user_id(bot_client):
    person = UserFactory()

    response = bot_client.post(URL, a_turn(user_id=str(person.id)), format="json")

    assert response.status_code == 201
    assert response.json()["user_id"] == str(person.id)


def test_it_masks_personal_data_before_storing_it(bot_client):
    turn = a_turn(
        message="제 번호는 010-1234-5678이고 메일은 hong@naver.com 입니다.",
        response="확인했습니다. 토큰 xoxb-123456789012-abcdefghijkl 는 공유하지 마세요.",
    )

    response = bot_client.post(URL, turn, format="json")

    stored = ConversationLog.objects.get()
    assert stored.message == "제 번호는 [PHONE]이고 메일은 [EMAIL] 입니다."
    assert "xoxb-" not in stored.response
    assert "[SECRET]" in stored.response
    assert stored.metadata["pii_masked"] == {"phone": 1, "email": 1, "secret": 1}
    assert response.json()["message"] == stored.message


def test_it_does_not_let_a_bot_forge_the_masking_record(bot_client):
    turn = a_turn(message="평범한 메시지", metadata={"pii_masked": {"email": 99}})

    bot_client.post(URL, turn, format="json")

    assert "pii_masked" not in ConversationLog.objects.get().metadata


def test_it_rejects_another_robeings_key(other_bot_client):
    response = other_bot_client.post(URL, a_turn(), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not ConversationLog.objects.exists()


def test_it_asks_for_a_key_when_there_is_none(robeing, client):
    response = client.post(URL, a_turn(), content_type="application/json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["code"] == "not_authenticated"


def test_it_rejects_a_wrong_key(robeing, client):
    response = client.post(
        URL, a_turn(), content_type="application/json", HTTP_AUTHORIZATION="Api-Key abc.def"
    )

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_it_rejects_a_revoked_key_at_once(bot_client, api_key):
    assert bot_client.post(URL, a_turn(event_id="e1"), format="json").status_code == 201

    account_services.api_key_revoke(prefix=api_key.partition(".")[0])

    assert bot_client.post(URL, a_turn(event_id="e2"), format="json").status_code == 401


def test_it_rejects_the_key_of_a_deactivated_robeing(bot_client, robeing):
    account_services.robeing_set_active(robeing_id=robeing.robeing_id, is_active=False)

    assert bot_client.post(URL, a_turn(), format="json").status_code == 401


def test_staff_can_log_a_turn_for_a_robeing(staff_client, robeing):
    response = staff_client.post(URL, a_turn(), format="json")

    assert response.status_code == 201


def test_staff_get_404_for_an_unknown_robeing(staff_client):
    response = staff_client.post("/api/v1/robeings/rb404/conversations/", a_turn(), format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "robeing_not_found"


def test_a_non_staff_user_gets_403(client, robeing):
    client.force_login(UserFactory(is_staff=False))

    response = client.post(URL, a_turn(), content_type="application/json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"message": 42}, "message"),
        ({"message": ["hi"]}, "message"),
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": -0.1}, "confidence"),
        ({"confidence": "0.5"}, "confidence"),
        ({"user_id": "not-a-uuid"}, "user_id"),
        ({"user_id": str(uuid.uuid4())}, "user_id"),
        ({"message": "x" * 40_001}, "message"),
        ({"response": "가" * 40_001}, "response"),
        ({"message": "nul\x00byte"}, "message"),
        ({"metadata": {"note": "nul\x00"}}, "metadata.note"),  # the parser names the key
        ({"metadata": {"blob": "x" * 20_000}}, "metadata"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
        ({"timestamp": "2999-01-01T00:00:00Z"}, "timestamp"),
        ({"timestamp": "2025-08-18T09:30:00"}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"channel_type": "voice"}, "channel_type"),
        ({"event_id": ""}, "event_id"),
        ({"slack_user_id": "U" * 101}, "slack_user_id"),
        ({"unexpected": "field"}, "unexpected"),
        ({"message": "", "response": ""}, "non_field_errors"),
    ],
)
def test_it_rejects_bad_input_naming_the_field(bot_client, overrides, field):
    response = bot_client.post(URL, a_turn(**overrides), format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in [error["field"] for error in body["errors"]]
    assert not ConversationLog.objects.exists()


def test_it_rejects_a_message_missing(bot_client):
    turn = a_turn()
    del turn["message"]

    response = bot_client.post(URL, turn, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "message"


@pytest.mark.parametrize(
    "raw_body",
    [b"{not json", b'{"message": "hi", "confidence": NaN}', b"", b"[1, 2]", b'"text"', b"\xff\xfe"],
)
def test_it_answers_malformed_json_with_400(bot_client, raw_body):
    response = bot_client.generic("POST", URL, raw_body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] in {"malformed_json", "validation_error"}
    assert not ConversationLog.objects.exists()


def test_it_answers_a_form_post_with_415(bot_client):
    response = bot_client.post(URL, {"message": "hi"})

    assert response.status_code == 415


@override_settings(API_MAX_TURN_BODY_BYTES=1024)
def test_it_refuses_an_oversized_body_with_413(bot_client):
    response = bot_client.post(URL, a_turn(message="가" * 2000), format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not ConversationLog.objects.exists()


def test_it_accepts_a_turn_just_inside_every_limit(bot_client):
    turn = a_turn(
        message="가" * 40_000,
        response="a" * 40_000,
        confidence=1,
        timestamp=(timezone.now() + dt.timedelta(seconds=60)).isoformat(),
        metadata={"blob": "x" * 16_000},
    )

    response = bot_client.post(URL, turn, format="json")

    assert response.status_code == 201, response.content
    assert len(ConversationLog.objects.get().message) == 40_000
