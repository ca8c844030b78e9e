"""The schedules the migrations seed, as operators read them."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db
LIST = "/admin/django_celery_beat/periodictask/"


@pytest.fixture
def root(client, superuser):
    client.force_login(superuser)
    return client


def test_seeded_schedules_are_listed_under_translated_names(root):
    korean = root.get(LIST).content.decode()
    english = root.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for name in (
        "대화 통계 집계 (5분마다)",
        "오래된 대화 턴 보관 (매일 밤 03:30, 서울 시간)",
        "개인정보 요청 처리 (10분마다)",
    ):
        assert name in korean
    assert "ARCHIVE_AFTER_DAYS일보다 오래된 턴을 월별 보관 파일로 옮깁니다." in korean
    assert "<h1>변경할 주기 작업 선택</h1>" in korean
    assert "Aggregate conversation stats (every 5 minutes)" in english


def test_the_rows_keep_the_names_code_and_migrations_look_up(root):
    root.get(LIST)

    assert PeriodicTask.objects.filter(
        name="Aggregate conversation stats (every 5 minutes)"
    ).exists()


def test_an_operator_finds_a_schedule_by_its_korean_name(root):
    page = root.get(LIST, {"q": "개인정보"}).content.decode()

    assert "개인정보 요청 처리 (10분마다)" in page
    assert "대화 통계 집계" not in page


def test_a_schedule_an_operator_renamed_is_shown_as_named(root):
    PeriodicTask.objects.filter(task="stats.tasks.aggregate_conversation_stats").update(
        name="통계 (운영자가 바꾼 이름)"
    )

    assert "통계 (운영자가 바꾼 이름)" in root.get(LIST).content.decode()
