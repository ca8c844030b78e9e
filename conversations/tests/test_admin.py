"""The operators' log browser in the Django admin."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conversations import admin as conversation_admin
from conversations import selectors
from conversations.admin import ConversationLogAdmin
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

    assert "<h1>대화 기록</h1>" in page
    assert page.index("나중에 온 질문") < page.index("먼저 온 질문")


def test_it_shows_who_said_what_in_each_row(operator, robeing):
    person = UserFactory(display_name="김민준")
    ConversationLogFactory(
        robeing=robeing, user=person, message="회의실 예약해줘", intent="booking"
    )
    ConversationLogFactory(
        robeing=robeing, user=None, slack_user_id="U0NOBODY1", message="가" * 100
    )

    page = operator.get(LIST).content.decode()

    assert "김민준" in page
    assert "U0NOBODY1" in page  # no account yet: the Slack id instead
    assert "가" * 59 + "…" in page
    assert "가" * 61 not in page
    assert "booking" in page
    assert "rb8001" in page


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
    assert "2025-08-18 00:30:00" in page  # and the list shows Seoul time too
    assert "전날 밤" not in page


def test_it_filters_by_channel_type(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="DM으로 물어봄", channel_type="im")
    ConversationLogFactory(robeing=robeing, message="채널에서 물어봄", channel_type="channel")

    page = operator.get(LIST, {"channel_type__exact": "im"}).content.decode()

    assert "DM으로 물어봄" in page
    assert "채널에서 물어봄" not in page


def test_the_filter_forms_keep_the_search_and_the_other_filters(operator, robeing):
    page = operator.get(LIST, {"q": "회의", "robeing": "rb8001"}).content.decode()

    # The intent box and the date form each resubmit the search and the robeing.
    assert page.count('<input type="hidden" name="q" value="회의">') >= 2
    assert page.count('<input type="hidden" name="robeing" value="rb8001">') >= 2


def test_it_sorts_only_by_time(operator, robeing):
    ConversationLogFactory(robeing=robeing)

    page = operator.get(LIST).content.decode()

    # The other columns have no index in list order: a click would sort the table.
    assert 'class="sortable column-when' in page
    assert 'class="column-intent"' in page
    assert 'class="column-confidence"' in page


def test_a_malformed_date_does_not_break_the_page(operator, robeing):
    response = operator.get(LIST, {"date_from": "18/08/2025"})

    assert response.status_code in (200, 302)


def test_it_shows_the_whole_thread_in_order(operator, robeing):
    thread = {"robeing": robeing, "channel_id": "C1", "thread_ts": "1724041200.000100"}
    # 15:30 UTC on the 17th is 00:30 on the 18th in Seoul.
    first = ConversationLogFactory(
        message="첫 번째 질문", timestamp=dt.datetime(2025, 8, 17, 15, 30, tzinfo=dt.UTC), **thread
    )
    second = ConversationLogFactory(message="두 번째 질문", **thread)
    third = ConversationLogFactory(message="세 번째 질문", **thread)
    ConversationLogFactory(robeing=robeing, channel_id="C1", message="다른 스레드")

    page = operator.get(f"{LIST}{second.id}/change/").content.decode()
    thread_part = page[page.index('id="thread"') :]

    assert thread_part.index("첫 번째 질문") < thread_part.index("두 번째 질문")
    assert thread_part.index("두 번째 질문") < thread_part.index("세 번째 질문")
    assert "다른 스레드" not in page
    assert f"{LIST}{first.id}/change/" in thread_part
    assert f"{LIST}{third.id}/change/" in thread_part
    assert "2025-08-18 00:30:00" in thread_part
    highlighted = thread_part[thread_part.index('aria-current="true"') :]
    assert highlighted.index("두 번째 질문") < highlighted.index("</tr>")


def test_a_long_conversation_shows_the_turns_around_this_one(operator, robeing, monkeypatch):
    monkeypatch.setattr(selectors, "THREAD_PAGE_MAX_TURNS", 2)
    dm = {"robeing": robeing, "channel_id": "D1", "channel_type": "im", "thread_ts": ""}
    ConversationLogFactory(message="오래된 첫 질문", **dm)
    ConversationLogFactory(message="오래된 둘째 질문", **dm)
    latest = ConversationLogFactory(message="최근 질문", **dm)
    ConversationLogFactory(robeing=robeing, channel_id="D2", thread_ts="", message="다른 DM")

    page = operator.get(f"{LIST}{latest.id}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    whole = f"{LIST}?robeing=rb8001&amp;channel_id=D1&amp;thread_ts="

    thread_part = page[page.index('id="thread"') :]
    assert "Only the 2 turns around this one are shown." in page
    assert "최근 질문" in thread_part and "오래된 둘째 질문" in thread_part
    assert "오래된 첫 질문" not in thread_part
    assert "This turn is not among them." not in page
    assert whole in page
    listed = operator.get(whole.replace("&amp;", "&")).content.decode()
    assert all(m in listed for m in ("오래된 첫 질문", "오래된 둘째 질문", "최근 질문"))
    assert "다른 DM" not in listed


def test_it_shows_metadata_as_readable_json(operator, robeing):
    turn = ConversationLogFactory(robeing=robeing, metadata={"files": 2, "channel": "일반"})

    page = operator.get(f"{LIST}{turn.id}/change/").content.decode()

    assert "{\n  &quot;channel&quot;: &quot;일반&quot;,\n  &quot;files&quot;: 2\n}" in page


def test_it_does_not_let_operators_change_a_turn(operator, robeing):
    turn = ConversationLogFactory(robeing=robeing, message="원문")

    page = operator.get(f"{LIST}{turn.id}/change/").content.decode()
    response = operator.post(f"{LIST}{turn.id}/change/", {"message": "고친 글"})

    assert "원문" in page
    assert 'name="_save"' not in page
    assert response.status_code == 403
    assert ConversationLog.objects.get(id=turn.id).message == "원문"


def test_it_hides_delete_from_operators(operator, robeing):
    turn = ConversationLogFactory(robeing=robeing)

    assert "delete_selected" not in operator.get(LIST).content.decode()
    assert operator.post(f"{LIST}{turn.id}/delete/", {"post": "yes"}).status_code == 403
    assert ConversationLog.objects.filter(id=turn.id).exists()


def test_it_lets_a_superuser_delete(root, robeing):
    turn = ConversationLogFactory(robeing=robeing)

    assert "delete_selected" in root.get(LIST).content.decode()
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


def test_a_long_filtered_list_says_n_plus_not_a_made_up_number(operator, robeing, monkeypatch):
    monkeypatch.setattr(conversation_admin, "COUNT_BOUND", 3)
    for _ in range(5):
        ConversationLogFactory(robeing=robeing)

    english = operator.get(LIST, {"robeing": "rb8001"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    korean = operator.get(LIST, {"robeing": "rb8001"}).content.decode()

    assert "3+ conversation log" in english
    assert "3+ 대화 기록" in korean  # Korean operators by default
    # Neither the paginator nor the search bar shows the bounded count as exact.
    assert "4 results" not in english and "4 conversation log" not in english
    assert "결과 4개" not in korean


def test_a_search_counts_only_its_first_matches_and_says_how_to_see_the_rest(
    operator, robeing, monkeypatch
):
    monkeypatch.setattr(conversation_admin, "SEARCH_COUNT_BOUND", 3)
    for _ in range(5):
        ConversationLogFactory(robeing=robeing, message="환불 요청")

    searched = operator.get(LIST, {"q": "환불"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    filtered = operator.get(LIST, {"robeing": "rb8001"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    korean = operator.get(LIST, {"q": "환불"}).content.decode()

    assert "3+ conversation log" in searched
    assert "narrow it with more words or the filters, or export the CSV" in searched
    assert searched.count("환불 요청") == 5  # the page itself still shows every match
    # A filter keeps the long count, and no hint.
    assert "5 conversation log" in filtered and 'id="search-more"' not in filtered
    assert "3+ 대화 기록" in korean and 'id="search-more"' in korean
    assert "narrow it with more words" not in korean  # translated


def test_it_does_not_offer_to_select_every_turn(root, robeing, monkeypatch):
    monkeypatch.setattr(ConversationLogAdmin, "list_per_page", 2)
    for _ in range(3):
        ConversationLogFactory(robeing=robeing)

    page = root.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "delete_selected" in page
    # Django would offer "Select all 3 conversation log" across pages: a count
    # we do not really know, and a delete of the whole table.
    assert 'class="question' not in page
    assert "Select all 3" not in page


@pytest.mark.postgresql
def test_an_unfiltered_list_shows_the_planner_estimate_without_counting(
    operator, robeing, monkeypatch
):
    monkeypatch.setattr(conversation_admin, "_estimated_rows", lambda table: 2_000_000)
    ConversationLogFactory(robeing=robeing, message="최신 질문")

    with CaptureQueriesContext(connection) as queries:
        page = operator.get(LIST).content.decode()

    assert "약 2,000,000턴" in page
    assert "최신 질문" in page
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.postgresql
def test_the_planner_estimate_comes_from_pg_class(robeing):
    ConversationLogFactory.create_batch(37, robeing=robeing)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE conversation_log")  # what autovacuum does on a real table

    assert conversation_admin._estimated_rows("conversation_log") == 37


@pytest.mark.postgresql
def test_a_table_never_analysed_reads_as_an_estimate_of_zero(robeing):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE never_analysed (id int)")
        cursor.execute("INSERT INTO never_analysed SELECT generate_series(1, 10)")

    # pg_class says -1: the admin then falls back to a bounded count.
    assert conversation_admin._estimated_rows("never_analysed") == 0


@pytest.mark.postgresql
def test_substring_search_uses_the_trigram_index(robeing):
    # Three characters or more: shorter terms go to the gram index (test_search).
    queryset = selectors.conversation_search(ConversationLog.objects.all(), "회의실")
    sql, params = queryset.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "conv_message_trgm_idx" in plan
    assert "conv_response_trgm_idx" in plan


# --- confidence ranges, the response column, links from the dashboard ---------


def _in_order(confidences: list[float | None]) -> list[float | None]:
    return sorted(confidences, key=lambda c: (c is not None, c or 0))


def _confidences_listed(client, params: dict) -> list[float | None]:
    page = client.get(LIST, params, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    found = re.findall(r'<td class="field-confidence">([^<]*)</td>', page)
    return _in_order([None if value == "-" else float(value) for value in found])


@pytest.fixture
def graded_turns(robeing):
    for confidence in (0.1, 0.3, 0.49, 0.5, 0.79, 0.8, 1.0, None):
        ConversationLogFactory(robeing=robeing, confidence=confidence)


@pytest.mark.parametrize(
    ("params", "listed"),
    [
        ({"confidence_below": "0.3"}, [0.1]),
        ({"confidence_below": "0.5"}, [0.1, 0.3, 0.49]),
        ({"confidence_min": "0.5", "confidence_below": "0.8"}, [0.5, 0.79]),
        ({"confidence_min": "0.8"}, [0.8, 1.0]),
        ({"confidence": "none"}, [None]),
        # The free form: both ends included, so "max 1" keeps the sure turns.
        ({"confidence_min": "0.3", "confidence_max": "0.5"}, [0.3, 0.49, 0.5]),
        ({"confidence_max": "1"}, [0.1, 0.3, 0.49, 0.5, 0.79, 0.8, 1.0]),
        ({"confidence_min": "", "confidence_max": ""}, [None, 0.1, 0.3, 0.49, 0.5, 0.79, 0.8, 1.0]),
    ],
    ids=["below-0.3", "below-0.5", "0.5-0.8", "0.8-up", "none", "min-max", "max-1", "empty-form"],
)
def test_it_filters_by_confidence_range(operator, graded_turns, params, listed):
    assert _confidences_listed(operator, params) == _in_order(listed)


def test_the_confidence_panel_offers_the_ranges_and_marks_the_chosen_one(operator, robeing):
    korean = operator.get(LIST, {"confidence_below": "0.5", "robeing": "rb8001"}).content.decode()
    english = operator.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    panel = korean[korean.index('data-filter-title="신뢰도"') :]
    panel = panel[: panel.index("</details>")]
    assert (
        '<li class="selected"><a href="?confidence_below=0.5&amp;robeing=rb8001">0.5 미만</a>'
        in panel
    )
    # A range link replaces the chosen range and keeps the other filters.
    assert (
        '<a href="?confidence_below=0.8&amp;confidence_min=0.5&amp;robeing=rb8001">0.5 이상 0.8 미만</a>'
        in panel
    )
    assert '<a href="?confidence=none&amp;robeing=rb8001">신뢰도 없음</a>' in panel
    assert 'name="confidence_min"' in panel and 'name="confidence_max"' in panel
    # The min/max form resubmits the robeing but not the range it replaces.
    assert '<input type="hidden" name="robeing" value="rb8001">' in panel
    assert 'type="hidden" name="confidence_below"' not in panel
    for label in ("below 0.3", "0.5 to 0.8", "0.8 and above", "no confidence", "From 0 to 1"):
        assert label in english


def test_the_confidence_form_shows_the_range_typed_in(operator, robeing):
    page = operator.get(LIST, {"confidence_min": "0.25", "confidence_max": "0.75"}).content.decode()

    assert 'name="confidence_min" value="0.25"' in page
    assert 'name="confidence_max" value="0.75"' in page
    panel = page[page.index('data-filter-title="신뢰도"') :]
    assert '<li class="selected"><a href="?">모두</a>' not in panel  # a range is active


@pytest.mark.parametrize(
    "params",
    [
        {"confidence_below": "abc"},
        {"confidence_below": "1.5"},
        {"confidence_min": "-0.1"},
        {"confidence_max": "nan"},
        {"confidence_min": "inf"},
        {"confidence": "maybe"},
    ],
)
def test_a_bad_confidence_gets_the_invalid_lookup_page_not_an_error(operator, robeing, params):
    response = operator.get(LIST, params)

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?e=1"


def test_the_dashboards_low_confidence_link_lists_that_robeing_period_and_range(
    operator, robeing, other_robeing
):
    day = dt.datetime(2026, 11, 3, 9, 0, tzinfo=SEOUL)
    ConversationLogFactory(robeing=robeing, timestamp=day, confidence=0.2, message="낮은 신뢰 질문")
    ConversationLogFactory(robeing=robeing, timestamp=day, confidence=0.9, message="높은 신뢰 질문")
    ConversationLogFactory(
        robeing=robeing,
        timestamp=day + dt.timedelta(days=30),
        confidence=0.2,
        message="다음 달 질문",
    )
    ConversationLogFactory(
        robeing=other_robeing, timestamp=day, confidence=0.2, message="다른 로빙 질문"
    )
    link = f"{LIST}?robeing=rb8001&date_from=2026-11-01&date_to=2026-11-07&confidence_below=0.5"

    page = operator.get(link).content.decode()

    assert "낮은 신뢰 질문" in page
    assert all(m not in page for m in ("높은 신뢰 질문", "다음 달 질문", "다른 로빙 질문"))


def test_an_intent_link_lists_only_that_intent(operator, robeing):
    ConversationLogFactory(robeing=robeing, intent="schedule", message="일정 질문")
    ConversationLogFactory(robeing=robeing, intent="schedule_change", message="비슷한 의도")
    ConversationLogFactory(robeing=robeing, intent="", message="의도 없음")

    page = operator.get(f"{LIST}?intent=schedule").content.decode()

    assert "일정 질문" in page
    assert "비슷한 의도" not in page and "의도 없음" not in page
    assert 'name="intent" value="schedule"' in page  # the box shows what is filtered


def test_it_shows_the_response_beside_the_message_truncated(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="환불 규정 알려줘", response="답" * 100)
    ConversationLogFactory(robeing=robeing, message="", response="메시지 없는 응답")

    page = operator.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<th scope="col" class="column-response_excerpt">' in page
    assert ">Response<" in page
    assert '<td class="field-response_excerpt">' + "답" * 59 + "…</td>" in page
    assert "답" * 61 not in page
    assert '<td class="field-response_excerpt">메시지 없는 응답</td>' in page


def test_a_crafted_sort_on_an_unindexed_column_keeps_the_time_order(operator, robeing):
    ConversationLogFactory(robeing=robeing, intent="a_first_alphabetically", message="나중 질문")
    ConversationLogFactory(robeing=robeing, intent="z_last", message="최신 질문")
    intent_column = ConversationLogAdmin.list_display.index("intent")

    page = operator.get(LIST, {"o": str(intent_column)}).content.decode()

    assert page.index("최신 질문") < page.index("나중 질문")


def test_the_list_links_to_a_csv_of_the_same_filters_without_the_page(operator, robeing):
    ConversationLogFactory(robeing=robeing)

    page = operator.get(LIST, {"robeing": "rb8001", "q": "회의", "p": "1"}).content.decode()

    assert f'<a href="{LIST}export/?robeing=rb8001&amp;q=%ED%9A%8C%EC%9D%98"' in page
    assert "CSV로 내보내기" in page


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)  # so that the page's transaction really ends
def test_the_list_reads_its_turns_without_parallel_workers(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="환불 문의")

    with CaptureQueriesContext(connection) as queries:
        page = operator.get(LIST, {"q": "환불"}).content.decode()

    sqls = [q["sql"] for q in queries.captured_queries]
    serial = next(i for i, sql in enumerate(sqls) if "max_parallel_workers_per_gather" in sql)
    reads = [i for i, sql in enumerate(sqls) if 'FROM "conversation_log"' in sql]
    assert reads and min(reads) > serial  # the count and the page, both after the SET
    assert "환불 문의" in page
    with connection.cursor() as cursor:  # SET LOCAL: gone with the page's transaction
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] != "0"


def test_a_rows_links_carry_the_lists_filters_to_the_turn_and_back(root, robeing):
    turn = ConversationLogFactory(robeing=robeing, message="필터 유지")

    page = root.get(LIST, {"robeing": "rb8001", "q": "필터"}).content.decode()
    unfiltered = root.get(LIST).content.decode()

    change = f"/admin/conversations/conversationlog/{turn.id}/change/"
    back = "_changelist_filters=robeing%3Drb8001%26q%3D%25ED%2595%2584%25ED%2584%25B0"
    # As Django makes them, the time and the message.
    assert page.count(f'href="{change}?{back}"') == 2
    assert unfiltered.count(f'href="{change}"') == 2
    # The checkbox of the delete action, one per row.
    assert f'name="_selected_action" value="{turn.id}" class="action-select"' in page
