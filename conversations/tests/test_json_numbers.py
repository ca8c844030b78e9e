"""A turn's metadata holds numbers PostgreSQL's jsonb can store and hand back
as they were, and turns stored before that rule never break a read, a retry
or the archive run."""

from __future__ import annotations

import datetime as dt
import json

import orjson
import pytest
from django.db import connection
from django.utils import timezone

from conversations import services
from conversations.archiving import files, months
from conversations.models import ConversationArchive, ConversationLog
from core import jsonio
from core.validation import storable_json

URL = "/api/v1/robeings/rb8001/conversations/"
BATCH = "/api/v1/robeings/rb8001/conversations/batch/"
pytestmark = pytest.mark.django_db


def post_raw(client, url: str, body: str):
    # Raw text: 2**64 written out as a JSON integer, as a bot's encoder would.
    return client.post(url, data=body, content_type="application/json")


def turn_json(metadata: str, event_id: str = "Ev1") -> str:
    return f'{{"message": "안녕", "event_id": "{event_id}", "metadata": {metadata}}}'


@pytest.mark.parametrize(
    "metadata",
    ['{"x": 1e30}', '{"x": 18446744073709551616}', '{"deep": {"list": [1, -9.3e18]}}'],
)
def test_a_number_jsonb_would_hand_back_bigger_than_64_bits_is_a_400(bot_client, metadata):
    response = post_raw(bot_client, URL, turn_json(metadata))

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "metadata"
    assert "smaller than 2**63" in error["message"]
    assert not ConversationLog.objects.exists()


def test_the_error_names_where_in_the_metadata_the_number_is():
    with pytest.raises(ValueError, match=r"deep\.list\[1\] is -9.3e\+18"):
        storable_json({"deep": {"list": [1, -9.3e18]}})


def test_the_largest_64_bit_numbers_are_stored_and_read_back_as_they_were(bot_client):
    metadata = '{"big": 9223372036854775807, "small": -9223372036854775807, "f": 9.2e18}'

    created = post_raw(bot_client, URL, turn_json(metadata))
    read = bot_client.get(URL).json()["results"][0]

    assert created.status_code == 201
    assert read["metadata"] == {"big": 2**63 - 1, "small": -(2**63) + 1, "f": 9.2e18}


def test_in_a_batch_only_the_turn_with_the_bad_number_is_refused(bot_client):
    turns = [turn_json("{}", "Ev1"), turn_json('{"x": 1e30}', "Ev2"), turn_json("{}", "Ev3")]

    response = post_raw(bot_client, BATCH, '{"turns": [' + ", ".join(turns) + "]}")

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["errors"]) == (2, 1)
    assert body["results"][1]["status"] == "error"
    assert set(ConversationLog.objects.values_list("event_id", flat=True)) == {"Ev1", "Ev3"}


def test_the_tolerant_encoder_writes_a_huge_integer_as_the_float_it_was_sent_as():
    assert jsonio.dumps({"x": 10**30, "ok": [1, True]}) == b'{"x":1e30,"ok":[1,true]}'
    assert json.loads(jsonio.dumps({"n": 2**64 - 1})) == {"n": 2**64 - 1}  # still exact


# --- Turns stored before the rule ------------------------------------------------------


def store_unchecked_turn(robeing, **fields) -> ConversationLog:
    """A turn with {"x": 1e30} in its metadata, as the API stored it before
    numbers were checked (PostgreSQL keeps it as the integer 10**30)."""
    turn = ConversationLog.objects.create(
        robeing=robeing, message="오래된 턴", event_id="EvOld", slack_user_id="UOLD", **fields
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE conversation_log SET metadata = '{\"x\": 1e30}'::jsonb WHERE id = %s",
            [turn.id],
        )
    return turn


@pytest.mark.postgresql
def test_an_old_turn_with_a_huge_number_does_not_break_history_context_or_a_retry(
    bot_client, robeing
):
    store_unchecked_turn(robeing, channel_id="C1")
    assert ConversationLog.objects.get().metadata == {"x": 10**30}  # what jsonb hands back

    history = bot_client.get(URL)
    context = bot_client.get("/api/v1/robeings/rb8001/context/", {"channel_id": "C1"})
    retry = bot_client.post(URL, {"message": "오래된 턴", "event_id": "EvOld"}, format="json")

    assert history.status_code == 200
    assert orjson.loads(history.content)["results"][0]["metadata"] == {"x": 1e30}
    assert context.status_code == 200
    assert context.json()["turns"][0]["metadata"] == {"x": 1e30}
    assert retry.status_code == 200  # the duplicate, answered with the original
    assert retry.json()["metadata"] == {"x": 1e30}


@pytest.mark.postgresql
def test_an_old_turn_with_a_huge_number_is_archived_and_restorable(robeing):
    old = store_unchecked_turn(robeing, timestamp=timezone.now() - dt.timedelta(days=200))
    services.conversation_turns_mark_counted(ids=[old.id])

    result = months.archive_conversations(older_than_days=90)

    assert result.turns_archived == 1
    archive = ConversationArchive.objects.get()
    [record] = list(files.archive_read(archive.path))
    assert record["id"] == old.id and record["metadata"] == {"x": 1e30}
    assert not ConversationLog.objects.exists()
