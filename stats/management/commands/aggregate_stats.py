"""Count new conversation turns into robeing stats now (what the 5-minute beat
job does). Runs until the backlog is empty, in bounded batches."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from stats import services


class Command(BaseCommand):
    help = "Aggregate new conversation turns into robeing_stats (exactly once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options) -> None:
        total = 0
        while True:
            result = services.conversation_stats_aggregate(batch_size=batch_size, max_batches=10)
            total += result.turns
            if result.turns:
                self.stderr.write(f"... {total} turns counted")
            if not result.backlog_left:
                break
        self.stdout.write(f"Counted {total} new turns.")
