"""Settings for the benchmark server: the real settings plus one bare view."""

from __future__ import annotations

from robeing_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
