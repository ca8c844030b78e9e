"""Server-rendered geometry for the dashboard's charts: SVG bars and a heat
map, no JavaScript, nothing loaded from the internet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BAR_WIDTH, BAR_HEIGHT, BAR_PAD = 720, 200, 36
# Date labels under the bars: about this many, whatever the period.
DATE_LABELS = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: dt.date
    turns: int
    label: str  # the date under the bar, or "" where labels are thinned


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    top: int  # the value at the top of the y axis
    width: int = BAR_WIDTH
    height: int = BAR_HEIGHT
    pad: int = BAR_PAD

    @property
    def baseline(self) -> int:
        return self.height - self.pad

    @property
    def middle(self) -> float:
        return self.pad + (self.height - 2 * self.pad) / 2


def daily_bars(daily: list[dict]) -> BarChart:
    """One bar per day, scaled to the busiest day (rounded up to a readable top)."""
    top = _nice_top(max((day["turns"] for day in daily), default=0))
    inner_width = BAR_WIDTH - 2 * BAR_PAD
    inner_height = BAR_HEIGHT - 2 * BAR_PAD
    slot = inner_width / max(len(daily), 1)
    every = max(1, round(len(daily) / DATE_LABELS))
    bars = []
    for i, day in enumerate(daily):
        height = inner_height * day["turns"] / top
        bars.append(
            Bar(
                x=round(BAR_PAD + i * slot + slot * 0.1, 1),
                y=round(BAR_HEIGHT - BAR_PAD - height, 1),
                width=round(max(slot * 0.8, 1), 1),
                height=round(height, 1),
                day=day["date"],
                turns=day["turns"],
                label=f"{day['date']:%m-%d}" if i % every == 0 else "",
            )
        )
    return BarChart(bars, top)


def _nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above value (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # not reached


def heat_cells(grid: list[list[int]]) -> list[list[dict]]:
    """The 7 x 24 grid with each cell's shade (0-1, against the busiest hour)."""
    top = max((count for row in grid for count in row), default=0) or 1
    return [
        [
            {"hour": hour, "turns": count, "shade": round(count / top, 2)}
            for hour, count in enumerate(row)
        ]
        for row in grid
    ]
