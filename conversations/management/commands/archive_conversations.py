"""Move turns older than ARCHIVE_AFTER_DAYS into monthly archives (what the
nightly Celery job does), or show what would move."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from conversations.archiving import months, plan
from conversations.tasks import ARCHIVE_TASK
from jobs import services as job_services
from jobs.progress import CommandProgress
from jobs.services import JobAlreadyRunning

PARTIAL_ARCHIVE_JOB = "conversations.commands.archive_conversations_partial"


class Command(BaseCommand):
    help = "Archive old conversation turns (one gzip JSON Lines file per robeing per month)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would move; change nothing."
        )
        parser.add_argument(
            "--older-than-days", type=int, help="Retention window (default ARCHIVE_AFTER_DAYS)."
        )
        parser.add_argument("--robeing", help="Only this robeing.")
        parser.add_argument(
            "--batch-size", type=int, help="Rows per read/delete (default ARCHIVE_BATCH_SIZE)."
        )

    def handle(self, *args, dry_run: bool, older_than_days, robeing, batch_size, **options) -> None:
        cutoff = plan.archive_cutoff(older_than_days=older_than_days)
        if dry_run:
            self._show_plan(plan.archive_plan(cutoff=cutoff, robeing_id=robeing), cutoff)
            return
        progress = CommandProgress(self.stdout, verb="archiving")
        try:
            # A run narrowed to one robeing or another age is not the nightly
            # job's work: recorded apart, its success must not hide a failing
            # nightly run.
            partial = robeing is not None or older_than_days is not None
            job = PARTIAL_ARCHIVE_JOB if partial else ARCHIVE_TASK
            with job_services.job_run_recorded(job, trigger="command") as recorded:
                result = months.archive_conversations(
                    older_than_days=older_than_days,
                    robeing_id=robeing,
                    batch_size=batch_size,
                    progress=progress,
                )
                recorded.counts = {
                    "turns_archived": result.turns_archived,
                    "archives_written": result.archives_written,
                }
        except JobAlreadyRunning as busy:
            raise CommandError(f"Another archive run is in progress ({busy.holder}).") from None
        finally:
            progress.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Archived {result.turns_archived:,} turns into {result.archives_written} archives."
            )
        )
        if result.unfinished_finished:
            self.stdout.write(
                f"Finished {result.unfinished_finished} archives an earlier run left half done."
            )
        if result.stray_files_removed:
            self.stdout.write(
                f"Removed {result.stray_files_removed} files that belonged to no archive."
            )
        if result.turns_waiting_for_stats:
            self.stdout.write(
                f"{result.turns_waiting_for_stats:,} old turns wait for the stats aggregation "
                "and move on a later run."
            )

    def _show_plan(self, planned: list[plan.PlannedArchive], cutoff) -> None:
        self.stdout.write(
            f"Dry run: turns older than {timezone.localtime(cutoff):%Y-%m-%d %H:%M %Z}. "
            "Nothing is changed."
        )
        if not planned:
            self.stdout.write("Nothing to archive.")
            return
        self.stdout.write(
            f"{'robeing':<16} {'month':<8} {'to move':>10} {'waiting':>9} {'in archive':>11}"
        )
        for item in planned:
            self.stdout.write(
                f"{item.robeing_id:<16} {item.period:%Y-%m}  {item.turns:>10,} "
                f"{item.uncounted:>9,} {item.existing_turns:>11,}"
            )
        total = sum(item.turns for item in planned)
        self.stdout.write(
            f"Would archive {total:,} turns in {sum(1 for i in planned if i.turns)} archives."
        )
        if any(item.uncounted for item in planned):
            self.stdout.write(
                "(waiting: not yet counted by the stats aggregation; they move on a later run)"
            )
