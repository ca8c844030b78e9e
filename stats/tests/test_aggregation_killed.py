"""The stats aggregation killed for real (SIGKILL, no clean-up code runs) at
different moments; the next run finishes the work, and every turn is counted
exactly once: total_conversations, XP and the ledger all agree."""

from __future__ import annotations

import pytest
from django.db import connection

from conversations.models import UncountedTurn
from core.tests import live
from stats import services
from stats.models import RobeingStats

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
TURNS = 3000


def seed_turns(robeing_ids: list[str]) -> None:
    # New turns: the table's trigger puts each on the aggregation's backlog.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO conversation_log (robeing_id, channel_id, message, response, intent,
                timestamp, slack_user_id, thread_ts, channel_type, metadata, created_at)
            SELECT (%s::text[])[1 + i %% array_length(%s::text[], 1)], 'C1', '질문 ' || i,
                   '답변 ' || i, 'chat', now() - i * interval '1 second', 'U' || (i %% 50), '',
                   'channel', '{}', now()
            FROM generate_series(1, %s) AS i
            """,
            [robeing_ids, robeing_ids, TURNS],
        )


def aggregation_command():
    # Batches of 10, a progress line per 100 turns: many moments to die at.
    return live.manage("aggregate_stats", "--batch-size", "10", env=live.project_env())


def test_the_aggregation_killed_at_any_moment_counts_every_turn_once(robeing, other_robeing):
    seed_turns(["rb8001", "rb10508"])
    kills = sum(live.killed_after_lines(aggregation_command(), lines) for lines in (2, 7, 4, 11))
    assert kills >= 3, "the runs finished before they printed enough to be killed"
    assert 0 < UncountedTurn.objects.count() < TURNS  # they died half-way, with work left

    finished = aggregation_command()
    output = finished.communicate(timeout=300)[0].decode()
    assert finished.returncode == 0, output

    assert UncountedTurn.objects.count() == 0
    totals = dict(RobeingStats.objects.values_list("robeing_id", "total_conversations"))
    assert totals == {"rb8001": TURNS // 2, "rb10508": TURNS // 2}
    assert services.stats_verify() == []  # XP equals the ledger for every robeing
