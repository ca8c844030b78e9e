"""Progress of long work for management commands: a bar per archive on a
terminal, plain lines (every 10% and at the end) when the output is a log."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from tqdm import tqdm


class CommandProgress:
    """A `progress(robeing_id, period, done, total)` callback."""

    def __init__(self, out: TextIO, *, verb: str) -> None:
        self.out, self.verb = out, verb
        self.is_terminal = hasattr(out, "isatty") and out.isatty()
        self._key: tuple[str, dt.date] | None = None
        self._bar: tqdm | None = None
        self._next_line_at = 0.0

    def __call__(self, robeing_id: str, period: dt.date, done: int, total: int) -> None:
        key = (robeing_id, period)
        if key != self._key:
            self.close()
            self._key, self._next_line_at = key, 0.0
            if self.is_terminal:
                label = f"{self.verb} {robeing_id} {period:%Y-%m}"
                self._bar = tqdm(total=total, desc=label, unit="turn", file=self.out)
        if self._bar is not None:
            self._bar.total = max(total, done)
            self._bar.update(done - self._bar.n)
            return
        share = done / total if total else 1.0
        if share >= self._next_line_at or done >= total:
            self.out.write(f"{self.verb} {robeing_id} {period:%Y-%m}: {done:,}/{total:,} turns\n")
            self._next_line_at = share + 0.1

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
