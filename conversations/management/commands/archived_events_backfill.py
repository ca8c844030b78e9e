"""Record the event ids of turns archived before archiving recorded them, so a
re-sent old event is a duplicate there too. Run once after deploying the
version that added conversation_archived_event; safe to run again."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from conversations.archiving import manifest


class Command(BaseCommand):
    help = "Record the event ids of every archived turn (conversation_archived_event)."

    def handle(self, *args, **options) -> None:
        recorded = manifest.archived_events_backfill()
        self.stdout.write(f"Recorded {recorded} archived event ids.")
