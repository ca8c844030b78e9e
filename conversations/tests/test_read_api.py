"""History and context: GET .../conversations/ and GET .../context/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conversations.schemas import TurnOut
from conversations.tests.factories import ConversationLogFactory

HISTORY = "/api/v1/robeings/rb8001/conversations/"
CONTEXT = "/api/v1/robeings/rb8001/context/"
pytestmark = pytest.mark.django_db
T0 = timezone.now() - dt.timedelta(days=1)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_history_lists_turns_newest_first(bot_client, robeing):
    old = ConversationLogFactory(robeing=robeing, timestamp=at(1))
    new = ConversationLogFactory(robeing=robeing, timestamp=at(2))

    body = bot_client.get(HISTORY).json()

    assert [t["id"] for t in body["results"]] == [new.id, old.id]


def test_history_pages_with_a_cursor_without_gaps_or_repeats(bot_client, robeing):
    rows = [ConversationLogFactory(robeing=robeing, timestamp=at(i)) for i in range(5)]

    first = bot_client.get(HISTORY, {"page_size": 2}).json()
    second = bot_client.get(first["next"]).json()
    third = bot_client.get(second["next"]).json()

    seen = [t["id"] for page in (first, second, third) for t in page["results"]]
    assert seen == [row.id for row in reversed(rows)]
    assert third["next"] is None


def test_history_shows_only_the_robeings_own_turns(bot_client, robeing, other_robeing):
    ConversationLogFactory(robeing=other_robeing)
    mine = ConversationLogFactory(robeing=robeing)

    body = bot_client.get(HISTORY).json()

    assert [t["id"] for t in body["results"]] == [mine.id]


@pytest.mark.parametrize(
    ("param", "value", "field"),
    [
        ("slack_user_id", "U0TARGET", "slack_user_id"),
        ("channel_id", "C0TARGET", "channel_id"),
        ("thread_ts", "1724041200.000100", "thread_ts"),
        ("intent", "email", "intent"),
    ],
)
def test_history_filters_by_a_field(bot_client, robeing, param, value, field):
    ConversationLogFactory(robeing=robeing)
    target = ConversationLogFactory(robeing=robeing, **{field: value})

    body = bot_client.get(HISTORY, {param: value}).json()

    assert [t["id"] for t in body["results"]] == [target.id]


def test_history_filters_by_user(bot_client, robeing):
    person = UserFactory()
    ConversationLogFactory(robeing=robeing)
    target = ConversationLogFactory(robeing=robeing, user=person)

    body = bot_client.get(HISTORY, {"user_id": str(person.id)}).json()

    assert [t["id"] for t in body["results"]] == [target.id]


def test_history_filters_by_time_window(bot_client, robeing):
    ConversationLogFactory(robeing=robeing, timestamp=at(0))
    inside = ConversationLogFactory(robeing=robeing, timestamp=at(10))
    ConversationLogFactory(robeing=robeing, timestamp=at(20))

    body = bot_client.get(HISTORY, {"since": at(5).isoformat(), "until": at(15).isoformat()}).json()

    assert [t["id"] for t in body["results"]] == [inside.id]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"user_id": "nope"}, "user_id"),
        ({"since": "last week"}, "since"),
        ({"since": "2025-08-18T00:00:00"}, "since"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "500"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
        ({"chanel_id": "C1"}, "chanel_id"),
    ],
)
def test_history_rejects_bad_query_parameters(bot_client, robeing, params, field):
    response = bot_client.get(HISTORY, params)

    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]


def test_history_rejects_another_robeings_key(other_bot_client):
    assert other_bot_client.get(HISTORY).status_code == 403


def test_history_asks_for_a_key(client, robeing):
    assert client.get(HISTORY).status_code == 401


def test_staff_read_any_robeings_history(staff_client, robeing):
    turn = ConversationLogFactory(robeing=robeing)

    body = staff_client.get(HISTORY).json()

    assert [t["id"] for t in body["results"]] == [turn.id]


def test_context_returns_the_last_turns_of_a_thread_oldest_first(bot_client, robeing):
    thread = {"robeing": robeing, "channel_id": "C1", "thread_ts": "1724041200.000100"}
    rows = [ConversationLogFactory(timestamp=at(i), **thread) for i in range(25)]
    ConversationLogFactory(robeing=robeing, channel_id="C1", thread_ts="", timestamp=at(99))

    body = bot_client.get(CONTEXT, {"channel_id": "C1", "thread_ts": "1724041200.000100"}).json()

    assert body["limit"] == 20
    assert [t["id"] for t in body["turns"]] == [row.id for row in rows[-20:]]


def test_context_outside_a_thread_uses_the_channels_unthreaded_turns(bot_client, robeing):
    ConversationLogFactory(robeing=robeing, channel_id="D1", thread_ts="1724041200.000100")
    plain = ConversationLogFactory(robeing=robeing, channel_id="D1", thread_ts="")

    body = bot_client.get(CONTEXT, {"channel_id": "D1"}).json()

    assert [t["id"] for t in body["turns"]] == [plain.id]


def test_context_honours_a_smaller_limit(bot_client, robeing):
    rows = [
        ConversationLogFactory(robeing=robeing, channel_id="C1", timestamp=at(i)) for i in range(5)
    ]

    body = bot_client.get(CONTEXT, {"channel_id": "C1", "limit": 2}).json()

    assert [t["id"] for t in body["turns"]] == [rows[3].id, rows[4].id]


def test_context_never_shows_another_robeings_turns(bot_client, robeing, other_robeing):
    ConversationLogFactory(robeing=other_robeing, channel_id="C1")

    body = bot_client.get(CONTEXT, {"channel_id": "C1"}).json()

    assert body["turns"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "channel_id"),
        ({"channel_id": "C1", "limit": 101}, "limit"),
        ({"channel_id": "C1", "limit": "x"}, "limit"),
    ],
)
def test_context_rejects_bad_query_parameters(bot_client, robeing, params, field):
    response = bot_client.get(CONTEXT, params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_context_rejects_another_robeings_key(other_bot_client):
    assert other_bot_client.get(CONTEXT, {"channel_id": "C1"}).status_code == 403


def test_context_asks_for_a_key(client, robeing):
    assert client.get(CONTEXT, {"channel_id": "C1"}).status_code == 401


def test_a_turn_reads_exactly_as_its_documented_schema_dumps_it(bot_client, robeing):
    person = UserFactory()
    row = ConversationLogFactory(
        robeing=robeing,
        user=person,
        timestamp=dt.datetime(2025, 8, 18, 0, 30, 0, 123456, tzinfo=dt.UTC),
        confidence=0.1,
        metadata={"slack_ts": "1724041260.000200", "nested": {"n": [1, 2.5, None]}},
    )
    row.refresh_from_db()
    on_the_hour = ConversationLogFactory(
        robeing=robeing, timestamp=dt.datetime(2025, 8, 18, 0, 0, tzinfo=dt.UTC)
    )
    on_the_hour.refresh_from_db()
    listed = bot_client.get(HISTORY, {"page_size": 5}).json()["results"]

    for turn, body in zip((row, on_the_hour), listed, strict=True):
        documented = TurnOut.model_validate(turn).model_dump(mode="json")
        documented["local_timestamp"] = body["local_timestamp"]  # history adds the robeing's time
        assert body == documented


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/json; q=0.9"])
def test_bots_get_json_whatever_json_accepting_header_they_send(bot_client, robeing, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = bot_client.get(HISTORY, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_client_that_accepts_no_json_is_told_406(bot_client, robeing):
    response = bot_client.get(HISTORY, HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"
