"""POST /api/v1/robeings/{robeing_id}/conversations/batch/ — up to 1,000 turns."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.models import ConversationLog

URL = "/api/v1/robeings/rb8001/conversations/batch/"
pytestmark = pytest.mark.django_db


def turns(n: int, prefix: str = "ev") -> list[dict]:
    return [
        {
            "message": f"질문 {i}",
            "response": f"answer {i}",
            "channel_id": "C1",
            "event_id": f"{prefix}{i}",
        }
        for i in range(n)
    ]


def test_it_stores_every_valid_turn_and_reports_each(bot_client):
    response = bot_client.post(URL, {"turns": turns(3)}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicates"], body["errors"]) == (3, 0, 0)
    stored = {row.event_id: row.id for row in ConversationLog.objects.all()}
    assert [r["id"] for r in body["results"]] == [stored["ev0"], stored["ev1"], stored["ev2"]]
    assert [r["status"] for r in body["results"]] == ["created"] * 3


def test_it_stores_valid_turns_even_when_others_fail(bot_client):
    batch = turns(2) + [{"message": 42}, {"message": "ok", "confidence": 7}]

    body = bot_client.post(URL, {"turns": batch}, format="json").json()

    assert (body["created"], body["errors"]) == (2, 2)
    assert body["results"][2] == {
        "index": 2,
        "status": "error",
        "errors": [
            {
                "field": "turns[2].message",
                "code": "string_type",
                "message": "Input should be a valid string",
            }
        ],
    }
    assert body["results"][3]["errors"][0]["field"] == "turns[3].confidence"
    assert ConversationLog.objects.count() == 2


def test_it_reports_an_unknown_user_on_its_item_only(bot_client):
    batch = turns(2)
    batch[1]["user_id"] = str(uuid.uuid4())

    body = bot_client.post(URL, {"turns": batch}, format="json").json()

    assert [r["status"] for r in body["results"]] == ["created", "error"]
    assert body["results"][1]["errors"][0]["field"] == "turns[1].user_id"
    assert ConversationLog.objects.count() == 1


def test_it_answers_a_replayed_batch_with_the_original_rows(bot_client):
    first = bot_client.post(URL, {"turns": turns(3)}, format="json").json()
    replay = bot_client.post(URL, {"turns": turns(3)}, format="json").json()

    assert (replay["created"], replay["duplicates"]) == (0, 3)
    assert [r["id"] for r in replay["results"]] == [r["id"] for r in first["results"]]
    assert ConversationLog.objects.count() == 3


def test_it_stores_an_event_repeated_inside_one_batch_once(bot_client):
    batch = turns(1) + turns(1)

    body = bot_client.post(URL, {"turns": batch}, format="json").json()

    assert [r["status"] for r in body["results"]] == ["created", "duplicate"]
    assert body["results"][0]["id"] == body["results"][1]["id"]
    assert ConversationLog.objects.count() == 1


def test_it_mixes_turns_with_and_without_event_ids_in_order(bot_client):
    batch = [{"message": "a"}, {"message": "b", "event_id": "x"}, {"message": "c"}]

    body = bot_client.post(URL, {"turns": batch}, format="json").json()

    messages = {row.id: row.message for row in ConversationLog.objects.all()}
    assert [messages[r["id"]] for r in body["results"]] == ["a", "b", "c"]


def test_it_writes_a_batch_with_one_insert(bot_client, monkeypatch):
    if connection.vendor == "postgresql":
        statements: list[str] = []
        real_execute = psycopg.Cursor.execute

        def counting_execute(self, query, *args, **kwargs):
            statements.append(str(query))
            return real_execute(self, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", counting_execute)
        bot_client.post(URL, {"turns": turns(500)}, format="json")
        inserts = [sql for sql in statements if sql.lstrip().upper().startswith("INSERT")]
        assert len(inserts) == 1
    else:  # SQLite caps bound parameters per statement: a handful, not 500.
        with CaptureQueriesContext(connection) as queries:
            bot_client.post(URL, {"turns": turns(500)}, format="json")
        inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT INTO")]
        assert 1 <= len(inserts) <= 10
    assert ConversationLog.objects.count() == 500


def test_it_takes_a_thousand_turns(bot_client):
    body = bot_client.post(URL, {"turns": turns(1000)}, format="json").json()

    assert body["created"] == 1000


def test_it_refuses_more_than_a_thousand_turns(bot_client):
    response = bot_client.post(URL, {"turns": turns(1001)}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "turns"
    assert not ConversationLog.objects.exists()


@pytest.mark.parametrize("body", [{}, {"turns": []}, {"turns": "x"}, {"turns": [1]}, {"items": []}])
def test_it_rejects_a_malformed_batch(bot_client, body):
    response = bot_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_it_rejects_another_robeings_key(other_bot_client):
    response = other_bot_client.post(URL, {"turns": turns(2)}, format="json")

    assert response.status_code == 403
    assert not ConversationLog.objects.exists()


def test_it_asks_for_a_key_when_there_is_none(robeing, client):
    response = client.post(URL, {"turns": turns(1)}, content_type="application/json")

    assert response.status_code == 401
