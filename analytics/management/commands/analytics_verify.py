"""Prove that the dashboard's rollups equal a raw count of the turns, per
robeing and Seoul day, and optionally rebuild the days that differ."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics import services
from analytics.management.commands._period import (
    MonthProgress,
    add_period_arguments,
    parse_day,
    robeing_set,
)
from jobs.services import JobAlreadyRunning

DEFAULT_DAYS = 30


class Command(BaseCommand):
    help = "Compare the dashboard rollups with a raw count of the turns; --repair rebuilds."

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser, default=f"{DEFAULT_DAYS} days before --until")
        parser.add_argument("--repair", action="store_true", help="Rebuild the days that differ.")

    def handle(self, *args, since, until, robeing, repair: bool, **options) -> None:
        robeing_ids = robeing_set(robeing)
        until_day = parse_day(until, "until") or timezone.localdate()
        since_day = parse_day(since, "since") or until_day - dt.timedelta(days=DEFAULT_DAYS - 1)
        if since_day > until_day:
            raise CommandError("--since is after --until.")
        progress = MonthProgress(self.stderr, verb="counting")
        try:
            differences = services.rollups_verify(
                since=since_day,
                until=until_day,
                robeing_ids=robeing_ids,
                repair=repair,
                progress=progress,
            )
        except JobAlreadyRunning as busy:
            raise CommandError(
                f"{busy.name!r} is held by {busy.holder}; try again when it is done."
            ) from None
        finally:
            progress.close()
        for difference in differences:
            self.stdout.write(
                f"{'repaired' if repair else 'DIFFERS'}: {difference.robeing_id} {difference.day} "
                f"({', '.join(difference.tables)}): rollups {difference.stored_turns:,} turns, "
                f"raw count {difference.counted_turns:,}"
            )
        if differences and not repair:
            raise CommandError(
                f"{len(differences)} robeing-day(s) differ; run with --repair to rebuild them."
            )
        self.stdout.write(
            f"OK: the rollups equal the raw count for {since_day}..{until_day}"
            f"{' now' if repair else ''}."
        )
