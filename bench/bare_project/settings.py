"""Settings of the bare project: the least Django needs to serve one JSON view
from PostgreSQL, with the real project's connection options where they matter
for speed (persistent connections with health checks)."""

from __future__ import annotations

import os

SECRET_KEY = "bench-bare-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["bare_project.turns"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bare_project.urls"
WSGI_APPLICATION = "bare_project.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",  # psycopg 3, as the real project
        "NAME": os.environ.get("BARE_DATABASE_NAME", "robeing_bench_bare"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        # As robeing_site/settings.py: no TCP+auth handshake per request.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
# No cache: the view never uses one (a dummy, so that none is set up either).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
