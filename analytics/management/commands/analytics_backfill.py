"""Build the dashboard's rollups from the turns already counted (hot and
archived): once after installing, or to rebuild a period from scratch."""

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
from conversations.archiving import reads as archive_reads
from jobs.services import JobAlreadyRunning


class Command(BaseCommand):
    help = "Rebuild the dashboard rollups for a period from the counted turns, hot and archived."

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser, default="the first turn")

    def handle(self, *args, since, until, robeing, **options) -> None:
        robeing_ids = robeing_set(robeing)
        until_day = parse_day(until, "until") or timezone.localdate()
        since_day = parse_day(since, "since") or archive_reads.first_turn_day() or until_day
        if since_day > until_day:
            raise CommandError("--since is after --until.")
        progress = MonthProgress(self.stdout, verb="rollups")
        started = timezone.now()
        try:
            result = services.rollups_rebuild(
                since=since_day, until=until_day, robeing_ids=robeing_ids, progress=progress
            )
        except JobAlreadyRunning as busy:
            raise CommandError(
                f"{busy.name!r} is held by {busy.holder}; try again when it is done."
            ) from None
        finally:
            progress.close()
        seconds = (timezone.now() - started) / dt.timedelta(seconds=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {since_day}..{until_day}: {result.turns:,} turns into "
                f"{result.rows:,} rollup rows in {seconds:.1f} s."
            )
        )
