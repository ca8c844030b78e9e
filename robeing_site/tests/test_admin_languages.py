"""Every admin page reads right in Korean (the default) and in English, with a
language switch in the header and one date format everywhere."""

from __future__ import annotations

import re

import pytest

from robeing_site.tests.conftest import admin_pages

pytestmark = pytest.mark.django_db

# What Django's own Korean catalogue, or an older one of ours, used to show.
WRONG_KOREAN = ("보기위한", "를(을) 선택", "뷰 ", ">적용</h2>", "1%s")
DATE_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b")
OTHER_DATE_FORMATS = re.compile(
    r"(오전|오후) ?\d{1,2}:\d{2}|\d+년 \d+월 \d+일|[ap]\.m\.|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d"
)


@pytest.fixture
def root(client, superuser, every_kind_of_row):
    client.force_login(superuser)
    return client


def visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style|svg|select)\b.*?</\1>", " ", page)
    return re.sub(r"<[^>]+>", " ", page)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_admin_page_opens_in_both_languages_without_the_wrong_words(root, language):
    for url in admin_pages():
        # follow: a robeing's settings row redirects to its settings page.
        response = root.get(url, HTTP_ACCEPT_LANGUAGE=language, follow=True)

        assert response.status_code == 200, url
        page = response.content.decode()
        assert f'<html lang="{language}"' in page, url
        assert 'id="language-switch"' in page, url
        if language == "ko":
            for wrong in WRONG_KOREAN:
                assert wrong not in page, (url, wrong)
        assert not OTHER_DATE_FORMATS.search(visible_text(page)), url


def test_read_only_lists_and_pages_are_titled_in_korean(root):
    archives = root.get("/admin/conversations/conversationarchive/").content.decode()
    ledger = root.get("/admin/stats/xpevent/").content.decode()

    assert "<h1>조회할 대화 보관 파일 선택</h1>" in archives
    assert "<h1>조회할 경험치 기록 선택</h1>" in ledger
    first_event = re.search(r'href="(/admin/stats/xpevent/\d+/change/)', ledger).group(1)
    assert "경험치 기록 보기" in root.get(first_event).content.decode()


def test_the_filter_panel_is_headed_filter_not_apply(root):
    page = root.get("/admin/stats/xpevent/").content.decode()

    assert '<h2 id="changelist-filter-header">필터</h2>' in page
    assert (
        '<h2 id="changelist-filter-header">Filter</h2>'
        in root.get("/admin/stats/xpevent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_lists_and_change_pages_show_times_as_year_month_day_hours_minutes(root):
    for url in ("/admin/stats/xpevent/", "/admin/privacy/erasurerequest/", "/admin/accounts/user/"):
        for language in ("ko", "en"):
            page = root.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            assert DATE_TIME.search(visible_text(page)), (url, language)


def test_the_switch_sets_the_language_for_the_next_pages_over_the_browsers(root):
    response = root.post("/i18n/setlang/", {"language": "en", "next": "/admin/stats/xpevent/"})

    assert response.status_code == 302 and response["Location"] == "/admin/stats/xpevent/"
    # The browser still asks for Korean; the operator's choice wins.
    page = root.get("/admin/stats/xpevent/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="en"' in page and "Select XP event to view" in page
    assert 'value="en" lang="en"\n          aria-pressed="true" disabled' in page

    root.post("/i18n/setlang/", {"language": "ko", "next": "/admin/"})
    page = root.get("/admin/stats/xpevent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ko"' in page and "조회할 경험치 기록 선택" in page


def test_the_switch_is_on_the_login_page_too(client, db):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="language-switch"' in page and 'action="/i18n/setlang/"' in page
    assert ">한국어</button>" in page and ">English</button>" in page


def test_the_api_stays_english_whatever_the_switch_says(client, superuser, robeing):
    client.force_login(superuser)
    client.post("/i18n/setlang/", {"language": "ko", "next": "/admin/"})

    body = client.get("/api/v1/robeings/nobody/conversations/").json()

    assert body["code"] == "robeing_not_found" and re.match(r"[A-Za-z]", body["message"])
