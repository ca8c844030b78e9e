"""Achievement rules (seed 3.3.4). Each key here has a row in the Achievement
table (seeded by migration 0002) that gives it a name operators can edit; the
rule itself is code, so it is tested like code."""

from __future__ import annotations

from collections.abc import Callable

from stats.models import RobeingStats

Rule = Callable[[RobeingStats], bool]

RULES: dict[str, Rule] = {
    "first_conversation": lambda s: s.total_conversations >= 1,
    "conversations_100": lambda s: s.total_conversations >= 100,
    "conversations_1000": lambda s: s.total_conversations >= 1000,
    "level_5": lambda s: s.level >= 5,
    "level_10": lambda s: s.level >= 10,
    "streak_10": lambda s: s.success_streak >= 10,
    # A success right after a failure: the streak restarted at 1 and a failure
    # is on record (the very first success has no failure before it).
    "comeback": lambda s: s.success_streak == 1 and s.failed_tasks >= 1,
}


def earned(stats: RobeingStats) -> set[str]:
    return {key for key, rule in RULES.items() if rule(stats)}
