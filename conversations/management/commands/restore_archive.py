"""Bring an archive's turns back into the hot table (same ids; safe to re-run)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from conversations.archiving import manifest, restore
from core.errors import ApplicationError
from jobs.progress import CommandProgress
from jobs.services import JobAlreadyRunning


class Command(BaseCommand):
    help = "Restore an archive: `restore_archive 12` or `restore_archive rb8001 2026-05`."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="Archive id, or a robeing id followed by a month.")
        parser.add_argument("month", nargs="?", help="YYYY-MM, with a robeing id.")
        parser.add_argument(
            "--hold-days",
            type=int,
            help="Days the turns stay in the hot table before archiving may take them "
            "again (default ARCHIVE_RESTORE_HOLD_DAYS).",
        )

    def handle(self, *args, archive: str, month: str | None, hold_days, **options) -> None:
        found = self._find(archive, month)
        progress = CommandProgress(self.stdout, verb="restoring")
        try:
            result = restore.restore_archive(
                archive_id=found.id, hold_days=hold_days, progress=progress
            )
        except JobAlreadyRunning as busy:
            raise CommandError(f"Archive {found} is busy ({busy.holder}); try again.") from None
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        finally:
            progress.close()
        held = result.archive.hold_until
        self.stdout.write(
            self.style.SUCCESS(
                f"Archive {found} (id {found.id}): {result.restored:,} turns restored, "
                f"{result.already_present:,} were already in the hot table."
            )
        )
        if held:
            held = timezone.localtime(held)
            self.stdout.write(f"Archiving leaves this month alone until {held:%Y-%m-%d}.")

    def _find(self, archive: str, month: str | None):
        try:
            if month is None:
                if not archive.isdigit():
                    raise CommandError("Give an archive id, or a robeing id and a month (YYYY-MM).")
                return manifest.archive_get(archive_id=int(archive))
            try:
                year, number = (int(part) for part in month.split("-"))
                period = dt.date(year, number, 1)
            except ValueError:
                raise CommandError(f"{month!r} is not a month like 2026-05.") from None
            return manifest.archive_get(robeing_id=archive, period=period)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
