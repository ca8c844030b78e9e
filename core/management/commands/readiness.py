"""The readiness probe for a container's health check: the checks of /readyz,
run in this process, so that no HTTP server, Host header or proxy is involved."""

from __future__ import annotations

import asyncio
import logging

from django.core.management.base import BaseCommand, CommandError

from core import health


class Command(BaseCommand):
    help = (
        "Check the database, the cache and the Celery broker as /readyz does: "
        "one line per check, exit status 1 if one of them failed."
    )

    def handle(self, *args, verbosity: int, **options) -> None:
        # django-health-check logs each failure with its traceback: useful in a
        # server's log, noise in a probe's output (`-v 2` shows them).
        library_log = logging.getLogger("health_check")
        level = library_log.level
        if verbosity < 2:
            library_log.setLevel(logging.ERROR)
        try:
            ready, body = health.readiness_body(asyncio.run(health.readiness_results()))
        finally:
            library_log.setLevel(level)
        for name, outcome in body["checks"].items():
            self.stdout.write(f"{name}: {outcome}")
        if not ready:
            failed = [name for name, outcome in body["checks"].items() if outcome != "ok"]
            raise CommandError(f"not ready: {', '.join(failed)}")
