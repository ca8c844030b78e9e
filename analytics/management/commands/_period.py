"""What the rollup commands share: their period arguments and their progress."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from accounts import selectors as account_selectors
from core.errors import NotFound


def add_period_arguments(parser: CommandParser, *, default: str) -> None:
    parser.add_argument("--since", help=f"First Seoul day, YYYY-MM-DD (default {default}).")
    parser.add_argument("--until", help="Last Seoul day, YYYY-MM-DD (default today).")
    parser.add_argument(
        "--robeing", action="append", help="Only this robeing (repeat for several)."
    )


def parse_day(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name}: {value!r} is not a YYYY-MM-DD date.") from None


def robeing_set(robeings: list[str] | None) -> set[str] | None:
    if not robeings:
        return None
    for robeing_id in robeings:
        try:
            account_selectors.robeing_get(robeing_id=robeing_id)
        except NotFound as exc:
            raise CommandError(str(exc)) from None
    return set(robeings)


class MonthProgress:
    """A `progress(month, turns_read)` callback: a running count on a
    terminal, one line per month in a log."""

    def __init__(self, out: TextIO, *, verb: str) -> None:
        self.out, self.verb = out, verb
        self._bar = (
            tqdm(desc=verb, unit="turn", file=out)
            if hasattr(out, "isatty") and out.isatty()
            else None
        )
        self._month: dt.date | None = None
        self._before = 0  # turns of the months finished
        self._done = 0

    def __call__(self, day: dt.date, done: int) -> None:
        month = day.replace(day=1)
        if month != self._month:
            if self._month is not None and self._bar is None:
                self.out.write(f"{self.verb} {self._month:%Y-%m}: {self._done:,} turns\n")
            self._before += self._done
            self._month, self._done = month, 0
        self._done = done
        if self._bar is not None:
            self._bar.update(self._before + done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._month is not None:
            self.out.write(f"{self.verb} {self._month:%Y-%m}: {self._done:,} turns\n")
