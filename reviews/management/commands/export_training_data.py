"""Write logged turns, with their reviews, as JSON Lines training data.

One line per turn: id, robeing_id, timestamp (UTC), message and response
(masked), intent (as logged), confidence, reviewed_intent and verdict (the
latest review; null when unreviewed). Turns of anyone with an open erasure
request are left out. Streamed: memory stays flat at a million turns.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import IO, Any

import pydantic
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts import selectors as account_selectors
from core.errors import NotFound
from reviews import selectors
from reviews.schemas import TrainingExportIn


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"{raw!r} is not a YYYY-MM-DD date.") from None


class Command(BaseCommand):
    help = "Export turns and their reviews as JSON Lines training data (Seoul days, inclusive)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", required=True, help="First Seoul day, YYYY-MM-DD.")
        parser.add_argument("--until", required=True, help="Last Seoul day, YYYY-MM-DD.")
        parser.add_argument(
            "--robeing", nargs="+", default=[], metavar="ROBEING_ID", help="Only these robeings."
        )
        parser.add_argument(
            "--reviewed-only", action="store_true", help="Only turns an operator has reviewed."
        )
        parser.add_argument("--output", help="Write to this file (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = self._validated(options)
        query = {
            "since": wanted.since,
            "until": wanted.until,
            "robeing_ids": wanted.robeing_ids,
            "reviewed_only": wanted.reviewed_only,
        }
        # The bar goes to stderr (stdout may be the data) and only on a
        # terminal: a cron job's log gets nothing.
        bar_out = self.stderr._out
        show_progress = self.stderr.isatty()
        total = selectors.training_examples_count(**query) if show_progress else None
        written = 0
        with self._output(options["output"]) as out:
            bar = tqdm(total=total, unit="turn", file=bar_out, disable=not show_progress)
            for chunk in selectors.training_jsonl_chunks(selectors.training_examples(**query)):
                out.write(chunk.decode())
                lines = chunk.count(b"\n")
                written += lines
                bar.update(lines)
            bar.close()
        turns = f"{written:,} turn{'' if written == 1 else 's'}"
        if options["output"]:
            self.stdout.write(f"Wrote {turns} to {options['output']}.")
        elif show_progress:
            self.stderr.write(f"Wrote {turns}.")

    def _validated(self, options: dict[str, Any]) -> TrainingExportIn:
        since, until = _date(options["since"]), _date(options["until"])
        try:
            wanted = TrainingExportIn(
                since=since,
                until=until,
                robeing_ids=options["robeing"],
                reviewed_only=options["reviewed_only"],
            )
        except pydantic.ValidationError as exc:
            problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            raise CommandError(problems) from None
        for robeing_id in wanted.robeing_ids:
            try:
                account_selectors.robeing_get(robeing_id=robeing_id)
            except NotFound as error:
                raise CommandError(error.message) from None
        return wanted

    @contextmanager
    def _output(self, path: str | None):
        if not path:
            yield _Unterminated(self.stdout)
            return
        try:
            handle: IO[str] = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from None
        with handle:
            yield handle


class _Unterminated:
    """The command's stdout without its habit of ending every write with a
    newline: the chunks carry their own."""

    def __init__(self, wrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")
