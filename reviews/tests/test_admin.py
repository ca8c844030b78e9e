"""The review inbox, the review page and the training-data download, over
HTTP as an operator sees them (Korean by default, English on request)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conversations.tests.factories import ConversationLogFactory
from privacy import services as privacy_services
from reviews import admin as review_admin
from reviews import services
from reviews.models import TurnFlag, TurnReview
from reviews.tests.conftest import grant

pytestmark = pytest.mark.django_db
INBOX = "/admin/reviews/inboxturn/"
EXPORT = "/admin/reviews/inboxturn/export/"
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def review_url(turn) -> str:
    return f"{INBOX}{turn.id}/change/"


@pytest.fixture
def operator(client, reviewer):
    client.force_login(reviewer)
    return client


def lines(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    return [orjson.loads(line) for line in body.splitlines()]


def test_it_lists_unreviewed_low_confidence_turns_newest_first(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="먼저 온 애매한 질문", confidence=0.2)
    ConversationLogFactory(robeing=robeing, message="나중에 온 애매한 질문", confidence=0.4)
    ConversationLogFactory(robeing=robeing, message="확실한 질문", confidence=0.95)
    ConversationLogFactory(robeing=robeing, message="신뢰도 없음", confidence=None)

    page = operator.get(INBOX).content.decode()

    assert "<h1>검토함</h1>" in page
    assert page.index("나중에 온 애매한 질문") < page.index("먼저 온 애매한 질문")
    assert "확실한 질문" not in page
    assert "신뢰도 없음" not in page
    assert "turns to review" not in page and "검토할 턴 2개" in page


def test_it_takes_another_confidence_threshold(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="0.7짜리", confidence=0.7)
    ConversationLogFactory(robeing=robeing, message="0.9짜리", confidence=0.9)

    default = operator.get(INBOX).content.decode()
    wider = operator.get(INBOX, {"below": "0.8"}).content.decode()

    assert "0.7짜리" not in default
    assert "0.7짜리" in wider
    assert "0.9짜리" not in wider
    assert 'name="below" value="0.8"' in wider


def test_it_sends_a_bad_threshold_back_to_a_plain_inbox(operator, robeing):
    response = operator.get(INBOX, {"below": "lots"})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_it_lists_flagged_turns_whatever_their_confidence(operator, robeing, reviewer):
    flagged = ConversationLogFactory(robeing=robeing, message="확실하지만 이상함", confidence=0.99)
    ConversationLogFactory(robeing=robeing, message="애매하지만 괜찮음", confidence=0.1)
    services.flag_set(turn_id=flagged.id, flagged_by=reviewer, reason="답변이 이상함")

    page = operator.get(INBOX, {"reason": "flagged"}).content.decode()

    assert "확실하지만 이상함" in page
    assert "애매하지만 괜찮음" not in page
    assert '<td class="field-flags">1</td>' in page


def test_it_lists_turns_of_a_chosen_intent(operator, robeing):
    ConversationLogFactory(robeing=robeing, message="환불 요청", intent="refund", confidence=0.99)
    ConversationLogFactory(robeing=robeing, message="일정 요청", intent="schedule", confidence=0.1)

    page = operator.get(INBOX, {"reason": "intent", "intent": "refund"}).content.decode()

    assert "환불 요청" in page
    assert "일정 요청" not in page


def test_it_filters_by_review_status(operator, robeing, reviewer):
    judged = ConversationLogFactory(robeing=robeing, message="검토한 턴", confidence=0.2)
    ConversationLogFactory(robeing=robeing, message="검토 안 한 턴", confidence=0.3)
    services.review_record(turn_id=judged.id, reviewer=reviewer, verdict="wrong")

    unreviewed = operator.get(INBOX).content.decode()
    reviewed = operator.get(INBOX, {"status": "reviewed"}).content.decode()
    everything = operator.get(INBOX, {"status": "all"}).content.decode()

    assert "검토 안 한 턴" in unreviewed and "검토한 턴" not in unreviewed
    assert "검토한 턴" in reviewed and "검토 안 한 턴" not in reviewed
    assert '<td class="field-review_status">틀림</td>' in reviewed
    assert "검토한 턴" in everything and "검토 안 한 턴" in everything


def test_it_filters_by_robeing_and_seoul_days(operator, robeing, other_robeing):
    ConversationLogFactory(
        robeing=robeing, message="자정 직후", confidence=0.1,
        timestamp=dt.datetime(2026, 3, 18, 0, 30, tzinfo=SEOUL),
    )  # fmt: skip
    ConversationLogFactory(
        robeing=robeing, message="전날 밤", confidence=0.1,
        timestamp=dt.datetime(2026, 3, 17, 23, 30, tzinfo=SEOUL),
    )  # fmt: skip
    ConversationLogFactory(
        robeing=other_robeing, message="다른 로빙", confidence=0.1,
        timestamp=dt.datetime(2026, 3, 18, 9, 0, tzinfo=SEOUL),
    )  # fmt: skip

    page = operator.get(
        INBOX, {"robeing": "rb8001", "date_from": "2026-03-18", "date_to": "2026-03-18"}
    ).content.decode()

    assert "자정 직후" in page
    assert "2026-03-18 00:30:00" in page
    assert "전날 밤" not in page
    assert "다른 로빙" not in page


def test_each_row_shows_the_response_and_links_to_its_review_page(operator, robeing):
    turn = ConversationLogFactory(
        robeing=robeing, message="질문", response="답" * 100, confidence=0.1
    )

    page = operator.get(INBOX).content.decode()

    assert "답" * 59 + "…" in page
    assert "답" * 61 not in page
    assert f'href="{review_url(turn)}' in page
    assert "검토 안 됨" in page


def test_the_inbox_never_counts_the_whole_log(operator, robeing):
    for _ in range(3):
        ConversationLogFactory(robeing=robeing, confidence=0.1)

    with CaptureQueriesContext(connection) as queries:
        operator.get(INBOX)

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the page says how many turns wait"
    assert all("LIMIT" in sql.upper() for sql in counts)


def test_a_long_inbox_says_more_than_its_count_bound(operator, robeing, monkeypatch):
    monkeypatch.setattr(review_admin, "INBOX_COUNT_BOUND", 2)
    for _ in range(3):
        ConversationLogFactory(robeing=robeing, confidence=0.1)

    page = operator.get(INBOX).content.decode()

    assert "검토할 턴 2개 이상" in page


def test_a_review_round_trip_through_the_page(operator, turn, reviewer):
    ConversationLogFactory(robeing=turn.robeing, intent="refund")

    page = operator.get(review_url(turn)).content.decode()
    assert "환불은 어떻게 하나요?" in page
    assert "일정을 알려드릴게요." in page
    assert '<option value="refund">' in page and '<option value="schedule">' in page
    assert 'list="known-intents"' in page
    assert f'href="/admin/conversations/conversationlog/{turn.id}/change/"' in page
    assert 'value="schedule"' in page  # the logged intent, until someone corrects it

    saved = operator.post(
        review_url(turn),
        {"action": "review", "verdict": "wrong", "correct_intent": "refund", "note": "환불 문의"},
    )
    assert saved.status_code == 302
    review = TurnReview.objects.get()
    assert (review.reviewer, review.verdict, review.correct_intent) == (reviewer, "wrong", "refund")

    again = operator.get(review_url(turn)).content.decode()
    assert re.search(r'value="wrong"[^>]*checked', again)  # prefilled with my review
    assert not re.search(r'value="good"[^>]*checked', again)
    assert "환불 문의" in again
    assert "검토가 저장되었습니다." in again


def test_a_bad_review_is_shown_with_its_error_and_not_saved(operator, turn):
    response = operator.post(review_url(turn), {"action": "review", "verdict": "maybe"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not TurnReview.objects.exists()


def test_other_operators_reviews_are_listed_on_the_page(operator, turn, other_reviewer):
    services.review_record(
        turn_id=turn.id, reviewer=other_reviewer, verdict="unsafe", note="전화번호가 보임"
    )

    page = operator.get(review_url(turn)).content.decode()

    assert "이검토" in page
    assert "위험" in page
    assert "전화번호가 보임" in page


def test_an_operator_flags_and_unflags_from_the_page(operator, turn, reviewer):
    operator.post(review_url(turn), {"action": "flag", "reason": "분류가 틀림"})
    assert TurnFlag.objects.get().reason == "분류가 틀림"
    assert 'id="unflag"' in operator.get(review_url(turn)).content.decode()

    operator.post(review_url(turn), {"action": "unflag"})
    assert not TurnFlag.objects.exists()


def test_the_log_turn_page_offers_review_and_flag(operator, turn):
    log_page = f"/admin/conversations/conversationlog/{turn.id}/change/"

    page = operator.get(log_page).content.decode()
    assert f'href="{review_url(turn)}"' in page
    assert "이 턴 검토" in page
    assert "검토 요청" in page
    assert "Whole conversation" not in page  # what it showed before is still there
    assert "전체 대화" in page

    back = operator.post(review_url(turn), {"action": "flag", "next": log_page})
    assert back.status_code == 302 and back.url == log_page
    assert TurnFlag.objects.filter(turn_id=turn.id).exists()


def test_it_does_not_follow_a_next_address_off_the_site(operator, turn):
    response = operator.post(
        review_url(turn), {"action": "flag", "next": "https://evil.example.com/"}
    )

    assert response.url == review_url(turn)


def test_people_who_are_not_staff_are_sent_to_the_login(client, turn):
    client.force_login(UserFactory(email="visitor@example.com", is_staff=False))

    assert operator_status(client, INBOX) == 302
    assert operator_status(client, review_url(turn)) == 302
    assert operator_status(client, EXPORT) == 302


def operator_status(client, url: str) -> int:
    return client.get(url).status_code


def test_staff_without_the_review_permissions_cannot_see_the_inbox(client, turn, staff_user):
    client.force_login(staff_user)

    assert client.get(INBOX).status_code == 403
    assert client.get(review_url(turn)).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_a_read_only_operator_sees_reviews_but_cannot_record_one(client, turn, staff_user):
    client.force_login(grant(staff_user, "view_inboxturn"))

    page = client.get(review_url(turn)).content.decode()
    refused = client.post(review_url(turn), {"action": "review", "verdict": "good"})

    assert "환불은 어떻게 하나요?" in page
    assert 'id="review-form"' not in page
    assert refused.status_code == 403
    assert not TurnReview.objects.exists()


def test_the_pages_read_in_english_on_request(operator, turn):
    inbox = operator.get(INBOX, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    review = operator.get(review_url(turn), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<h1>Review inbox</h1>" in inbox
    assert "low confidence" in inbox and "not reviewed" in inbox
    assert "1 turn to review" in inbox
    assert "Save review" in review and "verdict" in review.lower()
    assert "Open this turn in the log" in review
    assert "검토" not in inbox + review


# --- the training-data download ----------------------------------------------------


@pytest.fixture
def exporter(operator, reviewer):
    grant(reviewer, "export_training_data")
    return operator


def test_the_download_streams_json_lines_of_the_inbox_period(exporter, robeing, reviewer):
    inside = ConversationLogFactory(
        robeing=robeing, message="010-1234-5678로 연락 주세요", confidence=0.9,
        timestamp=dt.datetime(2026, 3, 18, 0, 30, tzinfo=SEOUL),
    )  # fmt: skip
    ConversationLogFactory(robeing=robeing, timestamp=dt.datetime(2026, 3, 17, 23, 0, tzinfo=SEOUL))
    services.review_record(
        turn_id=inside.id, reviewer=reviewer, verdict="wrong", correct_intent="contact"
    )

    response = exporter.get(EXPORT, {"date_from": "2026-03-18", "date_to": "2026-03-18"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    assert "training-20260318-20260318.jsonl" in response["Content-Disposition"]
    assert lines(response) == [
        {
            "id": inside.id,
            "robeing_id": "rb8001",
            "timestamp": "2026-03-17T15:30:00Z",
            "message": "[PHONE]로 연락 주세요",
            "response": inside.response,
            "intent": "schedule",
            "confidence": 0.9,
            "reviewed_intent": "contact",
            "verdict": "wrong",
        }
    ]


def test_the_download_keeps_to_a_robeing_and_to_reviewed_turns(
    exporter, robeing, other_robeing, reviewer
):
    today = timezone.localdate().isoformat()
    mine = ConversationLogFactory(robeing=robeing)
    judged = ConversationLogFactory(robeing=robeing)
    ConversationLogFactory(robeing=other_robeing)
    services.review_record(turn_id=judged.id, reviewer=reviewer, verdict="good")
    period = {"date_from": "2020-01-01", "date_to": today}

    of_one = lines(exporter.get(EXPORT, {**period, "robeing": "rb8001"}))
    reviewed = lines(exporter.get(EXPORT, {**period, "reviewed_only": "1"}))

    assert [line["id"] for line in of_one] == [mine.id, judged.id]
    assert [(line["id"], line["verdict"]) for line in reviewed] == [(judged.id, "good")]


def test_the_download_leaves_out_a_person_whose_erasure_is_pending(exporter, robeing):
    ConversationLogFactory(robeing=robeing, slack_user_id="UERASEME", message="지워질 사람")
    kept = ConversationLogFactory(robeing=robeing, slack_user_id="UKEEP", message="남을 사람")
    privacy_services.erasure_request_create(slack_user_id="UERASEME")

    exported = lines(exporter.get(EXPORT))  # no period: the last 30 days

    assert [line["id"] for line in exported] == [kept.id]


def test_the_inbox_offers_the_download_with_its_filters(exporter, robeing):
    page = exporter.get(INBOX, {"robeing": "rb8001", "date_from": "2026-03-01"}).content.decode()

    assert 'action="/admin/reviews/inboxturn/export/"' in page
    assert '<option value="rb8001" selected>' in page
    assert 'name="date_from" value="2026-03-01"' in page
    assert "학습 데이터" in page


def test_a_bad_download_request_goes_back_to_the_inbox_saying_why(exporter, robeing):
    bad_date = exporter.get(EXPORT, {"date_from": "2026-02-30"}, follow=True)
    unknown = exporter.get(EXPORT, {"robeing": "rb404"}, follow=True)
    backwards = exporter.get(
        EXPORT, {"date_from": "2026-03-02", "date_to": "2026-03-01"}, follow=True
    )

    assert bad_date.redirect_chain[-1][0] == INBOX
    assert "날짜 형식이 아닙니다 (YYYY-MM-DD): 2026-02-30" in bad_date.content.decode()
    assert "알 수 없는 로빙: rb404" in unknown.content.decode()
    assert "기간의 끝이 시작보다 앞섭니다." in backwards.content.decode()


def test_reviewers_without_the_export_permission_get_no_download(operator, robeing):
    assert operator.get(EXPORT).status_code == 403
    assert 'id="training-export"' not in operator.get(INBOX).content.decode()
