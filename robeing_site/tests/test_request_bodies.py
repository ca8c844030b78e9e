"""Bodies the parser cannot take at face value: a key twice in one object, a
chunked body WSGI hands over as empty, JSON nested deeper than Python's
decoder goes. Each is a clear 4xx in the error shape, never a silent guess."""

from __future__ import annotations

import pytest

from conversations.models import ConversationLog

pytestmark = pytest.mark.django_db
URL = "/api/v1/robeings/rb8001/conversations/"


def post_raw(client, body: str, **headers):
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"message": "a", "message": "b"}', "message"),
        ('{"message": "a", "metadata": {"x": 1, "x": 2}}', "x"),
    ],
)
def test_a_key_twice_in_one_object_is_a_400_naming_it(bot_client, body, key):
    response = post_raw(bot_client, body)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (key, "duplicate_key")
    assert not ConversationLog.objects.exists()


def test_the_same_key_in_two_objects_is_fine(bot_client):
    response = post_raw(bot_client, '{"message": "a", "metadata": {"message": "b"}}')

    assert response.status_code == 201


def test_a_chunked_body_is_a_411_that_says_why(bot_client):
    response = post_raw(bot_client, '{"message": "a"}', HTTP_TRANSFER_ENCODING="chunked")

    assert response.status_code == 411
    assert response.json()["code"] == "length_required"
    assert "Content-Length" in response.json()["message"]
    assert not ConversationLog.objects.exists()


def test_json_nested_deeper_than_the_decoder_goes_is_a_400(bot_client):
    depth = 1000  # within orjson's limit, past Python's recursion limit
    body = '{"message": "a", "metadata": {"x": ' + "[" * depth + "]" * depth + "}}"

    response = post_raw(bot_client, body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_deep"
