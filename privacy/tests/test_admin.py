"""Operators read privacy requests in their language."""

from __future__ import annotations

import re

import pytest

from accounts.tests.factories import UserFactory
from conversations.tests.factories import ConversationLogFactory
from privacy import services
from privacy.models import ErasureRequest, ExportRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def person(robeing):
    person = UserFactory(email="person@example.com", slack_user_id="U0PERSON1")
    for _ in range(3):
        ConversationLogFactory(robeing=robeing, user=person, slack_user_id="U0PERSON1")
    return person


def test_the_counts_of_an_erasure_are_named_in_korean_and_in_english(root, person):
    services.erasure_request_create(user_id=person.id)
    services.privacy_requests_process()
    request = ErasureRequest.objects.get()

    korean = root.get("/admin/privacy/erasurerequest/").content.decode()
    english = root.get("/admin/privacy/erasurerequest/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = root.get(f"/admin/privacy/erasurerequest/{request.pk}/change/").content.decode()

    assert "대화 기록의 턴: 3, 보관 파일의 턴: 0, 다시 쓴 보관 파일: 0" in korean
    assert "익명 처리한 사용자: 1" in korean
    assert "hot_turns" not in korean
    assert "turns in the log: 3, archived turns: 0, archives rewritten: 0" in english
    assert "요청 ID" in page and str(request.id) in page


def test_the_download_link_says_until_when_in_the_right_word_order(root, person):
    services.export_request_create(user_id=person.id)
    services.privacy_requests_process()

    korean = root.get("/admin/privacy/exportrequest/").content.decode()
    english = root.get("/admin/privacy/exportrequest/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert re.search(r">다운로드</a> \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}까지\)", korean)
    assert re.search(r">download</a> \(until \d{4}-\d{2}-\d{2} \d{2}:\d{2}\)", english)
    assert ExportRequest.objects.get().file_path


def test_the_deadline_is_shown_in_the_one_date_format(root, person):
    services.erasure_request_create(user_id=person.id)

    page = root.get("/admin/privacy/erasurerequest/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert re.search(r'<td class="field-deadline">\d{4}-\d{2}-\d{2} \d{2}:\d{2}</td>', page)
