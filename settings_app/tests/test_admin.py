"""Operators edit settings in the admin with the API's rules."""

from __future__ import annotations

import re

import pytest

from settings_app import selectors
from settings_app.models import SettingsChange

pytestmark = pytest.mark.django_db
PAGE = "/admin/settings_app/robeingsettings/robeing/rb8001/"


@pytest.fixture
def root(client, superuser):
    client.force_login(superuser)
    return client


def form_data(**overrides) -> dict:
    data = {
        "category": "system_settings",
        "version": "0",
        "system_settings-max_memory_size": "1000",
        "system_settings-memory_ttl_days": "30",
        "system_settings-auto_summarize": "on",
        "system_settings-pii_masking": "on",
    }
    data.update(overrides)
    return data


def test_the_page_has_a_form_per_category_built_from_the_schema(root, robeing):
    page = root.get(PAGE).content.decode()

    for category in ("user_preference", "system_settings", "skill_settings"):
        assert f'id="settings-{category}"' in page
    assert '<option value="casual"' in page  # choices from the schema
    assert 'name="skill_settings-email.check_interval"' in page  # nested skills
    assert "맥락(context) API가 돌려주는 최대 턴 수." in page  # help text, in Korean


def test_saving_a_form_changes_the_setting_and_records_who(
    root, superuser, robeing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = root.post(PAGE, form_data(**{"system_settings-max_memory_size": "50"}))

    assert response.status_code == 302
    assert (
        selectors.settings_get(robeing_id="rb8001").values["system_settings"]["max_memory_size"]
        == 50
    )
    change = SettingsChange.objects.get()
    assert (change.key, change.changed_by_user_id) == ("max_memory_size", superuser.id)
    assert "max_memory_size" in root.get(PAGE).content.decode()  # history below


def test_the_form_refuses_what_the_api_refuses(root, robeing):
    response = root.post(PAGE, form_data(**{"system_settings-max_memory_size": "0"}))

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not SettingsChange.objects.exists()


def test_a_timezone_that_does_not_exist_is_shown_on_its_field(root, robeing):
    data = {
        "category": "user_preference",
        "version": "0",
        "user_preference-response_style": "formal",
        "user_preference-response_length": "normal",
        "user_preference-language": "ko",
        "user_preference-timezone": "Asia/Atlantis",
    }

    korean = root.post(PAGE, data).content.decode()
    english = root.post(PAGE, data, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "“Asia/Atlantis”은(는) Asia/Seoul 같은 IANA 시간대가 아닙니다." in korean
    assert "“Asia/Atlantis” is not an IANA time zone such as Asia/Seoul." in english
    assert not SettingsChange.objects.exists()


def test_the_robeing_page_links_to_its_settings(root, robeing):
    assert PAGE in root.get(f"/admin/accounts/robeing/{robeing.pk}/change/").content.decode()


def row(page: str, key: str) -> str:
    """The settings page's row of one key, as HTML."""
    match = re.search(
        rf'<div class="form-row settings-row[^"]*" data-key="{re.escape(key)}">.*?</div>\s*(<div class="help">.*?</div>\s*)?</div>',
        page,
        re.S,
    )
    assert match, key
    return match.group(0)


def test_labels_help_texts_and_sections_are_korean_by_default_and_english_on_request(root, robeing):
    korean = root.get(PAGE).content.decode()
    english = root.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for text in (
        "응답 말투",
        "격식체",
        "시스템 설정",
        "최대 기억 크기",
        "이메일 스킬",
        "확인 간격 (초)",
        "쉼표로 구분합니다.",
    ):
        assert text in korean, text
    for text in (
        "Response style",
        "System settings",
        "Max memory size",
        "Email skill",
        "Check interval (seconds)",
        "Comma-separated.",
    ):
        assert text in english, text
    # Schema keys are no longer what an operator reads as labels.
    assert ">max memory size:<" not in korean and "<h2>system_settings</h2>" not in korean


def test_the_page_marks_a_value_that_differs_from_the_default_and_shows_the_default(
    root, robeing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        root.post(PAGE, form_data(**{"system_settings-max_memory_size": "50"}))

    page = root.get(PAGE).content.decode()

    changed = row(page, "max_memory_size")
    assert "changed" in changed.split(">", 1)[0]  # the row's class
    assert 'value="50"' in changed
    assert "기본값과 다름" in changed
    assert '기본값: <span class="settings-default-value">1000</span>' in changed
    untouched = row(page, "memory_ttl_days")
    assert "changed" not in untouched.split(">", 1)[0]
    assert '기본값: <span class="settings-default-value">30</span>' in untouched
    assert "기본값과 다른 값이 1개 있습니다." in page
    assert page.count("모두 기본값입니다.") == 2  # the two categories nobody changed


def test_every_category_lists_its_defaults_in_the_operators_language(root, robeing):
    page = root.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    defaults = re.search(
        r'id="settings-skill_settings-defaults">(.*?)</details>', page, re.S
    ).group(1)
    assert "Defaults of skill settings" in defaults
    assert re.search(r"News skill › Categories</th><td>tech, business</td>", defaults)
    assert re.search(r"Email skill › Auto reply</th><td>No</td>", defaults)
    user = re.search(r'id="settings-user_preference-defaults">(.*?)</details>', page, re.S).group(1)
    assert "<td>formal</td>" in user and "<td>Asia/Seoul</td>" in user
    korean = root.get(PAGE).content.decode()
    assert "<summary>스킬 설정 기본값</summary>" in korean
    assert "뉴스 스킬 › 분야</th><td>tech, business</td>" in korean


def test_the_history_names_the_changed_key_by_its_label(
    root, robeing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        root.post(PAGE, form_data(**{"system_settings-max_memory_size": "50"}))

    history = root.get(PAGE).content.decode().split('id="history"')[1]

    assert "시스템 설정" in history
    assert "최대 기억 크기 <code>max_memory_size</code>" in history
    assert re.search(r"<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}</td>", history)  # the one date format


def test_a_list_of_words_is_saved_as_a_list(root, robeing, django_capture_on_commit_callbacks):
    data = {
        "category": "skill_settings",
        "version": "0",
        "skill_settings-email.enabled": "on",
        "skill_settings-email.check_interval": "300",
        "skill_settings-news.enabled": "on",
        "skill_settings-news.categories": "tech, 경제 , ",
        "skill_settings-news.summary_length": "3",
    }

    with django_capture_on_commit_callbacks(execute=True):
        root.post(PAGE, data)

    news = selectors.settings_get(robeing_id="rb8001").values["skill_settings"]["news"]
    assert news["categories"] == ["tech", "경제"]
    assert 'value="tech, 경제"' in row(root.get(PAGE).content.decode(), "news.categories")
