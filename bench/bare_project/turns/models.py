"""The columns of Robeing Console's conversation_log, mapped without its
foreign keys' models: the table is created by the real project's migrations
and copied into this project's database, so Django never manages it here."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ConversationTurn(models.Model):
    id = models.BigAutoField(primary_key=True)
    robeing_id = models.CharField(max_length=100)
    channel_id = models.CharField(max_length=100, default="")
    message = models.TextField()
    response = models.TextField(default="")
    intent = models.CharField(max_length=100, default="")
    confidence = models.FloatField(null=True)
    timestamp = models.DateTimeField(default=timezone.now)
    user_id = models.UUIDField(null=True)
    slack_user_id = models.CharField(max_length=100, default="")
    thread_ts = models.CharField(max_length=128, default="")
    channel_type = models.CharField(max_length=32, default="")
    metadata = models.JSONField(default=dict)
    # Unique per robeing (a partial unique index on the table): the idempotency key.
    event_id = models.CharField(max_length=255, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "conversation_log"

    def __str__(self) -> str:
        return f"#{self.id} {self.robeing_id}"
