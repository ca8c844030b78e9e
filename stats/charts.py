"""Server-rendered SVG geometry for the admin's charts (the growth page's XP
per day, the dashboard's turns per day): no JavaScript, nothing loaded from
the internet. The functions here only place shapes; the templates draw them
and write the words (in the operator's language)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 720, 240
# Room for the XP tick labels on the left and the dates below the plot.
LEFT, RIGHT, TOP, BOTTOM = 56, 36, 26, 40
DATE_LABELS = 7  # at most this many dates under the bars: more would overlap
STAT_BAR_WIDTH = 400


@dataclass(frozen=True)
class Bar:
    day: date
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    label: int | date
    at: float  # y for an XP tick, x (centre) for a date tick


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    value_ticks: list[Tick]
    date_ticks: list[Tick]
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def center(self) -> float:
        return (self.left + self.right) / 2

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is >= value: an axis
    that ends on a round number."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # not reached; keeps the type checker content


def day_bars(days: list[tuple[date, int]]) -> BarChart:
    """One bar per day (XP gained, turns), on a 0..round-number axis.

    A day whose value is negative (a repair took XP back) is drawn as an empty
    bar; its value is still in the bar's title and in the total."""
    top = nice_ceiling(max((value for _, value in days), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(days), 1)
    gap = min(2.0, slot * 0.2)
    bars = []
    for i, (day, value) in enumerate(days):
        height = plot_height * max(value, 0) / top
        bars.append(
            Bar(
                day=day,
                value=value,
                x=round(LEFT + i * slot + gap / 2, 2),
                y=round(HEIGHT - BOTTOM - height, 2),
                width=round(slot - gap, 2),
                height=round(height, 2),
            )
        )
    value_ticks = [
        Tick(top * k // 2, round(HEIGHT - BOTTOM - plot_height * k / 2, 2)) for k in (0, 1, 2)
    ]
    every = max(1, math.ceil(len(days) / DATE_LABELS))
    date_ticks = [
        Tick(day, round(LEFT + (i + 0.5) * slot, 2))
        for i, (day, _) in enumerate(days)
        # Every `every`-th day, and the last when it is not too near the one before.
        if i % every == 0 or (i == len(days) - 1 and i % every > every / 2)
    ]
    return BarChart(bars, value_ticks, date_ticks, total=sum(value for _, value in days))


def stat_bars(stats: dict[str, int], *, scale: int, labels: dict[str, str]) -> list[dict]:
    """One bar per stat, its length the stat's share of `scale` (the page says
    what the scale is), so that bars compare across robeings."""
    scale = max(scale, 1)
    return [
        {
            "name": name,
            "label": labels.get(name, name),
            "value": value,
            "width": round(STAT_BAR_WIDTH * min(value, scale) / scale),
            "y": 10 + 30 * i,
        }
        for i, (name, value) in enumerate(stats.items())
    ]
