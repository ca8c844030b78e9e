"""The rollups follow the log exactly: each counted turn once, a crash adds
nothing, a rebuild gives what the increments gave, an erasure takes the
person out, archiving leaves the counts alone."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from analytics import services
from analytics.models import (
    ConfidenceRollup,
    FleetQuestionRollup,
    FleetTurnRollup,
    QuestionRollup,
    RobeingDayRollup,
    TurnRollup,
)
from analytics.questions import question_normalise
from conversations.archiving import months
from conversations.models import ConversationLog, UncountedTurn
from conversations.tests.factories import ConversationLogFactory
from jobs import services as job_services
from stats import services as stats_services

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def at(day: str, hour: int) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, 15), SEOUL)


def turn(robeing, when: dt.datetime, **fields) -> ConversationLog:
    return ConversationLogFactory(robeing=robeing, timestamp=when, **fields)


def snapshot() -> dict:
    """Everything the rollups hold, comparable between two runs."""
    return {
        "turns": sorted(
            TurnRollup.objects.values_list(
                "robeing_id",
                "day",
                "hour",
                "intent",
                "channel_type",
                "turns",
                "low_confidence_turns",
                "confidence_turns",
            )
        ),  # fmt: skip
        "buckets": sorted(
            ConfidenceRollup.objects.values_list("robeing_id", "day", "bucket", "turns")
        ),
        "questions": sorted(
            QuestionRollup.objects.values_list("robeing_id", "day", "text", "turns")
        ),
        "fleet": sorted(FleetTurnRollup.objects.values_list("day", "hour", "intent", "turns")),
        "fleet_questions": sorted(FleetQuestionRollup.objects.values_list("day", "text", "turns")),
        "robeing_days": sorted(RobeingDayRollup.objects.values_list("robeing_id", "day", "turns")),
    }


def test_the_aggregation_adds_each_new_turn_to_the_rollups_once(robeing, other_robeing):
    # 23:30 UTC on the 1st is 08:30 on the 2nd in Seoul: days and hours are Seoul's.
    turn(
        robeing, dt.datetime(2026, 11, 1, 23, 30, tzinfo=dt.UTC), intent="schedule", confidence=0.3
    )
    turn(robeing, at("2026-11-02", 8), intent="schedule", confidence=0.9)
    turn(other_robeing, at("2026-11-02", 14), intent="news", confidence=None, channel_type="im")

    stats_services.conversation_stats_aggregate()
    stats_services.conversation_stats_aggregate()  # a second run finds nothing new

    rows = snapshot()["turns"]
    assert rows == [
        ("rb10508", dt.date(2026, 11, 2), 14, "news", "im", 1, 0, 0),
        ("rb8001", dt.date(2026, 11, 2), 8, "schedule", "channel", 2, 1, 2),
    ]
    assert TurnRollup.objects.get(robeing_id="rb8001").confidence_sum == pytest.approx(1.2)
    assert snapshot()["buckets"] == [
        ("rb8001", dt.date(2026, 11, 2), 30, 1),
        ("rb8001", dt.date(2026, 11, 2), 90, 1),
    ]


def test_a_batch_that_fails_leaves_neither_claim_nor_rollup(robeing, monkeypatch):
    turn(robeing, at("2026-11-02", 9))

    def crash(turns):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(stats_services, "_counted_turn_steps", [services.rollups_add, crash])
    with pytest.raises(RuntimeError):
        stats_services.conversation_stats_aggregate()

    assert TurnRollup.objects.count() == 0
    assert UncountedTurn.objects.count() == 1
    monkeypatch.setattr(stats_services, "_counted_turn_steps", [services.rollups_add])
    stats_services.conversation_stats_aggregate()
    assert TurnRollup.objects.aggregate(n=Sum("turns"))["n"] == 1


def test_the_same_question_asked_differently_counts_as_one(robeing):
    for message in ["회의 일정 알려줘?", "  회의   일정 알려줘!!", "Meeting at 3?", "meeting AT 3"]:
        turn(robeing, at("2026-11-02", 10), message=message)
    turn(robeing, at("2026-11-03", 10), message="회의 일정, 알려줘")

    stats_services.conversation_stats_aggregate()

    by_text = dict(
        QuestionRollup.objects.values("text").annotate(n=Sum("turns")).values_list("text", "n")
    )
    assert by_text == {"회의 일정 알려줘": 3, "meeting at 3": 2}


def test_masked_placeholders_stay_as_they_are_in_a_question():
    assert question_normalise("[PHONE]로 연락 주세요.") == "[PHONE]로 연락 주세요"
    assert question_normalise("Mail [EMAIL], OK?") == "mail [EMAIL] ok"
    assert question_normalise("?!...") == ""
    assert question_normalise("How’s the weather?") == "hows the weather"


def test_a_confidence_on_a_bucket_edge_is_not_below_its_own_threshold():
    assert services.confidence_bucket(0.29) == 29
    assert services.confidence_bucket(0.5) == 50
    assert services.confidence_bucket(1.0) == 99
    assert services.confidence_bucket(0.0) == 0


def test_a_backfill_gives_exactly_what_the_aggregation_gave(robeing, other_robeing):
    for n in range(30):
        turn(
            [robeing, other_robeing][n % 2],
            at("2026-10-30", 0) + dt.timedelta(hours=7 * n),
            intent=["schedule", "news", "email"][n % 3],
            confidence=(n % 10) / 10,
            message=f"질문 {n % 4}",
        )
    stats_services.conversation_stats_aggregate()
    incremental = snapshot()
    for model in (TurnRollup, ConfidenceRollup, QuestionRollup, FleetTurnRollup, RobeingDayRollup):
        model.objects.all().delete()

    call_command("analytics_backfill", "--since", "2026-10-01", "--until", "2026-11-30")

    assert snapshot() == incremental


def test_verify_names_the_day_that_drifted_and_repair_fixes_it(robeing):
    turn(robeing, at("2026-11-02", 9))
    turn(robeing, at("2026-11-03", 9))
    stats_services.conversation_stats_aggregate()
    TurnRollup.objects.filter(day=dt.date(2026, 11, 3)).update(turns=5)

    found = services.rollups_verify(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30))
    assert [(d.robeing_id, d.day, d.tables, d.stored_turns, d.counted_turns) for d in found] == [
        ("rb8001", dt.date(2026, 11, 3), ("turns",), 5, 1),
        # ... and the fleet's rows no longer sum what the robeings' hold.
        (
            "(fleet)",
            dt.date(2026, 11, 3),
            ("analytics_fleet_turn_rollup", "analytics_robeing_day_rollup"),
            1,
            5,
        ),
    ]

    services.rollups_verify(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30), repair=True)
    assert services.rollups_verify(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30)) == []
    assert TurnRollup.objects.get(day=dt.date(2026, 11, 3)).turns == 1


def test_turns_not_yet_aggregated_are_not_a_difference(robeing):
    turn(robeing, at("2026-11-02", 9))
    stats_services.conversation_stats_aggregate()
    turn(robeing, at("2026-11-02", 10))  # waits for the next 5-minute run

    assert services.rollups_verify(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30)) == []


def test_a_rebuild_waits_its_turn_while_the_aggregation_runs(robeing, monkeypatch):
    monkeypatch.setattr(services, "LOCK_WAIT_SECONDS", 0)
    with job_services.locked("stats-aggregation"):
        with pytest.raises(job_services.JobAlreadyRunning):
            services.rollups_rebuild(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 2))


def test_archiving_keeps_the_counts_and_a_rebuild_reads_the_archives(robeing):
    old = timezone.now() - dt.timedelta(days=200)
    for n in range(3):
        turn(robeing, old + dt.timedelta(minutes=n), message="오래된 질문")
    turn(robeing, timezone.now() - dt.timedelta(hours=2), message="새 질문")
    stats_services.conversation_stats_aggregate()
    before = snapshot()

    months.archive_conversations(older_than_days=90)
    assert ConversationLog.objects.count() == 1
    assert snapshot() == before

    day = timezone.localdate(old)
    services.rollups_rebuild(since=day - dt.timedelta(days=1), until=timezone.localdate())
    assert snapshot() == before


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_overlapping_aggregation_runs_put_every_turn_in_the_rollups_once(robeing, other_robeing):
    for n in range(400):
        turn([robeing, other_robeing][n % 2], at("2026-11-02", n % 24), intent=f"i{n % 5}")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def aggregate() -> None:
        try:
            barrier.wait(timeout=10)
            stats_services.conversation_stats_aggregate(batch_size=25, max_batches=40)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=aggregate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert TurnRollup.objects.aggregate(n=Sum("turns"))["n"] == 400
    assert QuestionRollup.objects.aggregate(n=Sum("turns"))["n"] == 400
    assert services.rollups_verify(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30)) == []


def test_the_fleet_rows_are_the_sum_of_the_robeings_rows(robeing, other_robeing):
    for n in range(20):
        turn([robeing, other_robeing][n % 2], at("2026-11-02", n % 3), intent=f"i{n % 2}",
             confidence=(n % 10) / 10, message=f"질문 {n % 3}")  # fmt: skip
    stats_services.conversation_stats_aggregate()

    assert sorted(FleetTurnRollup.objects.values_list("hour", "intent", "turns")) == sorted(
        TurnRollup.objects.values("hour", "intent")
        .annotate(n=Sum("turns"))
        .values_list("hour", "intent", "n")
    )
    assert FleetQuestionRollup.objects.aggregate(n=Sum("turns"))["n"] == 20
    assert dict(RobeingDayRollup.objects.values_list("robeing_id", "turns")) == {
        "rb8001": 10, "rb10508": 10,
    }  # fmt: skip
    assert services.rollups_verify(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30)) == []


def test_a_drifted_fleet_row_is_found_and_repaired(robeing):
    turn(robeing, at("2026-11-02", 9))
    stats_services.conversation_stats_aggregate()
    FleetQuestionRollup.objects.update(turns=7)

    found = services.rollups_verify(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30))
    assert [(d.robeing_id, d.tables) for d in found] == [
        ("(fleet)", ("analytics_fleet_question_rollup",))
    ]
    services.rollups_verify(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30), repair=True)
    assert FleetQuestionRollup.objects.get().turns == 1
