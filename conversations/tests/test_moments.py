"""Times at the edge: a turn's timestamp and the history's filters must have a
UTC value PostgreSQL and Python both hold, or the request is a 400."""

from __future__ import annotations

import pytest

from conversations.models import ConversationLog

URL = "/api/v1/robeings/rb8001/conversations/"
BATCH = "/api/v1/robeings/rb8001/conversations/batch/"
pytestmark = pytest.mark.django_db

# Valid Python datetimes whose UTC value falls outside Python's years 1-9999,
# and times outside 1970-2099.
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
]


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_a_turn_at_a_time_outside_1970_to_2099_is_a_400(bot_client, moment):
    response = bot_client.post(URL, {"message": "안녕", "timestamp": moment}, format="json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "timestamp"
    assert "between 1970-01-01 and 2100-01-01 UTC" in error["message"]
    assert not ConversationLog.objects.exists()


def test_the_first_moment_of_1970_in_any_offset_is_stored_in_utc(bot_client):
    response = bot_client.post(
        URL, {"message": "안녕", "timestamp": "1970-01-01T09:00:00+09:00"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["timestamp"] == "1970-01-01T00:00:00Z"


def test_in_a_batch_only_the_turn_with_the_bad_time_is_refused(bot_client):
    turns = [
        {"message": "하나", "event_id": "Ev1"},
        {"message": "둘", "event_id": "Ev2", "timestamp": "0001-01-01T00:00:00+14:00"},
        {"message": "셋", "event_id": "Ev3"},
    ]

    body = bot_client.post(BATCH, {"turns": turns}, format="json").json()

    assert (body["created"], body["errors"]) == (2, 1)
    assert body["results"][1]["errors"][0]["field"] == "turns[1].timestamp"
    assert set(ConversationLog.objects.values_list("event_id", flat=True)) == {"Ev1", "Ev3"}


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("moment", OUT_OF_RANGE[:2])
def test_a_history_filter_outside_the_range_is_a_400(bot_client, name, moment):
    response = bot_client.get(URL, {name: moment})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == name
