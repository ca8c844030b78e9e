from __future__ import annotations

from django.urls import path

from . import views

# The same path as the real endpoint, so that both sides parse the same URL.
urlpatterns = [
    path("api/v1/robeings/<str:robeing_id>/conversations/", views.conversation_turn_create),
]
