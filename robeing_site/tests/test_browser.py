"""An operator's morning in a real browser (Chromium, headless): the console
as people use it, page to page, in Korean and once in English."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conversations.tests.factories import ConversationLogFactory
from robeing_site.tests.browser import chromium, log_in, new_page, screenshot
from stats import services as stats_services

SEOUL = ZoneInfo("Asia/Seoul")
browser = chromium  # the module's Chromium, under the name the tests use
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def console(live_server, robeing, other_robeing):
    """A fleet with a week of turns, counted into the dashboard, and an operator."""
    today = timezone.localdate()
    thread = "1764550000.000100"
    for n in range(12):
        day = today - dt.timedelta(days=n % 6)
        ConversationLogFactory(
            robeing=[robeing, other_robeing][n % 2],
            timestamp=dt.datetime.combine(day, dt.time(9 + n % 8, 5), SEOUL),
            intent=["schedule", "news", "email"][n % 3],
            confidence=0.3 if n % 4 == 0 else 0.9,
            message=["회의 일정 알려줘", "오늘 뉴스 요약해줘", "메일 확인해줘"][n % 3],
            channel_id="C0BROWSER",
            thread_ts=thread,
        )
    stats_services.conversation_stats_aggregate()
    operator = UserFactory(email="operator@example.com", is_staff=True, is_superuser=True)
    return {"url": live_server.url, "operator": operator, "today": today}


def test_an_operator_goes_from_the_dashboard_to_a_thread(browser, console):
    page = new_page(browser)
    log_in(page, console["url"], console["operator"].email)

    page.select_option("select[name=robeing]", "rb8001")
    page.fill("input[name=since]", (console["today"] - dt.timedelta(days=6)).isoformat())
    page.fill("input[name=until]", console["today"].isoformat())
    page.click("#period-form input[type=submit]")
    page.wait_for_url("**robeing=rb8001**")
    assert page.locator("#total-turns").inner_text() == "6"
    assert page.locator("#daily-chart rect").count() == 7
    assert page.locator("#top-intents").get_by_text("주요 의도").is_visible()
    screenshot(page, "dashboard-ko")

    page.locator("#top-intents a", has_text="schedule").click()
    page.wait_for_url("**/admin/conversations/conversationlog/?**intent=schedule**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2  # rb8001's schedule turns in the week (n = 0, 6)
    screenshot(page, "log-filtered-by-intent")

    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/conversationlog/\d+/change/"))
    assert page.get_by_text("회의 일정 알려줘").first.is_visible()
    screenshot(page, "turn-with-thread")


def test_the_dashboard_reads_in_english(browser, console):
    page = new_page(browser, locale="en-US")
    log_in(page, console["url"], console["operator"].email)

    assert page.get_by_role("heading", name="Top intents").is_visible()
    assert page.get_by_role("heading", name="Frequent questions").is_visible()
    screenshot(page, "dashboard-en")


def test_a_robeings_row_opens_its_growth_page(browser, console):
    page = new_page(browser)
    log_in(page, console["url"], console["operator"].email)

    page.locator("#activity a", has_text="rb8001").first.click()
    page.wait_for_url(re.compile(r"/admin/stats/robeingstats/[0-9a-f-]+/change/"))
    assert page.locator("#xp-chart, #xp-per-day, svg").first.is_visible()
    screenshot(page, "growth")


def test_an_operator_changes_a_setting_through_its_form(browser, console):
    page = new_page(browser)
    log_in(page, console["url"], console["operator"].email)

    page.goto(f"{console['url']}/admin/settings_app/robeingsettings/robeing/rb8001/")
    form = page.locator("#settings-system_settings")
    form.locator("[name=system_settings-max_memory_size]").fill("42")
    form.locator("input[type=submit]").click()
    page.wait_for_load_state()
    assert (
        page.locator(
            "#settings-system_settings [name=system_settings-max_memory_size]"
        ).input_value()
        == "42"
    )
    assert page.locator("#history").get_by_text("max_memory_size").first.is_visible()
    screenshot(page, "settings-ko")


def test_an_operator_exports_the_filtered_log_as_csv(browser, console):
    page = new_page(browser)
    log_in(page, console["url"], console["operator"].email)
    page.goto(f"{console['url']}/admin/conversations/conversationlog/?robeing=rb10508&intent=news")
    shown = page.locator("#result_list tbody tr").count()

    with page.expect_download() as download:
        page.locator("a.export-link").click()
    data = Path(download.value.path()).read_bytes()

    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads Korean text as UTF-8
    lines = data.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == shown + 1 == 3  # header + rb10508's two news turns
    assert "오늘 뉴스 요약해줘" in lines[1]
    screenshot(page, "log-export")


def test_an_operator_reviews_a_low_confidence_turn_from_the_inbox(browser, console):
    page = new_page(browser)
    log_in(page, console["url"], console["operator"].email)

    page.goto(f"{console['url']}/admin/reviews/inboxturn/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3  # the unsure turns (n = 0, 4, 8), none reviewed yet
    screenshot(page, "review-inbox")
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/admin/reviews/inboxturn/\d+/change/"))

    form = page.locator("#review-form")
    form.locator("input[name=verdict][value=wrong]").check()
    form.locator("input[name=correct_intent]").fill("refund")
    form.locator("textarea[name=note]").fill("환불 문의인데 일정으로 분류됨")
    form.locator("input[type=submit]").click()
    page.wait_for_load_state()
    screenshot(page, "review-saved")

    page.goto(f"{console['url']}/admin/reviews/inboxturn/?status=reviewed")
    assert page.locator("#result_list tbody tr").count() == 1
    page.goto(f"{console['url']}/admin/reviews/inboxturn/")
    assert page.locator("#result_list tbody tr").count() == 2  # one fewer to review
