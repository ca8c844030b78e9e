"""A Server-Timing header on every response: the time the request spent in
Django (`app`) and in the database (`db`, with the query count), so the bench
can tell server cost from the client and the network."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse


class _QueryClock:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        clock = _QueryClock()
        started = time.perf_counter()
        with connection.execute_wrapper(clock):
            response = self.get_response(request)
        app_ms = (time.perf_counter() - started) * 1000
        ours = f'app;dur={app_ms:.1f}, db;dur={clock.seconds * 1000:.1f};desc="{clock.queries} q"'
        # A streamed body runs after this point: for it, app is the time to the first byte.
        existing = response.get("Server-Timing")
        response["Server-Timing"] = f"{existing}, {ours}" if existing else ours
        return response
