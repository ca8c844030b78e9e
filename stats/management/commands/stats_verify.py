"""Prove that every robeing's experience equals the sum of its XP ledger, and
optionally repair rows that drifted (e.g. after a manual SQL edit)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stats import services


class Command(BaseCommand):
    help = "Check robeing_stats.experience against the XP ledger; --repair fixes drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="Set drifted rows to the ledger.")

    def handle(self, *args, repair: bool, **options) -> None:
        drifts = services.stats_verify(repair=repair)
        for drift in drifts:
            verb = "repaired" if repair else "DRIFT"
            self.stdout.write(
                f"{verb}: {drift.robeing_id} experience {drift.experience} != ledger {drift.ledger}"
            )
        if drifts and not repair:
            raise CommandError(f"{len(drifts)} robeing(s) drifted; run with --repair to fix.")
        self.stdout.write(
            f"OK: experience equals the ledger for every robeing{' now' if repair else ''}."
        )
