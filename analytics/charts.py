"""The dashboard's heat map shading (its day bars are stats.charts.day_bars,
the growth page's geometry)."""

from __future__ import annotations


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
