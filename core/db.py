"""Database session settings for particular kinds of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def serial_reads() -> Iterator[None]:
    """A transaction whose queries run without parallel workers (PostgreSQL).

    For pages an operator waits on: on this kind of 2-core machine launching
    the workers of a parallel plan costs 20-25 ms, and the planner picks such
    a plan for a search of ten million turns whose index finds nothing (5 ms
    without workers, 27-95 ms with them). Batch jobs keep parallel plans.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield
