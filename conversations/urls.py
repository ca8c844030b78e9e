from __future__ import annotations

from django.urls import path

from conversations import apis

urlpatterns = [
    path(
        "robeings/<str:robeing_id>/conversations/",
        apis.ConversationListCreateApi.as_view(),
        name="conversation-list",
    ),
    path(
        "robeings/<str:robeing_id>/conversations/batch/",
        apis.ConversationBatchApi.as_view(),
        name="conversation-batch",
    ),
    path(
        "robeings/<str:robeing_id>/context/",
        apis.ConversationContextApi.as_view(),
        name="conversation-context",
    ),
]
