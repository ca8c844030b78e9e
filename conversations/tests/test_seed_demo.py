"""`manage.py seed_demo`: the demo data `make run` shows and benchmarks load."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import stat
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Robeing, RobeingAPIKey, User
from conversations import demo_data
from conversations.demo_data import COLUMNS, PEOPLE, DemoUser, demo_turns
from conversations.masking import mask_pii
from conversations.models import ConversationLog

HANGUL = re.compile("[가-힣]")
LIST_URL = "/api/v1/robeings/{}/conversations/"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)


def seed(*args: str) -> dict[str, str]:
    """Run the command; return what its summary printed (keys by robeing, password)."""
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    printed = {}
    for line in out.getvalue().splitlines():
        if " API key: " in line:
            robeing_id, _, key = line.strip().partition(" API key: ")
            printed[robeing_id] = key
        elif line.strip().startswith("Password:"):
            printed["password"] = line.split(":", 1)[1].strip()
    return printed


def status(key: str, robeing_id: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client.get(LIST_URL.format(robeing_id)).status_code


def as_dicts(rows) -> list[dict]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def sample_users() -> list[DemoUser]:
    return [DemoUser(uuid.uuid4(), p.slack_user_id, p.lang) for p in PEOPLE]


@pytest.mark.django_db
class TestCommand:
    def test_it_creates_the_robeings_demo_users_and_admin(self):
        seed("--turns", "0", "--admin-password", "demo-pass-1234")

        names = dict(Robeing.objects.values_list("robeing_id", "name"))
        assert names == {"rb8001": "로빙 8001", "rb10508": "로빙 10508"}
        demo_users = User.objects.filter(slack_user_id__startswith="U0DEMO")
        assert demo_users.count() == 8
        assert all(u.email.endswith("@example.com") for u in demo_users)
        admin = User.objects.get(email="admin@example.com")
        assert admin.is_superuser and admin.is_staff and admin.is_active
        assert admin.check_password("demo-pass-1234")

    def test_the_printed_keys_work_and_reach_only_their_own_robeing(self):
        printed = seed("--turns", "0")

        assert status(printed["rb8001"], "rb8001") == 200
        assert status(printed["rb10508"], "rb10508") == 200
        assert status(printed["rb8001"], "rb10508") == 403

    def test_running_it_again_keeps_one_of_everything_and_revokes_the_first_keys(self):
        first = seed("--turns", "0")
        second = seed("--turns", "0")

        assert Robeing.objects.count() == 2
        assert User.objects.filter(email="admin@example.com").count() == 1
        assert User.objects.filter(slack_user_id__startswith="U0DEMO").count() == 8
        assert RobeingAPIKey.objects.filter(name="demo", revoked=False).count() == 2
        assert status(first["rb8001"], "rb8001") == 401
        assert status(first["rb10508"], "rb10508") == 401
        assert status(second["rb8001"], "rb8001") == 200

    def test_without_a_password_each_run_sets_and_prints_a_new_one(self):
        first = seed("--turns", "0")
        second = seed("--turns", "0")

        admin = User.objects.get(email="admin@example.com")
        assert first["password"] != second["password"]
        assert admin.check_password(second["password"])
        assert not admin.check_password(first["password"])

    def test_it_takes_the_admin_password_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "from-the-env-123")

        printed = seed("--turns", "0")

        assert printed["password"] == "from-the-env-123"
        assert User.objects.get(email="admin@example.com").check_password("from-the-env-123")

    def test_it_stores_exactly_the_asked_number_of_korean_and_english_turns(self):
        seed("--turns", "50", "--seed", "7")

        turns = ConversationLog.objects.all()
        assert turns.count() == 50
        messages = list(turns.values_list("message", flat=True))
        assert any(HANGUL.search(m) for m in messages)
        assert any(m.isascii() for m in messages)
        assert set(turns.values_list("robeing_id", flat=True)) == {"rb8001", "rb10508"}
        assert turns.filter(user__email__endswith="@example.com").exists()
        assert all(t.metadata["source"] == "demo" for t in turns)

    def test_running_twice_with_the_same_seed_adds_the_turns_again(self):
        seed("--turns", "50", "--seed", "7")
        seed("--turns", "50", "--seed", "7")

        assert ConversationLog.objects.count() == 100
        assert ConversationLog.objects.values("event_id").distinct().count() == 100

    def test_it_writes_the_keys_and_login_for_the_curl_tour(self, settings):
        printed = seed("--turns", "0", "--admin-password", "demo-pass-1234")

        path = settings.VAR_DIR / "demo_keys.env"
        lines = path.read_text().splitlines()
        assert f"RB8001_KEY={printed['rb8001']}" in lines
        assert f"RB10508_KEY={printed['rb10508']}" in lines
        assert "ADMIN_EMAIL=admin@example.com" in lines
        assert "ADMIN_PASSWORD=demo-pass-1234" in lines
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_it_refuses_a_negative_number_of_turns(self):
        with pytest.raises(CommandError):
            call_command("seed_demo", "--turns", "-1", stdout=io.StringIO())

    @pytest.mark.postgresql
    def test_on_postgresql_the_planner_knows_the_new_row_count(self):
        seed("--turns", "50", "--seed", "7")

        # The admin's list shows this estimate instead of counting a big table.
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'conversation_log'")
            assert cursor.fetchone()[0] == 50


class TestDemoTurns:
    def test_the_same_seed_gives_the_same_conversations(self):
        now, users = timezone.now(), sample_users()
        first = as_dicts(demo_turns(n=300, robeing_ids=["a", "b"], users=users, seed=3, now=now))
        again = as_dicts(demo_turns(n=300, robeing_ids=["a", "b"], users=users, seed=3, now=now))

        for row in first + again:
            assert row.pop("event_id").startswith("demo-")
        assert first == again

    def test_they_look_like_real_slack_traffic(self):
        now = timezone.now()
        rows = as_dicts(
            demo_turns(n=3000, robeing_ids=["rb8001", "rb10508"], users=sample_users(), seed=1)
        )

        assert len(rows) == 3000
        assert {r["channel_type"] for r in rows} == {"channel", "group", "im", "mpim"}
        assert {r["intent"] for r in rows} == set(demo_data.TEMPLATES)
        assert all(0.05 <= r["confidence"] <= 0.99 for r in rows)
        unsure = sum(r["confidence"] < 0.5 for r in rows) / len(rows)
        assert 0.05 < unsure < 0.2  # some turns for the review inbox
        assert all(now - dt.timedelta(days=61) < r["timestamp"] < now for r in rows)
        assert any(r["thread_ts"] == "" for r in rows)
        # Turns by people the console does not know carry only their Slack id.
        guests = [r for r in rows if r["user_id"] is None]
        assert guests and all(r["slack_user_id"].startswith("U0GUEST") for r in guests)

    def test_a_thread_has_several_turns_in_time_order_starting_at_its_ts(self):
        rows = as_dicts(demo_turns(n=3000, robeing_ids=["rb8001"], users=sample_users(), seed=2))

        threads = itertools.groupby(
            (r for r in rows if r["thread_ts"]), key=lambda r: (r["channel_id"], r["thread_ts"])
        )
        sizes = []
        for (_, thread_ts), turns in threads:
            turns = list(turns)
            sizes.append(len(turns))
            assert turns[0]["metadata"]["slack_ts"] == thread_ts
            times = [t["timestamp"] for t in turns]
            assert times == sorted(times)
        assert max(sizes) > 2

    def test_the_corpus_contains_nothing_that_ingestion_would_mask(self):
        # Demo turns bypass masking, so no template and no slot value may look
        # like personal data. Every slot value is tried in every template.
        numbers = {"n": 9, "mins": 45, "pct": 90}
        for intent, languages in demo_data.TEMPLATES.items():
            for lang, templates in languages.items():
                slots = demo_data.SLOTS[lang]
                for i in range(max(len(values) for values in slots.values())):
                    filled = {k: v[i % len(v)] for k, v in slots.items()} | numbers
                    for message, response in templates:
                        for text in (message.format_map(filled), response.format_map(filled)):
                            assert mask_pii(text).counts == {}, (intent, text)
