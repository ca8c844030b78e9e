"""The 5-minute aggregation counts every stored turn exactly once."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django_celery_beat.models import PeriodicTask

from conversations import services as conversation_services
from conversations.models import UncountedTurn
from conversations.schemas import TurnIn
from stats import services
from stats.models import RobeingStats, XPEvent

pytestmark = pytest.mark.django_db


def log_turns(robeing_id: str, n: int) -> None:
    turns = [TurnIn(message=f"안녕 {i}") for i in range(n)]
    conversation_services.conversation_turns_record(robeing_id=robeing_id, turns=turns)


def totals(robeing_id: str = "rb8001") -> tuple[int, int]:
    s = RobeingStats.objects.get(robeing_id=robeing_id)
    return s.total_conversations, s.experience


def test_it_counts_new_turns_and_their_xp(robeing, other_robeing):
    log_turns("rb8001", 5)
    log_turns("rb10508", 2)

    result = services.conversation_stats_aggregate()

    assert result.turns == 7
    assert totals("rb8001") == (5, 5)
    assert totals("rb10508") == (2, 2)


def test_a_second_run_counts_nothing_again(robeing):
    log_turns("rb8001", 5)
    services.conversation_stats_aggregate()

    assert services.conversation_stats_aggregate().turns == 0
    assert totals() == (5, 5)


def test_turns_logged_between_runs_are_counted_by_the_next(robeing):
    log_turns("rb8001", 3)
    services.conversation_stats_aggregate()
    log_turns("rb8001", 4)

    services.conversation_stats_aggregate()

    assert totals() == (7, 7)
    assert XPEvent.objects.count() == 2


def test_a_run_works_in_bounded_batches_and_says_when_backlog_is_left(robeing):
    log_turns("rb8001", 25)

    first = services.conversation_stats_aggregate(batch_size=10, max_batches=2)
    rest = services.conversation_stats_aggregate(batch_size=10, max_batches=2)

    assert (first.turns, first.batches, first.backlog_left) == (20, 2, True)
    assert (rest.turns, rest.backlog_left) == (5, False)
    assert totals() == (25, 25)


def test_a_crash_halfway_counts_nothing_and_the_next_run_counts_all(
    robeing, other_robeing, monkeypatch
):
    log_turns("rb8001", 3)
    log_turns("rb10508", 3)
    real_award = services._award

    def crash_on_second_robeing(stats, **kwargs):
        if stats.robeing_id == "rb8001":
            raise RuntimeError("worker killed")
        return real_award(stats, **kwargs)

    monkeypatch.setattr(services, "_award", crash_on_second_robeing)
    with pytest.raises(RuntimeError):
        services.conversation_stats_aggregate()
    assert totals("rb10508") == (0, 0)  # rolled back with the claim
    assert UncountedTurn.objects.count() == 6

    monkeypatch.setattr(services, "_award", real_award)
    services.conversation_stats_aggregate()

    assert totals("rb8001") == (3, 3)
    assert totals("rb10508") == (3, 3)


def test_the_command_counts_the_backlog(robeing):
    log_turns("rb8001", 12)
    out = io.StringIO()

    call_command("aggregate_stats", "--batch-size", "5", stdout=out, stderr=io.StringIO())

    assert out.getvalue().strip() == "Counted 12 new turns."
    assert totals() == (12, 12)


def test_stats_verify_finds_and_repairs_drift(robeing):
    log_turns("rb8001", 4)
    services.conversation_stats_aggregate()
    RobeingStats.objects.filter(robeing_id="rb8001").update(experience=999)

    with pytest.raises(CommandError, match="drifted"):
        call_command("stats_verify", stdout=io.StringIO())
    call_command("stats_verify", "--repair", stdout=io.StringIO())

    assert totals() == (4, 4)
    call_command("stats_verify", stdout=io.StringIO())  # clean now: no error


def test_the_schedule_exists_after_migrate():
    task = PeriodicTask.objects.get(task="stats.tasks.aggregate_conversation_stats")

    assert (task.interval.every, task.interval.period) == (5, "minutes")
    assert task.enabled


def run_in_thread(work) -> threading.Thread:
    def target() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_turn_that_commits_late_with_a_lower_id_is_still_counted_once(robeing):
    inserted = threading.Event()
    release = threading.Event()

    def slow_ingestion() -> None:
        with transaction.atomic():
            log_turns("rb8001", 1)  # takes an id now, commits later
            inserted.set()
            release.wait(timeout=20)

    slow = run_in_thread(slow_ingestion)
    assert inserted.wait(timeout=20)
    log_turns("rb8001", 1)  # a higher id, committed first

    first = services.conversation_stats_aggregate()
    release.set()
    slow.join(timeout=20)
    second = services.conversation_stats_aggregate()

    assert (first.turns, second.turns) == (1, 1)
    assert totals() == (2, 2)
    assert services.conversation_stats_aggregate().turns == 0


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_while_ingesting_count_every_turn_once(robeing, other_robeing):
    log_turns("rb8001", 300)
    barrier = threading.Barrier(5)

    def aggregate() -> None:
        barrier.wait(timeout=10)
        for _ in range(5):
            services.conversation_stats_aggregate(batch_size=50, max_batches=3)

    def ingest() -> None:
        barrier.wait(timeout=10)
        for _ in range(10):
            log_turns("rb10508", 20)

    threads = [run_in_thread(aggregate) for _ in range(4)] + [run_in_thread(ingest)]
    for thread in threads:
        thread.join(timeout=60)
    services.conversation_stats_aggregate()

    assert totals("rb8001") == (300, 300)
    assert totals("rb10508") == (200, 200)
    assert UncountedTurn.objects.count() == 0


def test_a_large_backlog_can_cross_several_levels_in_one_award(robeing):
    log_turns("rb8001", 520)  # 520 XP at once: level 1 -> 4

    services.conversation_stats_aggregate(batch_size=1000)

    stats = RobeingStats.objects.get(robeing_id="rb8001")
    assert (stats.level, stats.experience) == (4, 520)
    assert sum(stats.stat_values().values()) == 50 + 3 * 3  # 3 points per level gained
    assert XPEvent.objects.get().level_after == 4
