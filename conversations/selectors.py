"""Reads of conversation_log."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Q, QuerySet

from conversations.models import ConversationLog

# An admin thread page shows at most this many turns of one thread.
THREAD_PAGE_MAX_TURNS = 500


def conversation_history(
    *,
    robeing_id: str,
    user_id: uuid.UUID | None = None,
    slack_user_id: str | None = None,
    channel_id: str | None = None,
    thread_ts: str | None = None,
    intent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[ConversationLog]:
    """A robeing's turns, newest first (index conv_robeing_time_idx)."""
    filters = Q(robeing_id=robeing_id)
    for field, value in (
        ("user_id", user_id),
        ("slack_user_id", slack_user_id),
        ("channel_id", channel_id),
        ("thread_ts", thread_ts),
        ("intent", intent),
    ):
        if value is not None:
            filters &= Q(**{field: value})
    if since is not None:
        filters &= Q(timestamp__gte=since)
    if until is not None:
        filters &= Q(timestamp__lt=until)
    return ConversationLog.objects.filter(filters).order_by("-timestamp", "-id")


def conversation_context(
    *, robeing_id: str, channel_id: str, thread_ts: str, limit: int
) -> list[ConversationLog]:
    """The last `limit` turns of one conversation, oldest first, ready to be
    continued (index conv_thread_time_idx: one index range scan)."""
    newest_first = ConversationLog.objects.filter(
        robeing_id=robeing_id, channel_id=channel_id, thread_ts=thread_ts
    ).order_by("-timestamp", "-id")[:limit]
    return list(reversed(newest_first))


def conversation_thread(*, turn: ConversationLog) -> list[ConversationLog]:
    """Every turn of the conversation `turn` belongs to, in order (admin)."""
    return list(
        ConversationLog.objects.filter(
            robeing_id=turn.robeing_id, channel_id=turn.channel_id, thread_ts=turn.thread_ts
        )
        .select_related("user")
        .order_by("timestamp", "id")[:THREAD_PAGE_MAX_TURNS]
    )


def conversation_search(
    queryset: QuerySet[ConversationLog], term: str
) -> QuerySet[ConversationLog]:
    """Substring search over message and response, exact match on Slack user
    and thread ids. On PostgreSQL `icontains` is served by the trigram GIN
    indexes on UPPER(message) and UPPER(response) (migration 0002)."""
    term = term.strip()
    if not term:
        return queryset
    return queryset.filter(
        Q(message__icontains=term)
        | Q(response__icontains=term)
        | Q(slack_user_id=term)
        | Q(thread_ts=term)
    )
