"""The growth rules, as pure functions (no database), so they can be read,
tested and property-checked on their own.

Levels (seed 3.2, `calculate_level`): a robeing starts at level 1 and goes up
while ``xp >= 100 * level ** 1.5``. So 99 XP is level 1, 100 is 2, 283 is 3,
520 is 4 and 2,700 is 10; one large award can cross several levels. The
comparison is done in integers (``xp**2 >= 10_000 * level**3``, the same
inequality squared) so that no float rounding can move a boundary.

Stat points (seed 3.2): each level gained grants 3 points, allocated by the
robeing's mode:
- ``task_based`` (default): in proportion to the XP each stat's tasks earned
  since the last level-up (largest remainder; ties in stat order). With no task
  XP since then, points go as in ``balanced``.
- ``balanced``: one at a time to the lowest stat (ties in stat order).
- ``manual``: points wait as unspent until the bot spends them.

Task XP: the task type's base XP times the difficulty (1-5); failures give none.
"""

from __future__ import annotations

STATS = ("memory", "compute", "empathy", "leadership", "ethics")
POINTS_PER_LEVEL = 3
MIN_DIFFICULTY, MAX_DIFFICULTY = 1, 5


def level_for_xp(xp: int) -> int:
    """The seed's calculate_level, exactly."""
    level = 1
    while xp * xp >= 10_000 * level**3:
        level += 1
    return level


def xp_for_level(level: int) -> int:
    """The least XP that reaches `level` (level 1 needs 0)."""
    if level <= 1:
        return 0
    # Smallest integer xp with xp**2 >= 10_000 * (level - 1)**3.
    target = 10_000 * (level - 1) ** 3
    xp = int(target**0.5)
    while xp * xp < target:
        xp += 1
    while xp > 0 and (xp - 1) * (xp - 1) >= target:
        xp -= 1
    return xp


def task_xp(*, base_xp: int, difficulty: int, succeeded: bool) -> int:
    return base_xp * difficulty if succeeded else 0


def allocate_balanced(stats: dict[str, int], points: int) -> dict[str, int]:
    """Points per stat, each point to the lowest stat at that moment."""
    current = dict(stats)
    given = dict.fromkeys(STATS, 0)
    for _ in range(points):
        lowest = min(STATS, key=lambda s: (current[s], STATS.index(s)))
        current[lowest] += 1
        given[lowest] += 1
    return given


def allocate_task_based(
    stats: dict[str, int], points: int, trained_xp: dict[str, int]
) -> dict[str, int]:
    """Points per stat in proportion to the XP each stat's tasks earned."""
    weights = {s: max(0, trained_xp.get(s, 0)) for s in STATS}
    total = sum(weights.values())
    if total == 0:
        return allocate_balanced(stats, points)
    exact = {s: points * weights[s] / total for s in STATS}
    given = {s: int(exact[s]) for s in STATS}
    leftover = points - sum(given.values())
    by_remainder = sorted(STATS, key=lambda s: (-(exact[s] - given[s]), STATS.index(s)))
    for stat in by_remainder[:leftover]:
        given[stat] += 1
    return given
