"""The growth API as a committing_bot sees it."""

from __future__ import annotations

import pytest

from conversations.tests.factories import ConversationLogFactory
from stats import services
from stats.models import RobeingStats

pytestmark = pytest.mark.django_db


STATS = "/api/v1/robeings/rb8001/stats/"
TASKS = "/api/v1/robeings/rb8001/tasks/"
ALLOCATE = "/api/v1/robeings/rb8001/stats/allocate/"
XP_EVENTS = "/api/v1/robeings/rb8001/xp-events/"


def a_task(**overrides) -> dict:
    task = {"task_id": "T-1", "task_type": "email", "difficulty": 3, "outcome": "success"}
    task.update(overrides)
    return task


def test_a_new_robeing_reads_level_1_stats(bot_client):
    body = bot_client.get(STATS).json()

    assert body["level"] == 1
    assert body["experience"] == 0
    assert body["xp_to_next_level"] == 100
    assert body["stats"] == {
        "memory": 10,
        "compute": 10,
        "empathy": 10,
        "leadership": 10,
        "ethics": 10,
    }
    assert body["unlocked_features"] == []
    assert body["achievements"] == []


def test_a_reported_task_returns_its_xp_and_shows_in_stats_at_once(committing_bot):
    created = committing_bot.post(
        TASKS, a_task(task_type="team_report", difficulty=5), format="json"
    )

    assert created.status_code == 201
    assert created.json()["xp_awarded"] == 200
    assert created.json()["levels_gained"] == 1
    assert created.json()["points_granted"] == 3
    stats = committing_bot.get(STATS).json()
    assert (stats["level"], stats["experience"], stats["successful_tasks"]) == (2, 200, 1)
    assert stats["stats"]["leadership"] == 13


def test_the_same_task_id_returns_the_first_result(committing_bot):
    first = committing_bot.post(TASKS, a_task(), format="json").json()
    again = committing_bot.post(TASKS, a_task(difficulty=5, outcome="failure"), format="json")

    assert again.status_code == 200
    assert again.json() == first
    assert committing_bot.get(STATS).json()["experience"] == 60


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"task_type": "juggling"}, "task_type"),
        ({"difficulty": 0}, "difficulty"),
        ({"difficulty": 6}, "difficulty"),
        ({"difficulty": "3"}, "difficulty"),
        ({"outcome": "maybe"}, "outcome"),
        ({"task_id": ""}, "task_id"),
        ({"bonus": 1}, "bonus"),
    ],
)
def test_bad_tasks_get_400_naming_the_field(bot_client, overrides, field):
    response = bot_client.post(TASKS, a_task(**overrides), format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert bot_client.get(STATS).json()["experience"] == 0


def test_manual_points_are_spent_through_the_api(committing_bot):
    services.stats_set_allocation_mode(robeing_id="rb8001", mode="manual")
    committing_bot.post(TASKS, a_task(task_type="team_report", difficulty=5), format="json")

    response = committing_bot.post(ALLOCATE, {"points": {"memory": 2, "ethics": 1}}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["unspent_points"] == 0
    assert (body["stats"]["memory"], body["stats"]["ethics"]) == (12, 11)


@pytest.mark.parametrize(
    ("points", "field"),
    [
        ({"charm": 1}, "points.charm"),
        ({"memory": -1}, "points.memory"),
        ({}, "points"),
    ],
)
def test_bad_allocations_get_400(committing_bot, points, field):
    services.stats_set_allocation_mode(robeing_id="rb8001", mode="manual")
    committing_bot.post(TASKS, a_task(task_type="team_report", difficulty=5), format="json")

    response = committing_bot.post(ALLOCATE, {"points": points}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert committing_bot.get(STATS).json()["unspent_points"] == 3


def test_more_points_than_are_unspent_is_a_409_that_changes_nothing(committing_bot):
    services.stats_set_allocation_mode(robeing_id="rb8001", mode="manual")
    committing_bot.post(TASKS, a_task(task_type="team_report", difficulty=5), format="json")

    response = committing_bot.post(ALLOCATE, {"points": {"memory": 9}}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "not_enough_points"
    assert response.json()["errors"][0]["field"] == "points"
    assert committing_bot.get(STATS).json()["unspent_points"] == 3


def test_the_ledger_lists_xp_events_newest_first(committing_bot):
    committing_bot.post(TASKS, a_task(task_id="a", difficulty=1), format="json")
    committing_bot.post(TASKS, a_task(task_id="b", difficulty=2), format="json")

    body = committing_bot.get(XP_EVENTS, {"page_size": 1}).json()
    rest = committing_bot.get(body["next"]).json()

    assert [e["source_key"] for e in body["results"] + rest["results"]] == ["task:b", "task:a"]
    assert body["results"][0]["amount"] == 40


@pytest.mark.parametrize("url", [STATS, XP_EVENTS])
def test_reads_reject_another_robeings_key(other_bot_client, url):
    assert other_bot_client.get(url).status_code == 403


@pytest.mark.parametrize("url", [TASKS, ALLOCATE])
def test_writes_reject_another_robeings_key(other_bot_client, url):
    assert other_bot_client.post(url, a_task(), format="json").status_code == 403


@pytest.mark.parametrize("url", [STATS, XP_EVENTS])
def test_reads_need_a_key(client, robeing, url):
    assert client.get(url).status_code == 401


def test_context_returns_more_turns_as_memory_grows(
    committing_bot, robeing, django_capture_on_commit_callbacks
):
    for _ in range(40):
        ConversationLogFactory(robeing=robeing, channel_id="C1")
    context = "/api/v1/robeings/rb8001/context/"
    assert committing_bot.get(context, {"channel_id": "C1"}).json()["limit"] == 20

    RobeingStats.objects.filter(robeing_id="rb8001").update(memory_stat=25)
    with django_capture_on_commit_callbacks(execute=True):  # any write bumps the cache
        services.stats_set_allocation_mode(robeing_id="rb8001", mode="task_based")

    body = committing_bot.get(context, {"channel_id": "C1"}).json()
    assert body["limit"] == 35
    assert len(body["turns"]) == 35
