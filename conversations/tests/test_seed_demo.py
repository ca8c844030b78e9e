"""`manage.py seed_demo`: what `make run` shows a new user."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Robeing, User
from conversations.models import ConversationLog

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def seed(*args: str) -> dict[str, str]:
    out = io.StringIO()
    call_command(
        "seed_demo", "--admin-password", "demo-pass-1234", *args, stdout=out, stderr=io.StringIO()
    )
    printed = out.getvalue()
    keys = {}
    for line in printed.splitlines():
        if "API key:" in line:
            robeing_id, _, key = line.strip().partition(" API key: ")
            keys[robeing_id] = key
    return keys


def bot(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_it_creates_the_robeings_users_and_admin():
    seed("--turns", "0")

    assert set(Robeing.objects.values_list("robeing_id", flat=True)) == {"rb8001", "rb10508"}
    assert User.objects.filter(slack_user_id__startswith="U0DEMO").count() == 8
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser and admin.check_password("demo-pass-1234")


def test_the_printed_keys_work_and_reach_only_their_robeing():
    keys = seed("--turns", "0")

    assert bot(keys["rb8001"]).get("/api/v1/robeings/rb8001/conversations/").status_code == 200
    assert bot(keys["rb8001"]).get("/api/v1/robeings/rb10508/conversations/").status_code == 403
    assert bot(keys["rb10508"]).get("/api/v1/robeings/rb10508/conversations/").status_code == 200


def test_running_again_keeps_one_of_everything_and_replaces_the_keys():
    first = seed("--turns", "0")
    second = seed("--turns", "0")

    assert Robeing.objects.count() == 2
    assert User.objects.filter(email="admin@example.com").count() == 1
    assert bot(first["rb8001"]).get("/api/v1/robeings/rb8001/conversations/").status_code == 401
    assert bot(second["rb8001"]).get("/api/v1/robeings/rb8001/conversations/").status_code == 200


def test_it_adds_the_asked_number_of_korean_and_english_turns():
    seed("--turns", "200", "--seed", "7")

    assert ConversationLog.objects.count() == 200
    messages = " ".join(ConversationLog.objects.values_list("message", flat=True))
    assert any("\uac00" <= ch <= "\ud7a3" for ch in messages)  # Hangul
    assert "calendar" in messages or "news" in messages or "morning" in messages
    assert ConversationLog.objects.exclude(thread_ts="").exists()
    assert ConversationLog.objects.filter(user__isnull=False).exists()


def test_it_writes_the_keys_for_the_curl_tour(settings):
    keys = seed("--turns", "0")

    written = (settings.VAR_DIR / "demo_keys.env").read_text()
    assert f"RB8001_KEY={keys['rb8001']}" in written
    assert f"RB10508_KEY={keys['rb10508']}" in written
    assert "ADMIN_PASSWORD=demo-pass-1234" in written
