"""Demo data for `make run` and for benchmarks.

    python manage.py seed_demo [--turns 2000] [--seed 42] [--admin-password ...]

Idempotent for robeings, users and the admin; each run revokes the previous
demo keys, creates fresh ones, adds `--turns` new turns, and prints the admin
login and the keys (also written to $VAR_DIR/demo_keys.env for the README's
curl tour). On PostgreSQL the turns are streamed with COPY, so a million rows
take a few minutes rather than an hour.
"""

from __future__ import annotations

import os
import secrets
import time

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils import timezone

from accounts import services as account_services
from accounts.models import RobeingAPIKey, User
from conversations.demo_data import DemoUser, demo_turns
from conversations.models import ConversationLog

ROBEINGS = {"rb8001": "로빙 8001", "rb10508": "로빙 10508"}
ADMIN_EMAIL = "admin@example.com"
USERS = [
    ("김민준", "minjun.kim"), ("이서연", "seoyeon.lee"), ("박지호", "jiho.park"),
    ("최유나", "yuna.choi"), ("정하은", "haeun.jung"), ("Alex Morgan", "alex.morgan"),
    ("Jordan Lee", "jordan.lee"), ("Sam Rivera", "sam.rivera"),
]  # fmt: skip
COLUMNS = [
    "robeing_id", "channel_id", "channel_type", "thread_ts", "message", "response", "intent",
    "confidence", "timestamp", "user_id", "slack_user_id", "event_id", "metadata", "created_at",
]  # fmt: skip
PROGRESS_EVERY = 100_000


class Command(BaseCommand):
    help = "Create demo robeings, users, admin, fresh API keys and conversation turns."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--turns", type=int, default=2000, help="Turns to add (default 2000).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed for the turns.")
        parser.add_argument("--admin-password", default=os.environ.get("DEMO_ADMIN_PASSWORD"))

    def handle(self, *args, turns: int, seed: int | None, admin_password: str | None, **opts):
        for robeing_id, name in ROBEINGS.items():
            account_services.robeing_get_or_create(robeing_id=robeing_id, name=name)
        users = self._users()
        password = admin_password or secrets.token_urlsafe(12)
        self._admin(password)
        keys = self._fresh_keys()
        if turns > 0:
            self._turns(turns, users, seed)
        self._report(password, keys)

    def _users(self) -> list[DemoUser]:
        demo_users = []
        for number, (name, local) in enumerate(USERS, start=1):
            user, _ = User.objects.get_or_create(
                email=f"{local}@example.com",
                defaults={"display_name": name, "slack_user_id": f"U0DEMO{number:03d}"},
            )
            demo_users.append(DemoUser(user.id, user.slack_user_id))
        return demo_users

    def _admin(self, password: str) -> None:
        admin = User.objects.filter(email=ADMIN_EMAIL).first()
        if admin is None:
            admin = User.objects.create_superuser(ADMIN_EMAIL, password, display_name="운영자")
        admin.set_password(password)  # printed below, so it always works
        admin.save(update_fields=["password"])

    def _fresh_keys(self) -> dict[str, str]:
        old = RobeingAPIKey.objects.filter(robeing_id__in=ROBEINGS, name="demo", revoked=False)
        for api_key in old:
            account_services.api_key_revoke(prefix=api_key.prefix)
        return {
            robeing_id: account_services.api_key_create(robeing_id=robeing_id, name="demo")[1]
            for robeing_id in ROBEINGS
        }

    def _turns(self, n: int, users: list[DemoUser], seed: int | None) -> None:
        started = time.monotonic()
        rows = demo_turns(
            n=n, robeing_ids=list(ROBEINGS), users=users, now=timezone.now(), seed=seed
        )
        if connection.vendor == "postgresql":
            self._copy(rows)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE conversation_log")  # the admin's estimated count
        else:
            self._bulk_create(rows)
        elapsed = time.monotonic() - started
        self.stderr.write(
            f"Added {n:,} turns in {elapsed:.1f} s ({n / max(elapsed, 1e-9):,.0f}/s)."
        )

    def _copy(self, rows) -> None:
        connection.ensure_connection()
        sql = f"COPY conversation_log ({', '.join(COLUMNS)}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for count, row in enumerate(rows, start=1):
                row["metadata"] = orjson.dumps(row["metadata"]).decode()
                copy.write_row([row[c] for c in COLUMNS])
                if count % PROGRESS_EVERY == 0:
                    self.stderr.write(f"... {count:,} turns")

    def _bulk_create(self, rows) -> None:
        batch: list[ConversationLog] = []
        for count, row in enumerate(rows, start=1):
            batch.append(ConversationLog(**row))
            if len(batch) == 5000:
                ConversationLog.objects.bulk_create(batch)
                batch.clear()
            if count % PROGRESS_EVERY == 0:
                self.stderr.write(f"... {count:,} turns")
        ConversationLog.objects.bulk_create(batch)

    def _report(self, password: str, keys: dict[str, str]) -> None:
        path = settings.VAR_DIR / "demo_keys.env"
        lines = [f"{rid.upper()}_KEY={key}" for rid, key in keys.items()]
        lines += [f"ADMIN_EMAIL={ADMIN_EMAIL}", f"ADMIN_PASSWORD={password}"]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Robeing Console demo is ready.",
                    "  Admin:    http://127.0.0.1:8000/admin/",
                    f"  Login:    {ADMIN_EMAIL} / {password}",
                    *(f"  {rid} API key: {key}" for rid, key in keys.items()),
                    f"  (also in {path}: `source {os.path.relpath(path)}`)",
                    "",
                ]
            )
        )
