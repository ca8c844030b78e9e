from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.tests.factories import RobeingFactory
from conversations import services
from conversations.models import ConversationLog


class ConversationLogFactory(factory.django.DjangoModelFactory):
    """A stored turn (bypasses ingestion: no masking, for read-side tests)."""

    class Meta:
        model = ConversationLog

    robeing = factory.SubFactory(RobeingFactory)
    channel_id = "C0123ABCD"
    channel_type = "channel"
    thread_ts = ""
    message = factory.Sequence(lambda n: f"질문 {n}: 오늘 일정 알려줘")
    response = factory.Sequence(lambda n: f"답변 {n}: 오후 3시에 회의가 있습니다.")
    intent = "schedule"
    confidence = 0.9
    slack_user_id = "U024BE7LH"
    timestamp = factory.Sequence(
        lambda n: timezone.now() - dt.timedelta(hours=1) + dt.timedelta(seconds=n)
    )

    @classmethod
    def _create(cls, model_class: type, *args, counted: bool = False, **kwargs) -> ConversationLog:
        # Stored turns start on the stats aggregation's backlog (the table's
        # trigger puts them there); counted=True takes them off, as a turn the
        # aggregation has already counted.
        turn = super()._create(model_class, *args, **kwargs)
        if counted:
            services.conversation_turns_mark_counted(ids=[turn.id])
        return turn
