"""Task XP, levels, stat points, achievements and unlocks, through the services."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.errors import Conflict, InvalidInput
from stats import selectors, services
from stats.models import AchievementAward, RobeingStats, TaskReport, XPEvent

pytestmark = pytest.mark.django_db


def report(task_id: str, task_type: str = "email", difficulty: int = 1, succeeded: bool = True):
    return services.task_report_record(
        robeing_id="rb8001",
        task_id=task_id,
        task_type=task_type,
        difficulty=difficulty,
        succeeded=succeeded,
    )


def stats() -> RobeingStats:
    return RobeingStats.objects.get(robeing_id="rb8001")


def test_a_new_robeing_starts_at_level_1_with_ten_in_every_stat(robeing):
    s = stats()
    assert (s.level, s.experience, s.unspent_points) == (1, 0, 0)
    assert s.stat_values() == dict.fromkeys(s.stat_values(), 10)


def test_a_task_earns_base_xp_times_difficulty(robeing):
    result, created = report("t1", task_type="counseling", difficulty=3)  # 30 x 3

    assert created
    assert (result.xp_awarded, result.levels_gained, result.points_granted) == (90, 0, 0)
    assert stats().experience == 90
    assert stats().successful_tasks == 1


def test_a_failed_task_earns_nothing_but_is_counted(robeing):
    result, _ = report("t1", difficulty=5, succeeded=False)

    assert result.xp_awarded == 0
    assert (stats().experience, stats().failed_tasks) == (0, 1)
    assert not XPEvent.objects.exists()


def test_a_repeated_task_id_returns_the_first_result_and_changes_nothing(robeing):
    first, _ = report("t1", difficulty=2)
    again, created = report("t1", task_type="team_report", difficulty=5, succeeded=False)

    assert not created
    assert again.pk == first.pk
    assert (stats().experience, stats().successful_tasks, stats().failed_tasks) == (40, 1, 0)


def test_one_large_award_crosses_several_levels_and_grants_three_points_each(robeing):
    result, _ = report("big", task_type="team_report", difficulty=5)  # 200 XP: level 1 -> 2

    assert (result.levels_gained, result.points_granted, result.level_after) == (1, 3, 2)
    for i in range(4):  # +800 XP -> 1000 XP: level 5
        result, _ = report(f"more{i}", task_type="team_report", difficulty=5)
    assert stats().level == 5
    assert sum(stats().stat_values().values()) == 50 + 4 * 3


def test_task_based_points_go_to_the_stats_the_tasks_trained(robeing):
    report("t1", task_type="counseling", difficulty=4)  # 120 XP empathy: level 2

    assert stats().stat_values()["empathy"] == 13


def test_balanced_points_go_to_the_lowest_stats(robeing):
    services.stats_set_allocation_mode(robeing_id="rb8001", mode="balanced")
    RobeingStats.objects.filter(robeing_id="rb8001").update(memory_stat=5)

    report("t1", task_type="counseling", difficulty=4)

    assert stats().stat_values() == {
        "memory": 8,
        "compute": 10,
        "empathy": 10,
        "leadership": 10,
        "ethics": 10,
    }


def test_manual_points_wait_until_spent(robeing):
    services.stats_set_allocation_mode(robeing_id="rb8001", mode="manual")
    report("t1", task_type="counseling", difficulty=4)
    assert stats().unspent_points == 3

    services.stats_allocate(robeing_id="rb8001", points={"ethics": 2, "memory": 1})

    assert (stats().ethics_stat, stats().memory_stat, stats().unspent_points) == (12, 11, 0)


@pytest.mark.parametrize(
    ("points", "field"),
    [
        ({"charisma": 1}, "points.charisma"),
        ({"memory": -1}, "points.memory"),
        ({"memory": 4}, "points"),
    ],
)
def test_allocation_rejects_bad_requests_and_changes_nothing(robeing, points, field):
    services.stats_set_allocation_mode(robeing_id="rb8001", mode="manual")
    report("t1", task_type="counseling", difficulty=4)

    # Malformed (400) or more than the robeing has (409): either way nothing changes.
    with pytest.raises((InvalidInput, Conflict)) as error:
        services.stats_allocate(robeing_id="rb8001", points=points)

    assert error.value.errors[0].field == field
    assert (stats().unspent_points, stats().memory_stat) == (3, 10)


def test_an_unknown_task_type_is_rejected_and_records_nothing(robeing):
    with pytest.raises(InvalidInput) as error:
        report("t1", task_type="juggling")

    assert error.value.errors[0].field == "task_type"
    assert not TaskReport.objects.exists()


def test_experience_is_the_sum_of_the_ledger(robeing):
    for i in range(5):
        report(f"t{i}", difficulty=i + 1, succeeded=i != 2)

    ledger = sum(XPEvent.objects.values_list("amount", flat=True))
    assert stats().experience == ledger == 20 * (1 + 2 + 4 + 5)


def test_unlocks_follow_the_level(robeing, django_capture_on_commit_callbacks):
    assert selectors.stats_summary(robeing_id="rb8001")["unlocked_features"] == []

    with django_capture_on_commit_callbacks(execute=True):
        report("t1", task_type="team_report", difficulty=5)
        report("t2", task_type="team_report", difficulty=5)  # 400 XP: level 3

    unlocked = selectors.stats_summary(robeing_id="rb8001")["unlocked_features"]
    assert [f["key"] for f in unlocked] == ["long_context"]


def test_ten_successes_in_a_row_earn_the_streak_badge_once(robeing):
    for i in range(12):
        report(f"t{i}")

    keys = list(AchievementAward.objects.values_list("achievement_id", flat=True))
    assert keys.count("streak_10") == 1


def test_a_success_after_a_failure_earns_the_comeback_badge(robeing):
    report("t1")
    assert not AchievementAward.objects.filter(achievement_id="comeback").exists()

    report("t2", succeeded=False)
    report("t3")

    assert AchievementAward.objects.filter(achievement_id="comeback").count() == 1


def test_the_stats_read_is_fresh_after_a_write(robeing, django_capture_on_commit_callbacks):
    assert selectors.stats_summary(robeing_id="rb8001")["experience"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        report("t1", difficulty=2)

    assert selectors.stats_summary(robeing_id="rb8001")["experience"] == 40


def test_the_context_default_grows_with_memory(robeing, django_capture_on_commit_callbacks):
    assert selectors.context_turns_default(robeing_id="rb8001") == 20
    RobeingStats.objects.filter(robeing_id="rb8001").update(memory_stat=200)
    with django_capture_on_commit_callbacks(execute=True):  # any write bumps the cache version
        services.stats_set_allocation_mode(robeing_id="rb8001", mode="task_based")

    assert selectors.context_turns_default(robeing_id="rb8001") == 100


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_task_awards_end_with_the_exact_sum(robeing):
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def award(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            report(f"concurrent-{i}", task_type="moderation", difficulty=(i % 5) + 1)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=award, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors, errors
    expected = sum(25 * ((i % 5) + 1) for i in range(20))
    s = stats()
    assert s.experience == expected == sum(XPEvent.objects.values_list("amount", flat=True))
    assert s.successful_tasks == 20
    assert s.level == services.rules.level_for_xp(expected)
