"""Staff scripts authenticate with HTTP Basic; the password hash is checked
once, not on every request, and never trusted after it changes."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.tests.clients import basic_client
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/overview/"
PASSWORD = "correct horse battery staple"
LOG_VIEW = "view_conversationlog"  # what the overview asks of staff


def test_a_staff_scripts_password_is_checked_once_for_many_requests(password_checks):
    UserFactory(email="bi@example.com", is_staff=True, permissions=[LOG_VIEW])
    client = basic_client("bi@example.com", PASSWORD)

    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    assert password_checks == ["bi@example.com"]


def test_a_new_password_ends_the_remembered_one_at_once(password_checks):
    user = UserFactory(email="bi@example.com", is_staff=True, permissions=[LOG_VIEW])
    client = basic_client("bi@example.com", PASSWORD)
    assert client.get(URL).status_code == 200

    user.set_password("a different secret")
    user.save()

    assert client.get(URL).status_code == 401
    assert basic_client("bi@example.com", "a different secret").get(URL).status_code == 200


def test_a_deactivated_user_is_refused_at_once(password_checks):
    user = UserFactory(email="bi@example.com", is_staff=True, permissions=[LOG_VIEW])
    client = basic_client("bi@example.com", PASSWORD)
    assert client.get(URL).status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)

    assert client.get(URL).status_code == 401


def test_a_wrong_password_is_checked_every_time(password_checks):
    UserFactory(email="bi@example.com", is_staff=True, permissions=[LOG_VIEW])
    client = basic_client("bi@example.com", "guess")

    assert [client.get(URL).status_code for _ in range(2)] == [401, 401]
    assert len(password_checks) == 2
