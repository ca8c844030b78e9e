"""The baseline of bench/ingest.py: a plain Django view doing one ORM insert of
the same payload, with no auth, validation, masking or idempotency."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from conversations.models import ConversationLog


@csrf_exempt
def bare_insert(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body)
    row = ConversationLog.objects.create(
        robeing_id="rb8001",
        channel_id=data.get("channel_id", ""),
        channel_type=data.get("channel_type", ""),
        thread_ts=data.get("thread_ts", ""),
        message=data["message"],
        response=data.get("response", ""),
        intent=data.get("intent", ""),
        confidence=data.get("confidence"),
        slack_user_id=data.get("slack_user_id", ""),
        event_id=data.get("event_id"),
        metadata=data.get("metadata", {}),
    )
    return JsonResponse({"id": row.id}, status=201)
