"""The operators' log browser in the Django admin."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conversations import selectors
from conversations.models import ConversationLog
from conversations.tests.factories import ConversationLogFactory

pytestmark = pytest.mark.django_db
LIST = "/admin/conversations/conversationlog/"
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


@pytest.fixture
def operator(client, staff_user):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_conversationlog"))
    client.force_login(staff_user)
    return client


@pytest.fixture
def root(client, superuser):
    client.force_login(superuser)
    return client


def test_it_lists_turns_newest_first(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="먼저 온 질문")
    ConversationLogFactory(robeing=robeing, message="나중에 온 질문")

    page = operator.get(LIST).content.decode()

    assert page.index("나중에 온 질문") < page.index("먼저 온 질문")


def test_it_finds_a_turn_by_a_word_in_its_response(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="일정", response="오후 3시에 분기 보고서 회의")
    ConversationLogFactory(robeing=robeing, message="날씨", response="맑음")

    page = operator.get(LIST, {"q": "보고서"}).content.decode()

    assert "일정" in page
    assert "날씨" not in page


def test_it_finds_turns_by_exact_slack_user_id(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="찾는 사람", slack_user_id="U0TARGET1")
    ConversationLogFactory(robeing=robeing, message="다른 사람", slack_user_id="U0TARGET12")

    page = operator.get(LIST, {"q": "U0TARGET1"}).content.decode()

    assert "찾는 사람" in page
    assert "다른 사람" not in page


def test_it_filters_by_robeing_and_intent(operator, robeing, other_robeing):
    ConversationLogFactory(robeing=robeing, message="mine email", intent="email")
    ConversationLogFactory(robeing=robeing, message="mine news", intent="news")
    ConversationLogFactory(robeing=other_robeing, message="theirs email", intent="email")

    page = operator.get(LIST, {"robeing": "rb8001", "intent": "email"}).content.decode()

    assert "mine email" in page
    assert "mine news" not in page
    assert "theirs email" not in page


def test_it_filters_by_date_range_in_seoul_time(operator, robeing):
    # 2025-08-18 00:30 in Seoul is 2025-08-17 15:30 UTC: it belongs to the 18th.
    ConversationLogFactory(
        robeing=robeing,
        message="자정 직후",
        timestamp=dt.datetime(2025, 8, 18, 0, 30, tzinfo=SEOUL),
    )
    ConversationLogFactory(
        robeing=robeing, message="전날 밤", timestamp=dt.datetime(2025, 8, 17, 23, 30, tzinfo=SEOUL)
    )

    page = operator.get(LIST, {"date_from": "2025-08-18", "date_to": "2025-08-18"}).content.decode()

    assert "자정 직후" in page
    assert "전날 밤" not in page


def test_a_malformed_date_does_not_break_the_page(operator, robeing):
    response = operator.get(LIST, {"date_from": "18/08/2025"})

    assert response.status_code in (200, 302)


def test_it_shows_the_whole_thread_in_order(operator, robeing):
    thread = {"robeing": robeing, "channel_id": "C1", "thread_ts": "1724041200.000100"}
    first = ConversationLogFactory(message="첫 번째 질문", **thread)
    second = ConversationLogFactory(message="두 번째 질문", **thread)
    ConversationLogFactory(robeing=robeing, channel_id="C1", message="다른 스레드")

    page = operator.get(f"{LIST}{second.id}/change/").content.decode()
    thread_part = page[page.index('id="thread"') :]

    assert thread_part.index("첫 번째 질문") < thread_part.index("두 번째 질문")
    assert "다른 스레드" not in page
    assert f"{LIST}{first.id}/change/" in page


def test_it_does_not_let_operators_change_a_turn(operator, robeing):
    turn = ConversationLogFactory(robeing=robeing, message="원문")

    response = operator.post(f"{LIST}{turn.id}/change/", {"message": "고친 글"})

    assert response.status_code == 403
    assert ConversationLog.objects.get(id=turn.id).message == "원문"


def test_it_hides_delete_from_operators(operator, robeing):
    turn = ConversationLogFactory(robeing=robeing)

    assert "delete_selected" not in operator.get(LIST).content.decode()
    assert operator.post(f"{LIST}{turn.id}/delete/", {"post": "yes"}).status_code == 403
    assert ConversationLog.objects.filter(id=turn.id).exists()


def test_it_lets_a_superuser_delete(root, robeing):
    turn = ConversationLogFactory(robeing=robeing)

    response = root.post(f"{LIST}{turn.id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ConversationLog.objects.filter(id=turn.id).exists()


def test_a_user_without_view_permission_cannot_see_logs(client, robeing):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(LIST).status_code == 403


def test_the_list_costs_the_same_queries_for_5_or_50_rows(operator, robeing):
    people = [UserFactory() for _ in range(5)]
    for i in range(5):
        ConversationLogFactory(robeing=robeing, user=people[i])
    with CaptureQueriesContext(connection) as few:
        operator.get(LIST)
    for i in range(45):
        ConversationLogFactory(robeing=robeing, user=people[i % 5])
    with CaptureQueriesContext(connection) as many:
        operator.get(LIST)

    assert len(many.captured_queries) == len(few.captured_queries)


def test_it_does_not_count_the_whole_table(operator, robeing):
    ConversationLogFactory(robeing=robeing)

    with CaptureQueriesContext(connection) as queries:
        operator.get(LIST)

    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the page shows a count"
    assert all("LIMIT" in sql.upper() for sql in counts)


def test_a_bounded_count_reads_about_n_turns(operator, robeing, monkeypatch):
    from conversations import admin as conversation_admin

    monkeypatch.setattr(conversation_admin, "COUNT_BOUND", 3)
    for _ in range(5):
        ConversationLogFactory(robeing=robeing)

    page = operator.get(LIST, {"robeing": "rb8001"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    korean = operator.get(LIST, {"robeing": "rb8001"}).content.decode()

    assert "about 4 turns" in page
    assert "약 4턴" in korean  # Korean operators by default


@pytest.mark.postgresql
def test_substring_search_uses_the_trigram_index(robeing):
    queryset = selectors.conversation_search(ConversationLog.objects.all(), "회의")
    sql, params = queryset.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "conv_message_trgm_idx" in plan
    assert "conv_response_trgm_idx" in plan
