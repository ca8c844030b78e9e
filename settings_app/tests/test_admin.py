"""Operators edit settings in the admin with the API's rules."""

from __future__ import annotations

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
    assert "Most turns the context endpoint returns." in page  # help text


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

    page = root.post(PAGE, data).content.decode()

    assert "is not an IANA time zone" in page
    assert not SettingsChange.objects.exists()


def test_the_robeing_page_links_to_its_settings(root, robeing):
    assert PAGE in root.get(f"/admin/accounts/robeing/{robeing.pk}/change/").content.decode()
