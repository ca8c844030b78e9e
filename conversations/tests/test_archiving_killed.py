"""Archiving killed for real (SIGKILL, no clean-up code runs) at different
moments, again and again; one last run then leaves every turn in exactly one
place and no file that the manifest does not point at."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from conversations import services
from conversations.archiving.files import archive_read
from conversations.archiving.plan import archive_cutoff, archive_plan
from conversations.models import ArchiveState, ConversationArchive, ConversationLog
from core.tests import live

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

TURNS = 4000


def seed_old_turns(robeing_ids: list[str]) -> set[int]:
    # Six months, well past the retention window, all counted by the stats.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO conversation_log (robeing_id, channel_id, message, response, intent,
                timestamp, slack_user_id, thread_ts, channel_type, metadata, created_at)
            SELECT (%s::text[])[1 + i %% array_length(%s::text[], 1)], 'C1',
                   '오래된 질문 ' || i, '답변 ' || i, 'chat',
                   now() - interval '120 days' - (i %% 180) * interval '1 day',
                   'U' || (i %% 50), '', 'channel', '{}', now()
            FROM generate_series(1, %s) AS i RETURNING id
            """,
            [robeing_ids, robeing_ids, TURNS],
        )
        ids = [row[0] for row in cursor.fetchall()]
    services.conversation_turns_mark_counted(ids=ids)
    return set(ids)


def archive_command(files: Path) -> subprocess.Popen:
    env = live.project_env(
        ARCHIVE_STORAGE_OPTIONS=json.dumps({"location": str(files)}),
        VAR_DIR=str(files.parent / "var"),
    )
    return live.manage("archive_conversations", "--batch-size", "25", env=env)


def test_archiving_killed_at_any_moment_loses_and_duplicates_nothing(
    robeing, other_robeing, settings, tmp_path
):
    files = tmp_path / "archives"
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(files)},
        },
    }
    ids = seed_old_turns(["rb8001", "rb10508"])
    months = len(archive_plan(cutoff=archive_cutoff()))
    # Each run is killed when it has printed its n-th line (progress per 25
    # turns, a log line per archive written, verified, committed, emptied);
    # each run goes on where the one before it died.
    kills = sum(
        live.killed_after_lines(archive_command(files), lines) for lines in (7, 23, 41, 13, 29, 5)
    )
    assert kills >= 3, "the runs finished before they printed enough to be killed"

    finished = archive_command(files)
    output = finished.communicate(timeout=300)[0].decode()
    assert finished.returncode == 0, output

    hot = list(ConversationLog.objects.values_list("id", flat=True))
    archived = [
        record["id"]
        for archive in ConversationArchive.objects.all()
        for record in archive_read(archive.path)
    ]
    assert hot == []
    assert len(archived) == len(set(archived)) == TURNS  # none twice
    assert set(archived) == ids  # none lost
    assert set(ConversationArchive.objects.values_list("state", flat=True)) == {
        ArchiveState.COMPLETE
    }
    # No file that the manifest does not point at (killed writes were replaced).
    on_disk = {str(p.relative_to(files)) for p in files.rglob("*.jsonl.gz")}
    assert on_disk == set(ConversationArchive.objects.values_list("path", flat=True))
    assert ConversationArchive.objects.count() == months  # one per robeing per month
