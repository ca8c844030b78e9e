"""Demo data for `make run` and for benchmarks.

    python manage.py seed_demo [--turns 2000] [--seed 42] [--admin-password ...]

Creates (once) the robeings rb8001 and rb10508, eight demo users and the
superuser admin@example.com; then adds `--turns` new conversation turns, sets
the admin's password (--admin-password, else $DEMO_ADMIN_PASSWORD, else a fresh
random one), replaces the demo API keys (the previous run's are revoked) and
prints the login and keys, also written to $VAR_DIR/demo_keys.env for the
README's curl tour (`source var/demo_keys.env`).

On PostgreSQL the turns stream through COPY; elsewhere bulk_create in batches.
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import shlex
import time
from collections.abc import Iterable
from pathlib import Path

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from conversations.demo_data import COLUMNS, METADATA_INDEX, PEOPLE, DemoUser, demo_turns
from conversations.models import ConversationLog

ROBEINGS = {"rb8001": "로빙 8001", "rb10508": "로빙 10508"}
ADMIN_EMAIL = "admin@example.com"
KEY_NAME = "demo"
SERVER = "http://127.0.0.1:8000"
CHUNK = 100_000  # rows per COPY (per bulk_create call elsewhere) and per progress line
BULK_BATCH = 5_000


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


class Command(BaseCommand):
    help = "Create demo robeings, users and admin; add demo turns; print fresh demo API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--turns", type=_non_negative, default=2000, help="Turns to add (default 2000)."
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed for the turns (default: random)."
        )
        parser.add_argument(
            "--admin-password",
            default=None,
            help="Password for admin@example.com (default: $DEMO_ADMIN_PASSWORD, else random).",
        )

    def handle(self, *args, turns: int, seed: int | None, admin_password: str | None, **options):
        for robeing_id, name in ROBEINGS.items():
            account_services.robeing_get_or_create(robeing_id=robeing_id, name=name)
        users = _demo_users()
        if turns:
            self._add_turns(turns, users, secrets.randbelow(2**32) if seed is None else seed)
        # Credentials change last: a load that fails or is interrupted leaves the
        # previous password and keys (and demo_keys.env) working.
        password = admin_password or os.environ.get("DEMO_ADMIN_PASSWORD") or ""
        password = password or secrets.token_urlsafe(12)
        with transaction.atomic():
            account_services.superuser_set(
                email=ADMIN_EMAIL, password=password, display_name="데모 운영자"
            )
            keys = account_services.api_keys_replace(robeing_ids=list(ROBEINGS), name=KEY_NAME)
        path = _env_file_write(keys, password)
        self._report(keys, password, path)

    def _add_turns(self, n: int, users: list[DemoUser], seed: int) -> None:
        self.stderr.write(f"Adding {n:,} demo turns (--seed {seed}) ...")
        rows = demo_turns(
            n=n, robeing_ids=list(ROBEINGS), users=users, seed=seed, now=timezone.now()
        )
        write = _copy if connection.vendor == "postgresql" else _bulk_create
        started = time.monotonic()
        # One transaction: a failed or interrupted load adds nothing.
        with transaction.atomic():
            for done in range(CHUNK, n + CHUNK, CHUNK):
                # Lazy: rows are generated while the server works on the previous ones.
                write(itertools.islice(rows, CHUNK))
                if done < n:
                    rate = done / (time.monotonic() - started)
                    self.stderr.write(f"  {done:,} / {n:,} turns ({rate:,.0f}/s)")
        elapsed = max(time.monotonic() - started, 1e-6)
        self.stderr.write(f"Added {n:,} turns in {elapsed:.1f} s ({n / elapsed:,.0f} turns/s).")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # The admin's count is the planner's estimate on a big table.
                cursor.execute("ANALYZE conversation_log")

    def _report(self, keys: dict[str, str], password: str, path: Path) -> None:
        lines = [
            "",
            "Robeing Console demo is ready.",
            f"  Admin:    {SERVER}{reverse('admin:index')}",
            f"  Login:    {ADMIN_EMAIL}",
            f"  Password: {password}",
            *(f"  {robeing_id} API key: {key}" for robeing_id, key in keys.items()),
            f"  Saved to {path} (source it for the README's curl tour).",
            "",
        ]
        self.stdout.write("\n".join(lines))


def _demo_users() -> list[DemoUser]:
    users = []
    for person in PEOPLE:
        user, _ = account_services.user_get_or_create(
            email=person.email,
            display_name=person.display_name,
            slack_user_id=person.slack_user_id,
        )
        users.append(DemoUser(user.id, person.slack_user_id, person.lang))
    return users


def _copy(rows: Iterable[tuple]) -> None:
    """COPY one chunk. A COPY per chunk, not one for everything: libpq buffers
    whatever the server has not read yet (a single COPY of 1M rows grew the
    process by 250 MB), and the progress line should count stored rows."""
    connection.ensure_connection()
    sql = f"COPY {ConversationLog._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
    # The raw psycopg connection (Django's cursor has no copy()); the same
    # connection, so inside the caller's transaction.
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            values = list(row)
            values[METADATA_INDEX] = orjson.dumps(values[METADATA_INDEX]).decode()  # jsonb as text
            copy.write_row(values)


def _bulk_create(rows: Iterable[tuple]) -> None:
    objs = [ConversationLog(**dict(zip(COLUMNS, row, strict=True))) for row in rows]
    ConversationLog.objects.bulk_create(objs, batch_size=BULK_BATCH)


def _env_file_write(keys: dict[str, str], password: str) -> Path:
    path = settings.VAR_DIR / "demo_keys.env"
    values = {f"{robeing_id.upper()}_KEY": key for robeing_id, key in keys.items()}
    values |= {"ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": password}
    text = "".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items())
    # Owner-only from the first byte (it holds a password), then swapped in whole.
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    tmp.replace(path)
    return path
