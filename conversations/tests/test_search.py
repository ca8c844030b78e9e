"""The log search for short terms, the bounded thread window, and the plans
the console's indexes give at scale."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from conversations import selectors
from conversations.models import ConversationLog
from conversations.tests.factories import ConversationLogFactory

pytestmark = pytest.mark.django_db
T0 = timezone.now() - dt.timedelta(days=1)


def found(term: str) -> set[int]:
    return set(
        selectors.conversation_search(ConversationLog.objects.all(), term).values_list(
            "id", flat=True
        )
    )


def test_it_finds_a_two_character_korean_word_in_messages_and_responses(robeing):
    asked = ConversationLogFactory(robeing=robeing, message="환불 요청합니다", response="네")
    answered = ConversationLogFactory(
        robeing=robeing, message="주문 취소", response="전액환불 처리했습니다"
    )
    ConversationLogFactory(robeing=robeing, message="환율 알려줘", response="불안정합니다")
    ConversationLogFactory(robeing=robeing, message="불환", response="환 불")

    assert found("환불") == {asked.id, answered.id}


def test_it_finds_a_one_character_term_and_no_other(robeing):
    money = ConversationLogFactory(robeing=robeing, message="돈 보내줘", response="네")
    ConversationLogFactory(robeing=robeing, message="일정 알려줘", response="오후 3시입니다")

    assert found("돈") == {money.id}


def test_a_short_latin_term_matches_regardless_of_case(robeing):
    upper = ConversationLogFactory(robeing=robeing, message="AI 뉴스 알려줘", response="")
    lower = ConversationLogFactory(robeing=robeing, message="news", response="new ai rules")
    ConversationLogFactory(robeing=robeing, message="A I", response="a-i")

    assert found("ai") == {upper.id, lower.id}
    assert found(" Ai ") == {upper.id, lower.id}


def test_a_short_term_never_matches_across_message_and_response(robeing):
    # The index joins the two columns with a space; a term has none in it.
    ConversationLogFactory(robeing=robeing, message="보고", response="서류")

    assert found("고서") == set()


def test_a_short_term_still_matches_an_exact_slack_user_or_thread(robeing):
    by_user = ConversationLogFactory(robeing=robeing, slack_user_id="U7", message="x")
    by_thread = ConversationLogFactory(robeing=robeing, thread_ts="U7", message="y")

    assert found("U7") == {by_user.id, by_thread.id}


def test_a_longer_term_is_a_substring_search_as_before(robeing):
    hit = ConversationLogFactory(robeing=robeing, message="분기 보고서 회의", response="")
    ConversationLogFactory(robeing=robeing, message="보고 서류", response="")

    assert found("보고서") == {hit.id}


def thread_of(robeing, count: int, **where) -> list[ConversationLog]:
    where = {"channel_id": "D1", "channel_type": "im", "thread_ts": "", **where}
    return [
        ConversationLogFactory(
            robeing=robeing, message=f"턴 {i}", timestamp=T0 + dt.timedelta(seconds=i), **where
        )
        for i in range(count)
    ]


def test_the_thread_of_a_turn_in_a_long_dm_is_a_window_around_it(robeing):
    turns = thread_of(robeing, 120)
    middle = turns[60]

    shown = selectors.conversation_thread(turn=middle)

    assert [t.id for t in shown] == [t.id for t in turns[35:86]]


def test_the_window_takes_more_before_the_newest_turn(robeing):
    turns = thread_of(robeing, 120)

    shown = selectors.conversation_thread(turn=turns[-1])

    assert [t.id for t in shown] == [t.id for t in turns[-51:]]


def test_a_short_thread_is_shown_whole_and_alone(robeing, other_robeing):
    turns = thread_of(robeing, 5, channel_id="C1", channel_type="channel", thread_ts="1.000100")
    thread_of(robeing, 3, channel_id="C1", channel_type="channel", thread_ts="2.000200")
    thread_of(other_robeing, 3, channel_id="C1", channel_type="channel", thread_ts="1.000100")

    shown = selectors.conversation_thread(turn=turns[2])

    assert [t.id for t in shown] == [t.id for t in turns]


HISTORY = "/api/v1/robeings/rb8001/conversations/"


def test_the_history_api_filters_by_intent_within_the_robeing(bot_client, robeing, other_robeing):
    emails = [
        ConversationLogFactory(robeing=robeing, intent="email", timestamp=T0 + dt.timedelta(i))
        for i in range(3)
    ]
    ConversationLogFactory(robeing=robeing, intent="schedule")
    ConversationLogFactory(robeing=other_robeing, intent="email")

    body = bot_client.get(HISTORY, {"intent": "email", "page_size": 2}).json()
    rest = bot_client.get(body["next"]).json()

    assert [t["id"] for t in body["results"] + rest["results"]] == [t.id for t in reversed(emails)]
    assert bot_client.get(HISTORY, {"intent": "refund"}).json()["results"] == []


def plan(queryset, *, bitmap_only: bool = False) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test table is tiny: make the planner choose as it would for millions.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if bitmap_only:
            # Else, once autovacuum has analysed the tiny table, a walk of any
            # b-tree with a filter may look as cheap as the gram index.
            cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgresql
def test_a_two_character_search_reads_the_gram_index(robeing):
    queryset = selectors.conversation_search(ConversationLog.objects.all(), "환불")

    assert "conv_search_grams_idx" in plan(queryset, bitmap_only=True)


@pytest.mark.postgresql
def test_an_intent_filter_reads_an_intent_index(robeing):
    across = ConversationLog.objects.filter(intent="refund").order_by("-timestamp", "-id")
    history = selectors.conversation_history(robeing_id="rb8001", intent="refund")

    assert "conv_intent_time_idx" in plan(across[:50])
    assert "conv_robeing_intent_time_idx" in plan(history[:50])


@pytest.mark.postgresql
def test_the_newest_low_confidence_turns_read_the_partial_index(robeing):
    newest = ConversationLog.objects.filter(confidence__lt=0.5).order_by("-timestamp", "-id")

    assert "conv_low_confidence_idx" in plan(newest[:20])
