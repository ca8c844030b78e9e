"""Count new conversation turns into robeing stats now (what the 5-minute beat
job does). Runs until the backlog is empty, in bounded batches."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from jobs import services as job_services
from stats import services

# The history shows a run by hand beside beat's runs of the same job.
JOB = "stats.tasks.aggregate_conversation_stats"


class Command(BaseCommand):
    help = "Aggregate new conversation turns into robeing_stats (exactly once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options) -> None:
        total = 0
        with job_services.job_run_recorded(JOB, trigger="command") as recorded:
            while True:
                result = services.conversation_stats_aggregate(
                    batch_size=batch_size, max_batches=10
                )
                total += result.turns
                recorded.counts = {"turns_counted": total}
                if result.turns:
                    self.stderr.write(f"... {total} turns counted")
                if not result.backlog_left:
                    break
        self.stdout.write(f"Counted {total} new turns.")
