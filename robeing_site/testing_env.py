"""Loaded by pytest (`-p robeing_site.testing_env` in pytest.ini) before Django
reads its settings: the test suite runs with DEBUG-style defaults unless the
environment says otherwise, and never with a developer's `.env`."""

from __future__ import annotations

import os

# `make run` writes a .env next to manage.py (DEBUG on, its own SECRET_KEY); the
# suite and every process it starts read none, whatever the checkout holds.
os.environ.setdefault("ENV_FILE", os.devnull)
os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# The suite talks plain HTTP with DEBUG off: the production HTTPS defaults
# (robeing_site/settings.py) are switched off the way a local run would.
for _name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(_name, "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("SECURE_PROXY_SSL_HEADER", "")
