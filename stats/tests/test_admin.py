"""Operators watch each robeing grow in the admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts import services as account_services
from stats import selectors, services
from stats.models import RobeingStats, XPEvent

pytestmark = pytest.mark.django_db
LEADERBOARD = "/admin/stats/robeingstats/"


@pytest.fixture
def root(client, superuser):
    client.force_login(superuser)
    return client


def award(robeing_id: str, task_id: str, task_type: str = "team_report", difficulty: int = 5):
    services.task_report_record(
        robeing_id=robeing_id,
        task_id=task_id,
        task_type=task_type,
        difficulty=difficulty,
        succeeded=True,
    )


def test_the_leaderboard_ranks_by_level_then_xp(root, robeing, other_robeing):
    account_services.robeing_get_or_create(robeing_id="rb3000")
    award("rb10508", "a")
    award("rb10508", "b")  # 400 XP: level 3
    award("rb8001", "c", difficulty=1)  # 40 XP: level 1

    page = root.get(LEADERBOARD).content.decode()

    assert page.index("rb10508") < page.index("rb8001")


def test_a_robeings_page_shows_its_ledger_badges_and_growth_chart(root, robeing):
    for i in range(3):
        award("rb8001", f"t{i}")
    stats = RobeingStats.objects.get(robeing_id="rb8001")

    page = root.get(f"{LEADERBOARD}{stats.pk}/change/").content.decode()

    assert page.count("task:t") == 3  # ledger rows
    assert 'class="xp-bar"' in page  # XP per day, drawn on the server
    assert 'id="stat-bars"' in page
    # Nothing loaded from another host (a bare "cdn" check failed whenever a
    # random CSRF token happened to contain those three letters).
    assert not re.search(r'src="(https?:)?//|rel="stylesheet" href="(https?:)?//', page)


def test_changing_the_allocation_mode_in_the_admin_goes_through_the_service(root, robeing):
    stats = RobeingStats.objects.get(robeing_id="rb8001")

    response = root.post(f"{LEADERBOARD}{stats.pk}/change/", {"allocation_mode": "manual"})

    assert response.status_code == 302
    assert RobeingStats.objects.get(robeing_id="rb8001").allocation_mode == "manual"
    award("rb8001", "t1")
    assert RobeingStats.objects.get(robeing_id="rb8001").unspent_points == 3


def test_stats_rows_cannot_be_deleted_or_added_by_hand(root, robeing):
    stats = RobeingStats.objects.get(robeing_id="rb8001")

    assert root.post(f"{LEADERBOARD}{stats.pk}/delete/", {"post": "yes"}).status_code == 403
    assert root.get(f"{LEADERBOARD}add/").status_code == 403


def test_operators_can_tune_task_types(root, robeing):
    response = root.post(
        "/admin/stats/tasktype/email/change/",
        {"name": "email", "base_xp": 50, "trains": "compute", "description": "", "is_active": "on"},
    )

    assert response.status_code == 302
    award("rb8001", "t1", task_type="email", difficulty=2)
    assert RobeingStats.objects.get(robeing_id="rb8001").experience == 100


SEOUL = timezone.get_default_timezone()


def award_at(robeing_id: str, task_id: str, when: dt.datetime, difficulty: int = 1) -> int:
    """A task's XP, booked at `when` (the ledger stamps the time itself)."""
    award(robeing_id, task_id, difficulty=difficulty)
    event = XPEvent.objects.get(robeing_id=robeing_id, source_key=f"task:{task_id}")
    XPEvent.objects.filter(pk=event.pk).update(created_at=when)
    return event.amount


def bars(page: str) -> list[tuple[str, int]]:
    return [
        (day, int(xp))
        for day, xp in re.findall(r'class="xp-bar" data-day="([\d-]+)" data-xp="(-?\d+)"', page)
    ]


def growth_page(client, robeing_id: str = "rb8001", **params):
    stats = RobeingStats.objects.get(robeing_id=robeing_id)
    return client.get(
        f"{LEADERBOARD}{stats.pk}/change/", params, HTTP_ACCEPT_LANGUAGE=params.pop("lang", "ko")
    )


def test_the_chart_has_one_bar_per_seoul_day_with_that_days_xp(root, robeing):
    late_on_the_30th = dt.datetime(2026, 11, 30, 23, 30, tzinfo=SEOUL)  # 14:30 UTC
    a = award_at("rb8001", "a", late_on_the_30th)
    b = award_at("rb8001", "b", dt.datetime(2026, 11, 30, 0, 10, tzinfo=SEOUL), difficulty=2)
    c = award_at("rb8001", "c", dt.datetime(2026, 12, 1, 0, 0, tzinfo=SEOUL))
    award_at("rb8001", "outside", dt.datetime(2026, 12, 2, 9, 0, tzinfo=SEOUL))

    page = growth_page(root, since="2026-11-28", until="2026-12-01").content.decode()

    assert bars(page) == [
        ("2026-11-28", 0),
        ("2026-11-29", 0),
        ("2026-11-30", a + b),
        ("2026-12-01", c),
    ]
    assert f"2026-11-28 – 2026-12-01 (서울 시간): 모두 {a + b + c} XP" in page
    assert "날짜 (서울 시간)" in page
    assert re.search(r"\(다음 레벨까지 \d+ XP\)", page)  # Korean word order


def test_the_default_period_is_the_last_30_days_and_the_presets_change_it(root, robeing):
    today = timezone.localdate()
    award("rb8001", "today", difficulty=1)  # 40 XP

    default = bars(growth_page(root).content.decode())
    week = bars(growth_page(root, days="7").content.decode())

    assert len(default) == 30 and default[-1] == (today.isoformat(), 40)
    assert default[0][0] == (today - dt.timedelta(days=29)).isoformat()
    assert len(week) == 7 and week[-1][1] == 40
    assert len(bars(growth_page(root, days="90").content.decode())) == 90


@pytest.mark.parametrize(
    "params",
    [
        {"days": "abc"},
        {"days": "8"},
        {"since": "2026-13-01", "until": "2026-12-01"},
        {"since": "2026-12-01"},
        {"since": "2026-12-05", "until": "2026-12-01"},
        {"since": "2020-01-01", "until": "2026-12-01"},
        {"since": "9999-99-99", "until": "x" * 5000},
    ],
)
def test_a_bad_period_shows_why_and_the_default_period_instead(root, robeing, params):
    response = growth_page(root, **params)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="growth-period-errors"' in page
    assert "대신 최근 30일을 보여 줍니다." in page
    assert len(bars(page)) == 30


def test_a_period_without_xp_says_so(root, robeing):
    page = growth_page(root, since="2026-01-01", until="2026-01-07").content.decode()

    assert bars(page) == [(f"2026-01-0{d}", 0) for d in range(1, 8)]
    assert "이 기간에 얻은 경험치가 없습니다." in page
    english = growth_page(root, since="2026-01-01", until="2026-01-07", lang="en").content.decode()
    assert "No XP gained in this period." in english
    assert "XP gained per day, 2026-01-01 – 2026-01-07 (Seoul time): 0 XP in all" in english


def test_stat_bars_are_drawn_against_the_highest_stat_in_the_fleet(root, robeing, other_robeing):
    RobeingStats.objects.filter(robeing_id="rb10508").update(empathy_stat=40)

    page = growth_page(root).content.decode()
    english = growth_page(root, lang="en").content.decode()

    widths = dict(
        re.findall(r'class="stat-bar" data-stat="(\w+)" x="90" y="\d+" width="(\d+)"', page)
    )
    assert widths == {
        s: "100" for s in ("memory", "compute", "empathy", "leadership", "ethics")
    }  # 10 of 40
    assert "막대를 꽉 채운 길이가 40이며" in page
    assert "A full bar is 40, the highest stat of any robeing in the fleet." in english
    for name in ("기억력", "연산력", "공감력", "리더십", "윤리"):
        assert name in page
    for name in ("Memory", "Compute", "Empathy", "Leadership", "Ethics"):
        assert name in english


def test_xp_per_day_sums_in_the_database_and_fills_days_without_xp(robeing, other_robeing):
    a = award_at("rb8001", "a", dt.datetime(2026, 3, 2, 12, 0, tzinfo=SEOUL), difficulty=3)
    b = award_at("rb8001", "b", dt.datetime(2026, 3, 2, 13, 0, tzinfo=SEOUL))
    award_at("rb10508", "theirs", dt.datetime(2026, 3, 2, 12, 0, tzinfo=SEOUL))

    days = selectors.xp_per_day(
        robeing_id="rb8001", since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 3)
    )

    assert days == [
        (dt.date(2026, 3, 1), 0),
        (dt.date(2026, 3, 2), a + b),
        (dt.date(2026, 3, 3), 0),
    ]
