"""The Celery entry point of the aggregation (the beat job)."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from conversations import services as conversation_services
from conversations.schemas import TurnIn
from robeing_site.celery import app
from stats.models import RobeingStats
from stats.tasks import aggregate_conversation_stats

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    # The app reads Django settings under the CELERY_ namespace, so the override
    # has to use the namespaced name.
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = False


def test_the_task_counts_everything_re_queuing_itself_while_a_backlog_is_left(
    robeing, settings, eager
):
    settings.STATS_AGGREGATION_BATCH_SIZE = 10
    settings.STATS_AGGREGATION_MAX_BATCHES = 2  # 20 per run: 45 turns need 3 runs
    turns = [TurnIn(message=f"안녕 {i}") for i in range(45)]
    conversation_services.conversation_turns_record(robeing_id="rb8001", turns=turns)

    aggregate_conversation_stats.delay()

    stats = RobeingStats.objects.get(robeing_id="rb8001")
    assert (stats.total_conversations, stats.experience) == (45, 45)


def test_the_task_is_registered_under_the_name_the_schedule_uses():
    scheduled = PeriodicTask.objects.get(task__startswith="stats.").task
    assert scheduled in app.tasks
