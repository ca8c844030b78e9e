"""Failed logins (admin form and staff HTTP Basic) lock the account and the
address out (django-axes), and a locked-out attempt is refused before any
password hash is computed."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from accounts.tests.clients import basic_client
from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_account")]
PASSWORD = "correct horse battery staple"
OVERVIEW = "/api/v1/analytics/overview/"
LIMIT = 5


@pytest.fixture(autouse=True)
def _low_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def staff_account():
    return UserFactory(email="admin@example.com", is_staff=True, permissions=["view_conversationlog"])  # fmt: skip


def admin_login(client: Client, password: str, email: str = "admin@example.com", **extra):
    return client.post(
        "/admin/login/?next=/admin/", {"username": email, "password": password}, **extra
    )


def test_after_thirty_wrong_admin_passwords_the_right_one_does_not_log_in():
    client = Client()
    for n in range(30):
        admin_login(client, f"guess-{n}")

    response = admin_login(client, PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session
    assert "로그인이 잠겼습니다" in response.content.decode()  # Korean by default


def test_the_lockout_page_reads_in_english_with_accept_language_en():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for n in range(LIMIT):
        admin_login(client, f"guess-{n}")

    page = admin_login(client, PASSWORD).content.decode()

    assert "Login locked" in page and "Try again in 15 minutes" in page


def test_wrong_passwords_below_the_limit_still_let_the_right_one_in():
    client = Client()
    for n in range(LIMIT - 1):
        admin_login(client, f"guess-{n}")

    assert admin_login(client, PASSWORD).status_code == 302
    assert "_auth_user_id" in client.session


def test_a_locked_out_staff_script_is_refused_with_429_before_any_hash(password_checks):
    statuses = [basic_client("admin@example.com", f"guess-{n}").get(OVERVIEW).status_code for n in range(LIMIT)]  # fmt: skip
    assert statuses == [401] * (LIMIT - 1) + [429]  # the failure that reaches the limit locks
    password_checks.clear()

    refused = basic_client("admin@example.com", PASSWORD).get(OVERVIEW)

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) == 15 * 60
    assert password_checks == []  # no PBKDF2 spent on it


def test_one_address_guessing_many_accounts_is_locked_for_all_of_them(password_checks):
    UserFactory(email="other@example.com", is_staff=True, permissions=["view_conversationlog"])
    for n in range(LIMIT):
        basic_client(f"nobody{n}@example.com", "guess", address="203.0.113.9").get(OVERVIEW)

    refused = basic_client("other@example.com", PASSWORD, address="203.0.113.9").get(OVERVIEW)
    elsewhere = basic_client("other@example.com", PASSWORD, address="198.51.100.1").get(OVERVIEW)

    assert refused.status_code == 429
    assert elsewhere.status_code == 200


def test_an_account_guessed_from_many_addresses_is_locked_everywhere():
    for n in range(LIMIT):
        basic_client("admin@example.com", "guess", address=f"203.0.113.{n}").get(OVERVIEW)

    assert basic_client("admin@example.com", PASSWORD, address="198.51.100.1").get(OVERVIEW).status_code == 429  # fmt: skip


@override_settings(AXES_COOLOFF_TIME=__import__("datetime").timedelta(seconds=0))
def test_the_lockout_ends_after_the_cool_off():
    for n in range(LIMIT):
        basic_client("admin@example.com", f"guess-{n}").get(OVERVIEW)

    assert basic_client("admin@example.com", PASSWORD).get(OVERVIEW).status_code == 200
