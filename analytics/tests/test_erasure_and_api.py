"""What operators and scripts see: the overview API, and that an erased
person's words leave the dashboard."""

from __future__ import annotations

import base64
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from analytics.models import QuestionRollup, TurnRollup
from conversations.archiving import months
from conversations.tests.factories import ConversationLogFactory
from privacy import services as privacy_services
from stats import services as stats_services

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
URL = "/api/v1/analytics/overview/"


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), SEOUL)


def questions() -> dict[str, int]:
    return dict(
        QuestionRollup.objects.values("text").annotate(n=Sum("turns")).values_list("text", "n")
    )


def test_an_erased_persons_questions_leave_the_dashboard_hot_and_archived(robeing):
    person = UserFactory(slack_user_id="UMINJI")
    old = timezone.now() - dt.timedelta(days=200)
    recent = timezone.now() - dt.timedelta(hours=3)
    for when in (old, recent):
        ConversationLogFactory(
            robeing=robeing, timestamp=when, user=person, message="내 주소 알려줘"
        )
        ConversationLogFactory(robeing=robeing, timestamp=when, user=person, message="회의 언제야?")
        ConversationLogFactory(
            robeing=robeing, timestamp=when, slack_user_id="UOTHER", message="회의 언제야"
        )
    stats_services.conversation_stats_aggregate()
    months.archive_conversations(older_than_days=90)
    assert questions() == {"내 주소 알려줘": 2, "회의 언제야": 4}

    privacy_services.erasure_request_create(slack_user_id="UMINJI")
    privacy_services.privacy_requests_process()

    # Only the others' asking is left; nobody else asked for an address.
    assert questions() == {"회의 언제야": 2}
    assert TurnRollup.objects.aggregate(n=Sum("turns"))["n"] == 2


@pytest.fixture
def fleet(robeing, other_robeing):
    def turn(robeing, when, **fields):
        return ConversationLogFactory(robeing=robeing, timestamp=when, **fields)

    turns = {
        # Monday 2026-11-02, 09:00 Seoul
        "low": turn(
            robeing, at("2026-11-02", 9), intent="schedule", confidence=0.2, message="회의 언제야?"
        ),
        "ok": turn(
            robeing,
            at("2026-11-02", 9, 5),
            intent="schedule",
            confidence=0.9,
            message="회의 언제야",
        ),
        "news": turn(
            other_robeing, at("2026-11-04", 14), intent="news", confidence=0.45, message="뉴스 요약"
        ),
        "before": turn(robeing, at("2026-10-28", 10), intent="email", message="메일 확인"),
    }
    stats_services.conversation_stats_aggregate()
    return turns


def get(client: APIClient, **params):
    return client.get(URL, params)


def test_the_overview_gives_every_figure_of_the_period(staff_client, fleet):
    response = get(staff_client, since="2026-11-02", until="2026-11-08")

    assert response.status_code == 200
    body = response.json()
    assert body["turns"] == 3 and body["previous_turns"] == 1 and body["change"] == 2.0
    assert body["daily"][0] == {"date": "2026-11-02", "turns": 2}
    assert [d["turns"] for d in body["daily"]] == [2, 0, 1, 0, 0, 0, 0]
    assert len(body["heatmap"]) == 7 and all(len(row) == 24 for row in body["heatmap"])
    assert body["heatmap"][0][9] == 2 and body["heatmap"][2][14] == 1  # Monday 9h, Wednesday 14h
    assert body["top_intents"] == [
        {"intent": "schedule", "turns": 2, "share": 0.6667},
        {"intent": "news", "turns": 1, "share": 0.3333},
    ]
    assert body["frequent_questions"][0] == {"text": "회의 언제야", "turns": 2}
    assert body["low_confidence"] == {
        "below": 0.5,
        "turns": 2,
        "share": 0.6667,
        "latest": [fleet["news"].id, fleet["low"].id],
    }
    rows = {row["robeing_id"]: row for row in body["robeings"]}
    assert rows["rb8001"]["turns"] == 2 and rows["rb10508"]["turns"] == 1
    assert rows["rb8001"]["total_conversations"] == 3
    assert rows["rb8001"]["last_turn_at"].startswith("2026-11-02T00:05:00")


def test_one_robeing_and_another_threshold(staff_client, fleet):
    body = get(
        staff_client, robeing="rb8001", since="2026-11-02", until="2026-11-08",
        low_confidence_below="0.2",
    ).json()  # fmt: skip

    assert body["turns"] == 2
    assert [row["robeing_id"] for row in body["robeings"]] == ["rb8001"]
    # 0.2 is not below 0.2
    assert body["low_confidence"]["turns"] == 0 and body["low_confidence"]["latest"] == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-11-08", "until": "2026-11-01"}, "non_field_errors"),
        ({"since": "1900-01-01"}, "since"),
        ({"low_confidence_below": "0.555"}, "low_confidence_below"),
        ({"low_confidence_below": "NaN"}, "low_confidence_below"),
        ({"since": "2024-01-01", "until": "2026-01-01"}, "non_field_errors"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_field(staff_client, params, field):
    response = get(staff_client, **params)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_an_unknown_robeing_is_a_404(staff_client):
    response = get(staff_client, robeing="rb404")

    assert response.status_code == 404
    assert response.json()["code"] == "robeing_not_found"


def test_it_is_for_staff_only(api_key, robeing):
    bot = APIClient()
    bot.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert bot.get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


def test_a_staff_script_authenticates_with_http_basic(db):
    UserFactory(
        email="bi@example.com",
        password="s3cret-pass",
        is_staff=True,
        permissions=["view_conversationlog"],
    )
    client = APIClient()
    token = base64.b64encode(b"bi@example.com:s3cret-pass").decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")

    response = client.get(URL)

    assert response.status_code == 200
    assert len(response.json()["daily"]) == 7  # the last 7 days by default


def test_the_overview_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "analytics_overview"
    assert {p["name"] for p in operation["parameters"]} >= {
        "robeing", "since", "until", "low_confidence_below",
    }  # fmt: skip
