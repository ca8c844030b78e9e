"""One turn stored the plain Django way: json.loads, one ORM create() in
autocommit (no transaction around it), and a retry of a stored event_id found
by the unique index's IntegrityError and answered with the original row."""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from .turns.models import ConversationTurn

TURN_FIELDS = (
    "message", "response", "channel_id", "channel_type", "thread_ts", "intent",
    "confidence", "slack_user_id", "event_id", "metadata",
)  # fmt: skip


@require_POST
def conversation_turn_create(request: HttpRequest, robeing_id: str) -> JsonResponse:
    data = json.loads(request.body)
    fields = {name: data[name] for name in TURN_FIELDS if name in data}
    try:
        turn = ConversationTurn.objects.create(robeing_id=robeing_id, **fields)
    except IntegrityError:
        # (robeing_id, event_id) is unique: a retry gets the row first stored.
        if fields.get("event_id") is None:
            raise
        turn = ConversationTurn.objects.get(robeing_id=robeing_id, event_id=fields["event_id"])
        return JsonResponse(turn_as_dict(turn), status=200)
    return JsonResponse(turn_as_dict(turn), status=201)


def turn_as_dict(turn: ConversationTurn) -> dict[str, Any]:
    return {field.attname: getattr(turn, field.attname) for field in turn._meta.concrete_fields}
