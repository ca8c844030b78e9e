"""Robeing Console's client for bots: the seed's ConversationLogger,
StatsManager and SettingsManager, over the console's REST API."""

from robeing_client.aio import AsyncConversationLogger, AsyncSettingsManager, AsyncStatsManager
from robeing_client.conversations import ConversationLogger, Counters
from robeing_client.errors import (
    AuthenticationError,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    RateLimited,
    RobeingError,
    ServerError,
    ValidationError,
)
from robeing_client.models import SettingValue, Stats, TaskResult
from robeing_client.settings import SettingsManager
from robeing_client.stats import StatsManager

__all__ = [
    "AsyncConversationLogger",
    "AsyncSettingsManager",
    "AsyncStatsManager",
    "AuthenticationError",
    "Conflict",
    "ConversationLogger",
    "Counters",
    "FieldError",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RobeingError",
    "ServerError",
    "SettingValue",
    "SettingsManager",
    "Stats",
    "StatsManager",
    "TaskResult",
    "ValidationError",
]
