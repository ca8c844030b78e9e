"""The growth rules on their own: the level curve and point allocation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stats.rules import (
    STATS,
    allocate_balanced,
    allocate_task_based,
    level_for_xp,
    xp_for_level,
)


def seed_calculate_level(xp: int) -> int:
    # Verbatim from the seed plan (section 3.2).
    level = 1
    while xp >= 100 * (level**1.5):
        level += 1
    return level


@pytest.mark.parametrize(
    ("xp", "level"),
    [(0, 1), (99, 1), (100, 2), (282, 2), (283, 3), (519, 3), (520, 4), (2699, 9), (2700, 10)],
)
def test_the_level_curve_at_its_boundaries(xp, level):
    assert level_for_xp(xp) == level


@given(st.integers(min_value=0, max_value=5_000_000))
def test_the_level_curve_is_the_seeds_calculate_level(xp):
    assert level_for_xp(xp) == seed_calculate_level(xp)


@given(st.integers(min_value=1, max_value=300))
def test_xp_for_level_is_the_first_xp_of_that_level(level):
    first = xp_for_level(level)
    assert level_for_xp(first) == level
    assert first == 0 or level_for_xp(first - 1) == level - 1


def test_one_large_award_crosses_several_levels():
    assert level_for_xp(0 + 2700) - level_for_xp(0) == 9


def test_balanced_allocation_raises_the_lowest_stats_first():
    stats = {"memory": 12, "compute": 10, "empathy": 10, "leadership": 11, "ethics": 15}

    assert allocate_balanced(stats, 3) == {
        "memory": 0,
        "compute": 2,
        "empathy": 1,
        "leadership": 0,
        "ethics": 0,
    }


def test_task_based_allocation_follows_the_xp_each_stat_earned():
    stats = dict.fromkeys(STATS, 10)

    given_points = allocate_task_based(stats, 3, {"compute": 200, "empathy": 100})

    assert given_points == {"memory": 0, "compute": 2, "empathy": 1, "leadership": 0, "ethics": 0}


def test_task_based_allocation_without_task_xp_is_balanced():
    stats = {"memory": 9, "compute": 10, "empathy": 10, "leadership": 10, "ethics": 10}

    assert allocate_task_based(stats, 1, {}) == allocate_balanced(stats, 1)


@given(
    st.integers(min_value=0, max_value=60),
    st.dictionaries(st.sampled_from(STATS), st.integers(min_value=0, max_value=10_000)),
)
def test_every_point_is_allocated_exactly_once(points, trained):
    stats = dict.fromkeys(STATS, 10)

    assert sum(allocate_task_based(stats, points, trained).values()) == points
    assert sum(allocate_balanced(stats, points).values()) == points
