"""Operators with the review permissions, and the turns they judge."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from conversations.tests.factories import ConversationLogFactory


def grant(user, *codenames: str):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def reviewer(db):
    user = UserFactory(email="reviewer@example.com", display_name="박검토", is_staff=True)
    return grant(user, "review_turn", "view_conversationlog")


@pytest.fixture
def other_reviewer(db):
    user = UserFactory(email="second@example.com", display_name="이검토", is_staff=True)
    return grant(user, "review_turn")


@pytest.fixture
def turn(robeing):
    return ConversationLogFactory(
        robeing=robeing, message="환불은 어떻게 하나요?", response="일정을 알려드릴게요.",
        intent="schedule", confidence=0.31,
    )  # fmt: skip
