"""The log browser on a loaded database: deep pages and the CSV export.

    DATABASE_URL=postgres://.../robeing_big .venv/bin/python bench/log_list.py [--pages 1,2000]

Runs against the database DATABASE_URL names as it is (load it first, e.g.
`manage.py seed_demo --turns 1000000`, then VACUUM ANALYZE conversation_log
so that index-only scans can skip the table). It changes nothing but the
export audit table (one row per export it runs).

- Pages: the list's page N through the admin in this process (Django's test
  client, a superuser), median of 5 after one warm-up, for the keyset pages
  and, side by side, for plain OFFSET pages (the same list with
  KeysetPaginator switched off).
- Export: the whole unfiltered list as CSV through the export view, rows/s,
  and the process's peak memory (max RSS) before and after: flat memory
  means the peak does not grow with the rows.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robeing_site.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from conversations import admin as log_admin  # noqa: E402

LIST = "/admin/conversations/conversationlog/"


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _client() -> Client:
    user = get_user_model().objects.filter(is_superuser=True).first()
    if user is None:
        raise SystemExit("no superuser: run seed_demo first")
    client = Client()
    client.force_login(user)
    return client


def _median_ms(client: Client, params: dict, rounds: int = 5) -> float:
    client.get(LIST, params)  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(LIST, params)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def pages(client: Client, numbers: list[int], filters: dict) -> None:
    keyset_page = log_admin.KeysetPaginator.page
    for number in numbers:
        params = {**filters, "p": str(number)}
        keyset = _median_ms(client, params)
        log_admin.KeysetPaginator.page = log_admin.EstimatedCountPaginator.page
        try:
            offset = _median_ms(client, params)
        finally:
            log_admin.KeysetPaginator.page = keyset_page
        print(f"page {number:>6} {filters or ''}: keyset {keyset:7.1f} ms, OFFSET {offset:7.1f} ms")


def export(client: Client, filters: dict) -> None:
    before = _max_rss_mb()
    start = time.perf_counter()
    response = client.get(f"{LIST}export/", filters)
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")  # approximate: messages may hold newlines
    seconds = time.perf_counter() - start
    from conversations.models import ConversationExport

    audited = ConversationExport.objects.order_by("-id").first()
    print(
        f"export {filters or 'all'}: {audited.row_count:,} rows, {size / 1e6:.0f} MB in "
        f"{seconds:.1f} s = {audited.row_count / seconds:,.0f} rows/s; "
        f"max RSS {before:.0f} MB before, {_max_rss_mb():.0f} MB after"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="1,2000,19000", help="page numbers to time")
    parser.add_argument("--robeing", default="rb8001", help="robeing for the filtered pages")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    setup_test_environment()  # the test client, outside a test run
    client = _client()
    numbers = [int(n) for n in args.pages.split(",")]
    pages(client, numbers, {})
    pages(client, [n for n in numbers if n <= 200], {"robeing": args.robeing})
    if not args.no_export:
        export(client, {"robeing": args.robeing, "date_from": "2000-01-01"})
        export(client, {})


if __name__ == "__main__":
    main()
