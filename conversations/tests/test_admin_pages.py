"""Deep pages of the log browser: found by keyset, the same rows as OFFSET."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.admin import ConversationLogAdmin, KeysetPaginator
from conversations.models import ConversationLog
from conversations.tests.factories import ConversationLogFactory

pytestmark = pytest.mark.django_db
LIST = "/admin/conversations/conversationlog/"
PER_PAGE = 4


@pytest.fixture
def operator(client, staff_user, monkeypatch):
    monkeypatch.setattr(ConversationLogAdmin, "list_per_page", PER_PAGE)
    staff_user.user_permissions.add(Permission.objects.get(codename="view_conversationlog"))
    client.force_login(staff_user)
    return client


@pytest.fixture
def turns(robeing, other_robeing):
    """23 turns of two robeings, three to a second: ties on time that only
    the id orders, and page boundaries that fall inside a tie."""
    start = timezone.now() - dt.timedelta(hours=1)
    return [
        ConversationLogFactory(
            robeing=robeing if i % 4 else other_robeing,
            timestamp=start + dt.timedelta(seconds=i // 3),
            message=f"질문 {i} 환불" if i % 2 else f"질문 {i}",
            confidence=i / 23,
        )
        for i in range(23)
    ]


def _ids_on_page(client, params: dict) -> list[int]:
    page = client.get(LIST, params).content.decode()
    return [
        int(i) for i in re.findall(r'<th class="field-when"><a href="[^"]*/(\d+)/change/', page)
    ]


def _offset_page(queryset, page: int) -> list[int]:
    return list(queryset.values_list("id", flat=True)[(page - 1) * PER_PAGE : page * PER_PAGE])


NEWEST_FIRST = ConversationLog.objects.order_by("-timestamp", "-id")
OLDEST_FIRST = ConversationLog.objects.order_by("timestamp", "id")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, NEWEST_FIRST),
        ({"robeing": "rb8001"}, NEWEST_FIRST.filter(robeing_id="rb8001")),
        ({"q": "환불"}, NEWEST_FIRST.filter(message__contains="환불")),
        ({"confidence_below": "0.5"}, NEWEST_FIRST.filter(confidence__lt=0.5)),
        ({"o": "0"}, OLDEST_FIRST),  # the time column clicked: oldest first
        ({"o": "0", "robeing": "rb10508"}, OLDEST_FIRST.filter(robeing_id="rb10508")),
    ],
    ids=["all", "robeing", "search", "confidence", "oldest-first", "oldest-first-robeing"],
)
def test_every_page_lists_the_rows_offset_would(operator, turns, params, expected):
    pages = -(-expected.count() // PER_PAGE)
    assert pages >= 2

    for page in range(1, pages + 1):
        shown = _ids_on_page(operator, {**params, "p": str(page)})
        assert shown == _offset_page(expected, page), f"page {page}"


def test_a_deep_page_reads_only_the_sort_key_past_the_skipped_rows(operator, turns):
    with CaptureQueriesContext(connection) as queries:
        shown = _ids_on_page(operator, {"p": "4"})

    assert shown == _offset_page(NEWEST_FIRST, 4)
    skipping = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"].upper()]
    assert len(skipping) == 1, skipping
    # The one query that skips rows reads time and id, not messages or users.
    assert '"message"' not in skipping[0] and "JOIN" not in skipping[0].upper()


def test_a_page_past_the_end_of_an_estimate_is_empty_not_an_error(turns):
    paginator = KeysetPaginator(NEWEST_FIRST, PER_PAGE)
    paginator.count = 100  # the planner's estimate, higher than the truth (23)

    assert list(paginator.page(10).object_list) == []
    assert [t.id for t in paginator.page(6).object_list] == _offset_page(NEWEST_FIRST, 6)


def test_an_order_a_keyset_cannot_follow_falls_back_to_offset(turns):
    # Confidence is nullable: a keyset on it would lose the NULL rows.
    by_confidence = ConversationLog.objects.order_by("confidence", "id")
    paginator = KeysetPaginator(by_confidence, PER_PAGE)

    for page in range(1, 7):
        shown = [t.id for t in paginator.page(page).object_list]
        assert shown == _offset_page(by_confidence, page)


@pytest.mark.postgresql
def test_a_deep_page_is_one_index_walk_from_its_first_row(turns):
    page = KeysetPaginator(NEWEST_FIRST.filter(robeing_id="rb8001"), PER_PAGE).page(3)
    sql, params = page.object_list.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # The index starts at the page's first row (an Index Cond on the time), and
    # no Sort: the rows come in list order off conv_robeing_time_idx.
    assert "conv_robeing_time_idx" in plan
    assert re.search(r"Index Cond: .*timestamp\" <=", plan), plan
    assert "Sort" not in plan
