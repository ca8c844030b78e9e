"""Create or revoke a robeing's API key.

    python manage.py robeing_key create rb8001 [--name slack-bot]
    python manage.py robeing_key revoke <prefix>

`create` prints the key as its last line (and only then: it is stored hashed).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create (and print once) or revoke a robeing's API key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key; registers the robeing if new.")
        create.add_argument("robeing_id")
        create.add_argument("--name", default="default", help="A label for the key (50 chars).")
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix (the part before '.').")
        revoke.add_argument("prefix")

    def handle(self, *args, **options) -> None:
        try:
            if options["action"] == "create":
                self._create(options["robeing_id"], options["name"])
            else:
                self._revoke(options["prefix"])
        except ApplicationError as exc:
            details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise CommandError(f"{exc.message} {details}".strip()) from exc

    def _create(self, robeing_id: str, name: str) -> None:
        api_key, raw_key = services.api_key_create(robeing_id=robeing_id, name=name)
        self.stderr.write(
            f"Created API key {api_key.prefix} for {robeing_id}. "
            "Store it now: it cannot be shown again."
        )
        self.stdout.write(raw_key)

    def _revoke(self, prefix: str) -> None:
        api_key = services.api_key_revoke(prefix=prefix)
        self.stdout.write(f"Revoked API key {api_key.prefix} of {api_key.robeing_id}.")
