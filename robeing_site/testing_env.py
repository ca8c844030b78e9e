"""Loaded by pytest (`-p robeing_site.testing_env` in pytest.ini) before Django
reads its settings: the test suite runs with DEBUG-style defaults unless the
environment says otherwise."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
