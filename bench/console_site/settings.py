"""The product's settings, as deployed, plus what the console bench needs."""

from __future__ import annotations

from robeing_site.settings import *  # noqa: F403
from robeing_site.settings import MIDDLEWARE

ROOT_URLCONF = "bench.console_site.urls"
# Outermost, so the figure covers every other middleware too.
MIDDLEWARE = ["bench.console_site.timing.ServerTimingMiddleware", *MIDDLEWARE]
