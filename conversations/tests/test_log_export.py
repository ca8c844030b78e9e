"""CSV export of the log browser: what the filtered list shows, and its audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import RequestFactory

from accounts.tests.factories import UserFactory
from conversations import csv_export
from conversations.admin import ConversationLogAdmin
from conversations.models import ConversationExport, ConversationLog
from conversations.tests.factories import ConversationLogFactory

pytestmark = pytest.mark.django_db
LIST = "/admin/conversations/conversationlog/"
EXPORT = f"{LIST}export/"
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


@pytest.fixture
def operator(client, staff_user):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_conversationlog"))
    client.force_login(staff_user)
    return client


def _download(client, params: dict | None = None, **headers) -> bytes:
    response = client.get(EXPORT, params or {}, **headers)
    assert response.status_code == 200, response.status_code
    assert response.streaming
    return b"".join(response.streaming_content)


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_it_downloads_a_csv_excel_opens_as_korean(operator, robeing):
    person = UserFactory(display_name="김민준")
    ConversationLogFactory(
        robeing=robeing,
        user=person,
        slack_user_id="U0KIM0001",
        channel_id="C0GENERAL",
        channel_type="im",
        thread_ts="1724041200.000100",
        # 2025-08-18 00:30 in Seoul is 15:30 UTC the day before.
        timestamp=dt.datetime(2025, 8, 17, 15, 30, 5, tzinfo=dt.UTC),
        message="환불 규정, 알려줘\n두 줄로",
        response='7일 이내에 "전액" 환불됩니다.',
        intent="refund",
        confidence=0.42,
    )

    response = operator.get(EXPORT)
    body = b"".join(response.streaming_content)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="conversation-log-\d{8}-\d{6}\.csv"',
        response["Content-Disposition"],
    )
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    header, row = _rows(body)
    assert header == [
        "ID", "시각", "로빙", "채널", "채널 유형", "스레드", "사람", "Slack 사용자",
        "메시지", "응답", "의도", "신뢰도",
    ]  # fmt: skip
    assert row[1:] == [
        "2025-08-18 00:30:05", "rb8001", "C0GENERAL", "DM", "1724041200.000100", "김민준",
        "U0KIM0001", "환불 규정, 알려줘\n두 줄로", '7일 이내에 "전액" 환불됩니다.', "refund", "0.42",
    ]  # fmt: skip


def test_the_headers_follow_the_operators_language(operator, robeing):
    ConversationLogFactory(robeing=robeing, channel_type="im", confidence=None)

    header, row = _rows(_download(operator, HTTP_ACCEPT_LANGUAGE="en"))

    assert header == [
        "ID", "Time", "Robeing", "Channel", "Channel type", "Thread", "Person", "Slack user",
        "Message", "Response", "Intent", "Confidence",
    ]  # fmt: skip
    assert row[4] == "direct message"
    assert row[11] == ""  # no confidence: an empty cell, not "None"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"robeing": "rb8001"},
        {"date_from": "2025-08-18", "date_to": "2025-08-19"},
        {"intent": "refund"},
        {"channel_type__exact": "im"},
        {"confidence_below": "0.5"},
        {"confidence": "none"},
        {"q": "환불"},
        {"robeing": "rb10508", "confidence_min": "0.3", "q": "환불", "o": "0"},
    ],
    ids=[
        "all",
        "robeing",
        "dates",
        "intent",
        "channel-type",
        "confidence",
        "no-confidence",
        "search",
        "combined-oldest-first",
    ],  # fmt: skip
)
def test_it_exports_exactly_the_rows_the_list_shows(
    operator, robeing, other_robeing, monkeypatch, params
):
    monkeypatch.setattr(ConversationLogAdmin, "list_per_page", 500)
    start = dt.datetime(2025, 8, 17, 12, 0, tzinfo=SEOUL)
    for i in range(40):
        ConversationLogFactory(
            robeing=robeing if i % 3 else other_robeing,
            timestamp=start + dt.timedelta(hours=3 * i),
            intent=("refund", "schedule", "")[i % 3],
            channel_type=("im", "channel")[i % 2],
            confidence=None if i % 7 == 0 else (i % 10) / 10,
            message=f"질문 {i} 환불" if i % 4 == 0 else f"질문 {i}",
        )

    page = operator.get(LIST, params).content.decode()
    listed = [
        int(i) for i in re.findall(r'<th class="field-when"><a href="[^"]*/(\d+)/change/', page)
    ]
    exported = [int(row[0]) for row in _rows(_download(operator, params))[1:]]

    assert listed, "the case lists something"
    assert exported == listed


def test_it_neutralises_cells_a_spreadsheet_would_run_as_formulas(operator, robeing):
    ConversationLogFactory(
        robeing=robeing,
        message='=HYPERLINK("http://evil.example","클릭")',
        response="+1 더하기",
        intent="-cmd",
        slack_user_id="@SUM(A1)",
    )
    ConversationLogFactory(robeing=robeing, message="\t=숨은 수식", response="평범한 = 응답")

    rows = _rows(_download(operator))[1:]

    second, first = rows
    assert first[8] == '\'=HYPERLINK("http://evil.example","클릭")'
    assert first[9] == "'+1 더하기"
    assert first[10] == "'-cmd"
    assert first[7] == "'@SUM(A1)"
    assert second[8] == "'\t=숨은 수식"
    assert second[9] == "평범한 = 응답"  # an equals sign inside is harmless


def test_it_writes_who_exported_what_and_how_many_rows(operator, staff_user, robeing):
    for _ in range(3):
        ConversationLogFactory(robeing=robeing, message="환불 문의")
    ConversationLogFactory(robeing=robeing, message="다른 문의")

    response = operator.get(EXPORT, {"robeing": "rb8001", "q": "환불", "p": "1"})
    started = ConversationExport.objects.get()
    assert started.finished_at is None  # on record before the first row leaves
    b"".join(response.streaming_content)

    export = ConversationExport.objects.get()
    assert export.exported_by == staff_user
    assert export.filters == {"robeing": "rb8001", "q": "환불"}
    assert export.row_count == 3
    assert export.finished_at is not None


def test_a_download_cut_short_stays_on_record_as_unfinished(staff_user, robeing, monkeypatch):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_conversationlog"))
    monkeypatch.setattr(csv_export, "FLUSH_CHARS", 1)  # one row per chunk
    for _ in range(5):
        ConversationLogFactory(robeing=robeing)
    # The view itself, as a WSGI server runs it (the test client would wrap
    # the stream in a closer of its own).
    request = RequestFactory().get(EXPORT)
    request.user = staff_user
    response = admin.site._registry[ConversationLog].export_view(request)

    chunks = iter(response)
    next(chunks), next(chunks)  # BOM, header and a row; then another row
    # The browser went away and the server closes the response; the signal
    # would close the test's connection, as the test client knows too.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    export = ConversationExport.objects.get()
    assert export.row_count == 2
    assert export.finished_at is None


def test_operators_read_the_export_history_but_cannot_change_it(client, superuser, robeing):
    client.force_login(superuser)
    ConversationLogFactory(robeing=robeing)
    _download(client, {"robeing": "rb8001", "confidence_below": "0.5"})
    export = ConversationExport.objects.get()

    history = client.get("/admin/conversations/conversationexport/").content.decode()
    detail = client.get(f"/admin/conversations/conversationexport/{export.id}/change/")

    assert "대화 기록 내보내기 이력" in history
    assert "confidence_below=0.5, robeing=rb8001" in history
    assert "root@example.com" in history
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/conversations/conversationexport/add/").status_code == 403


def test_a_bad_filter_exports_nothing(operator, robeing):
    response = operator.get(EXPORT, {"confidence_below": "lots"})

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?e=1"
    assert not ConversationExport.objects.exists()


def test_staff_without_view_permission_cannot_export(client, robeing):
    ConversationLogFactory(robeing=robeing)
    client.force_login(UserFactory(is_staff=True))

    assert client.get(EXPORT).status_code == 403
    assert not ConversationExport.objects.exists()


def test_people_who_are_not_staff_are_sent_to_the_login(client, robeing):
    ConversationLogFactory(robeing=robeing)
    member = UserFactory(is_staff=False)
    member.user_permissions.add(Permission.objects.get(codename="view_conversationlog"))

    anonymous = client.get(EXPORT)
    client.force_login(member)
    logged_in = client.get(EXPORT)

    for response in (anonymous, logged_in):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert not ConversationExport.objects.exists()


@pytest.mark.postgresql
def test_it_reads_the_rows_through_a_server_side_cursor(operator, robeing, monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK_ROWS", 2)
    monkeypatch.setattr(csv_export, "FLUSH_CHARS", 1)
    for _ in range(6):
        ConversationLogFactory(robeing=robeing)

    response = operator.get(EXPORT)
    chunks = iter(response.streaming_content)
    next(chunks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, is_holdable FROM pg_cursors")
        open_cursors = cursor.fetchall()
    rest = list(chunks)

    # Mid-download the rows wait in a cursor on the server, not in this process;
    # not WITH HOLD, which would have made PostgreSQL read them all first.
    assert [(s.count("conversation_log") > 0, hold) for s, hold in open_cursors] == [(True, False)]
    assert len(rest) == 6  # five more rows, one chunk each, and the last (empty) flush
