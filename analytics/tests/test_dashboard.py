"""The admin home is the Robeing Console dashboard."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from conversations.tests.factories import ConversationLogFactory
from stats import services as stats_services
from stats.models import RobeingStats

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def operator(superuser) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    client.force_login(superuser)
    return client


@pytest.fixture
def turns(robeing, other_robeing):
    def at(day, hour):
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), SEOUL)

    made = [
        ConversationLogFactory(robeing=robeing, timestamp=at("2026-11-02", 9), intent="schedule", confidence=0.2, message="회의 언제야?"),
        ConversationLogFactory(robeing=robeing, timestamp=at("2026-11-03", 10), intent="schedule", confidence=0.9, message="회의 언제야"),
        ConversationLogFactory(robeing=other_robeing, timestamp=at("2026-11-03", 15), intent="news", confidence=0.8, message="뉴스"),
    ]  # fmt: skip
    stats_services.conversation_stats_aggregate()
    return made


def test_slash_leads_to_the_dashboard(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_home_is_the_robeing_console_dashboard(operator, turns):
    response = operator.get("/admin/", {"since": "2026-11-02", "until": "2026-11-08"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>대시보드 | Robeing Console</title>" in page
    assert "Django 관리" not in page and "Django administration" not in page
    assert re.search(r'id="total-turns">3<', page)
    assert page.count("<rect ") == 7  # one bar per day of the period
    assert "주요 의도" in page and "자주 묻는 질문" in page and "대시보드" in page
    assert 'id="heatmap"' in page and page.count('<td style="background: rgba(') == 7 * 24


def test_each_intent_links_to_the_filtered_log(operator, turns):
    page = operator.get("/admin/", {"since": "2026-11-02", "until": "2026-11-08"}).content.decode()

    link = "/admin/conversations/conversationlog/?date_from=2026-11-02&amp;date_to=2026-11-08&amp;intent=schedule"
    assert f'<a href="{link}">schedule</a>' in page
    followed = operator.get(link.replace("&amp;", "&"))
    assert followed.status_code == 200
    assert followed.context["cl"].result_count == 2


def test_questions_low_confidence_and_robeings_link_where_an_operator_goes_next(operator, turns):
    page = operator.get(
        "/admin/", {"robeing": "rb8001", "since": "2026-11-02", "until": "2026-11-08"}
    ).content.decode()

    assert "q=%ED%9A%8C%EC%9D%98+%EC%96%B8%EC%A0%9C%EC%95%BC" in page  # q=회의 언제야
    assert f"/admin/conversations/conversationlog/{turns[0].id}/change/" in page
    assert "confidence_below=0.5" in page
    stats_id = RobeingStats.objects.get(robeing_id="rb8001").id
    assert f"/admin/stats/robeingstats/{stats_id}/change/" in page
    assert "rb10508</a>" not in page  # one robeing chosen


def test_the_threshold_can_be_changed_on_the_page(operator, turns):
    page = operator.get(
        "/admin/", {"since": "2026-11-02", "until": "2026-11-08", "low_confidence_below": "0.85"}
    ).content.decode()

    assert re.search(r'id="low-confidence-count">2<', page)  # 0.2 and 0.8


def test_a_bad_period_says_so_and_shows_the_last_7_days(operator, turns):
    response = operator.get("/admin/", {"since": "2026-02-30", "robeing": "rb8001"})

    assert response.status_code == 200
    assert 'class="errornote"' in response.content.decode()
    assert response.context["period"].until == timezone.localdate()


def test_an_unknown_robeing_is_named_not_a_server_error(operator):
    response = operator.get("/admin/", {"robeing": "rb404"})

    assert response.status_code == 200
    assert "rb404" in response.content.decode()


def test_it_reads_in_english_with_accept_language_en(staff_user, turns):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff_user.user_permissions.add(Permission.objects.get(codename="view_conversationlog"))
    client.force_login(staff_user)

    page = client.get("/admin/").content.decode()

    assert "Top intents" in page and "Frequent questions" in page


def test_it_is_not_shown_to_anyone_logged_out(client):
    assert client.get("/admin/").status_code == 302
