"""Settings change behaviour (seed 10.2), observed through the API."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from conversations.models import ConversationLog
from conversations.tests.factories import ConversationLogFactory
from settings_app import selectors, services

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TURNS = "/api/v1/robeings/rb8001/conversations/"
CONTEXT = "/api/v1/robeings/rb8001/context/"


@pytest.fixture
def change(robeing, django_capture_on_commit_callbacks):
    """Change a setting as an operator would, committed (version bump included)."""

    def change(category: str, **values):
        with django_capture_on_commit_callbacks(execute=True):
            services.settings_patch(
                robeing_id="rb8001", category=category, patch=values, actor=services.Actor()
            )

    return change


def test_pii_masking_off_stores_the_text_as_sent(bot_client, change):
    change("system_settings", pii_masking=False)

    bot_client.post(TURNS, {"message": "제 번호는 010-1234-5678"}, format="json")

    assert ConversationLog.objects.get().message == "제 번호는 010-1234-5678"


def test_pii_masking_stays_on_for_other_robeings(bot_client, other_bot_client, change):
    change("system_settings", pii_masking=False)

    other_bot_client.post(
        "/api/v1/robeings/rb10508/conversations/", {"message": "010-1234-5678"}, format="json"
    )

    assert ConversationLog.objects.get(robeing_id="rb10508").message == "[PHONE]"


def test_max_memory_size_caps_the_context(bot_client, robeing, change):
    for _ in range(10):
        ConversationLogFactory(robeing=robeing, channel_id="C1")
    change("system_settings", max_memory_size=4)

    body = bot_client.get(CONTEXT, {"channel_id": "C1", "limit": 50}).json()

    assert body["limit"] == 4
    assert len(body["turns"]) == 4


def test_memory_ttl_days_leaves_old_turns_out_of_the_context(bot_client, robeing, change):
    old = timezone.now() - dt.timedelta(days=10)
    ConversationLogFactory(robeing=robeing, channel_id="C1", message="오래된 대화", timestamp=old)
    ConversationLogFactory(robeing=robeing, channel_id="C1", message="최근 대화")
    change("system_settings", memory_ttl_days=7)

    body = bot_client.get(CONTEXT, {"channel_id": "C1"}).json()

    assert [t["message"] for t in body["turns"]] == ["최근 대화"]


def test_the_timezone_setting_gives_local_times_in_history(bot_client, robeing, change):
    ConversationLogFactory(
        robeing=robeing, timestamp=dt.datetime(2025, 8, 18, 0, 30, tzinfo=dt.UTC)
    )

    seoul = bot_client.get(TURNS).json()["results"][0]
    change("user_preference", timezone="America/New_York")
    new_york = bot_client.get(TURNS).json()["results"][0]

    assert seoul["local_timestamp"] == "2025-08-18T09:30:00+09:00"
    assert new_york["local_timestamp"] == "2025-08-17T20:30:00-04:00"
    assert seoul["timestamp"] == new_york["timestamp"] == "2025-08-18T00:30:00Z"


def test_debug_mode_adds_query_timing_to_responses(bot_client, change):
    assert "Server-Timing" not in bot_client.get(TURNS)

    change("system_settings", debug_mode=True)
    listed = bot_client.get(TURNS)
    created = bot_client.post(TURNS, {"message": "안녕"}, format="json")

    assert "queries" in listed["Server-Timing"]
    # The INSERT is timed too, alone: one statement on either database.
    assert 'desc="1 queries"' in created["Server-Timing"]


def test_disabled_skills_are_returned_as_disabled(bot_client, change):
    change("skill_settings", news={"enabled": False})

    skills = bot_client.get("/api/v1/robeings/rb8001/settings/skill_settings/").json()["values"]

    assert skills["news"]["enabled"] is False
    assert skills["news"]["categories"] == ["tech", "business"]
    assert skills["email"]["enabled"] is True


def test_reads_are_served_from_the_memory_cache(robeing):
    selectors.forget_local_cache()
    before = selectors.cache_statistics()

    for _ in range(10):
        selectors.settings_get(robeing_id="rb8001")

    after = selectors.cache_statistics()
    assert after["misses"] - before["misses"] == 1
    assert after["hits"] - before["hits"] == 9


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_write_in_another_process_is_seen_on_the_next_read(robeing, settings):
    assert (
        selectors.settings_get(robeing_id="rb8001").values["system_settings"]["debug_mode"] is False
    )

    write_in_another_process(settings)

    # No local cache clearing: the shared version tells this process to reload.
    snapshot = selectors.settings_get(robeing_id="rb8001")
    assert snapshot.values["system_settings"]["debug_mode"] is True
    assert snapshot.version == 1


def write_in_another_process(settings) -> None:
    code = (
        "from settings_app import services; services.settings_patch(robeing_id='rb8001', "
        "category='system_settings', patch={'debug_mode': True}, actor=services.Actor())"
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PYTHONPATH": str(ROOT),
        "VAR_DIR": str(settings.VAR_DIR),
    }
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
    )


def test_requests_within_the_check_interval_ask_the_shared_cache_once(bot_client, settings):
    settings.SETTINGS_VERSION_CHECK_SECONDS = 60
    selectors.forget_local_cache()
    before = selectors.cache_statistics()

    for n in range(3):
        bot_client.post(TURNS, {"message": f"{n}: 010-1234-5678 로 연락 주세요"}, format="json")

    after = selectors.cache_statistics()
    assert after["version_checks"] - before["version_checks"] == 1
    assert after["misses"] - before["misses"] == 1


def test_a_copy_older_than_the_check_interval_is_checked_again(robeing, settings):
    settings.SETTINGS_VERSION_CHECK_SECONDS = 0.2
    selectors.settings_get(robeing_id="rb8001")
    # Another process commits a write: the row and the shared version change,
    # this process's copy does not.
    services.settings_patch(
        robeing_id="rb8001",
        category="system_settings",
        patch={"debug_mode": True},
        actor=services.Actor(),
    )  # on-commit work (publishing the version) does not run in this test
    selectors.shared_versions.set("rb8001", 1)

    stale = selectors.settings_get(robeing_id="rb8001")
    time.sleep(0.25)
    fresh = selectors.settings_get(robeing_id="rb8001")

    assert stale.values["system_settings"]["debug_mode"] is False  # at most 0.2 s old
    assert fresh.values["system_settings"]["debug_mode"] is True
    assert fresh.version == 1


def test_a_write_answers_only_once_every_other_copy_is_too_old_to_be_trusted(
    robeing, settings, django_capture_on_commit_callbacks
):
    settings.SETTINGS_VERSION_CHECK_SECONDS = 0.3
    selectors.settings_get(robeing_id="rb8001")  # this process's copy
    started = time.monotonic()

    with django_capture_on_commit_callbacks(execute=True):
        services.settings_patch(
            robeing_id="rb8001",
            category="system_settings",
            patch={"debug_mode": True},
            actor=services.Actor(),
        )

    # Any process's copy was checked before the write (and is now past its
    # 0.3 s) or after it (and has it): the writer's next read cannot be stale.
    assert time.monotonic() - started >= 0.3
    assert selectors.shared_versions.get("rb8001") == 1
    assert selectors.settings_get(robeing_id="rb8001").values["system_settings"]["debug_mode"]
