"""Settings fail loudly rather than run with unsafe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    unset = {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DATABASE_URL", "REDIS_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.update(env, VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="robeing_site.settings")
    clean["ENV_FILE"] = str(tmp_path / "no.env")  # a developer's .env must not mask the check
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={**clean, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY must be set"),
        ({"DEBUG": "false", "SECRET_KEY": "s3cret"}, "ALLOWED_HOSTS must be set"),
    ],
)
def test_production_settings_refuse_to_start_without_secrets(tmp_path, env, complaint):
    result = load_settings(tmp_path, **env)

    assert result.returncode != 0
    assert complaint in result.stderr


def test_without_a_database_url_it_runs_on_the_embedded_sqlite_default(tmp_path):
    result = load_settings(tmp_path, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"
