"""Server-rendered SVG geometry for the admin's growth picture: no JavaScript,
nothing loaded from the internet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT, PAD = 640, 200, 30
MAX_POINTS = 200


@dataclass(frozen=True)
class LineChart:
    points: str  # the polyline's "x,y x,y ..."
    first: datetime | None
    last: datetime | None
    max_xp: int
    width: int = WIDTH
    height: int = HEIGHT


def xp_line(samples: list[tuple[datetime, int]]) -> LineChart:
    """XP after each ledger event, over time, thinned to at most MAX_POINTS."""
    if not samples:
        return LineChart("", None, None, 0)
    step = max(1, len(samples) // MAX_POINTS)
    thinned = samples[::step]
    if thinned[-1] != samples[-1]:
        thinned.append(samples[-1])
    t0, t1 = thinned[0][0].timestamp(), thinned[-1][0].timestamp()
    span = max(t1 - t0, 1.0)
    top = max(xp for _, xp in thinned) or 1
    coords = [
        (
            PAD + (WIDTH - 2 * PAD) * (at.timestamp() - t0) / span,
            HEIGHT - PAD - (HEIGHT - 2 * PAD) * xp / top,
        )
        for at, xp in thinned
    ]
    return LineChart(
        " ".join(f"{x:.1f},{y:.1f}" for x, y in coords), thinned[0][0], thinned[-1][0], top
    )


def stat_bars(stats: dict[str, int]) -> list[dict]:
    """One bar per stat, scaled to the highest."""
    top = max(stats.values()) or 1
    return [
        {"name": name, "value": value, "width": round(400 * value / top), "y": 10 + 30 * i}
        for i, (name, value) in enumerate(stats.items())
    ]
