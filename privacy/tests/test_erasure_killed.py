"""An erasure killed for real (SIGKILL) while it deletes a person's turns;
the next run finishes it, exactly once: every one of their turns is gone,
nobody else's, and the request's counts add up to what was erased."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from conversations.models import ConversationLog
from core.tests import live
from privacy import services
from privacy.models import ErasureRequest, RequestStatus

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
THEIRS, OTHERS = 3000, 500


def seed_turns(slack_user_id: str, count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO conversation_log (robeing_id, channel_id, message, response, intent,
                timestamp, slack_user_id, thread_ts, channel_type, metadata, created_at)
            SELECT 'rb8001', 'C1', '제 번호는 ' || i, '네', 'chat',
                   now() - i * interval '1 second', %s, '', 'channel', '{}', now()
            FROM generate_series(1, %s) AS i
            """,
            [slack_user_id, count],
        )


def privacy_run(files: Path) -> subprocess.Popen:
    code = (
        "from privacy.services import privacy_requests_process; "
        "privacy_requests_process(batch_size=10)"
    )
    env = live.project_env(VAR_DIR=str(files / "var"))
    return live.manage("shell", "-c", code, env=env, output=False)


def theirs() -> int:
    return ConversationLog.objects.filter(slack_user_id="UERASE").count()


def test_an_erasure_killed_half_way_is_finished_once_by_the_next_run(robeing, tmp_path, superuser):
    seed_turns("UERASE", THEIRS)
    seed_turns("UKEEP", OTHERS)
    request = services.erasure_request_create(
        user_id=None, slack_user_id="UERASE", requested_by=superuser
    )
    kills = 0
    for _ in range(3):
        before = theirs()
        run = privacy_run(tmp_path)
        deadline = time.monotonic() + 60
        # Killed once it has erased some of them, not all: half-way, for real.
        while time.monotonic() < deadline and run.poll() is None and theirs() == before:
            time.sleep(0.01)
        if run.poll() is None and 0 < theirs() < before:
            run.send_signal(signal.SIGKILL)
            kills += 1
        run.communicate(timeout=120)
    assert kills >= 2, "the runs finished before they could be killed half-way"

    finished = privacy_run(tmp_path)
    assert finished.communicate(timeout=300) and finished.returncode == 0

    request.refresh_from_db()
    assert theirs() == 0
    assert ConversationLog.objects.filter(slack_user_id="UKEEP").count() == OTHERS
    assert request.status == RequestStatus.DONE
    assert request.counts["hot_turns"] == THEIRS  # each turn counted once, across the runs
    assert ErasureRequest.objects.filter(status=RequestStatus.DONE).count() == 1
