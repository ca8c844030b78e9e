"""Settings fail loudly rather than run with unsafe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(
    tmp_path: Path,
    env_file: Path | None = None,
    *,
    show: str = "settings.DATABASES['default']['ENGINE']",
    **env: str,
) -> subprocess.CompletedProcess:
    """Settings loaded in a child process with only `env` and `env_file` (none
    by default: a developer's .env must not mask the check); prints `show`."""
    unset = {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DATABASE_URL", "REDIS_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.update(env, VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="robeing_site.settings")
    clean["ENV_FILE"] = str(env_file or tmp_path / "no.env")
    code = f"import django; django.setup(); from django.conf import settings; print({show})"
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


def test_it_takes_debug_and_the_secret_key_from_the_env_file(tmp_path):
    # What `make run` writes once, so that manage.py works in a plain shell.
    env_file = tmp_path / "local.env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=from-the-env-file\n")

    result = load_settings(tmp_path, env_file, show="settings.DEBUG, settings.SECRET_KEY")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "from-the-env-file"]


def test_the_real_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / "local.env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=from-the-env-file\n")

    result = load_settings(
        tmp_path, env_file, show="settings.DEBUG, settings.SECRET_KEY",
        DEBUG="false", ALLOWED_HOSTS="example.com",
    )  # fmt: skip

    # DEBUG off, as the environment says; the file still gives what it lacks.
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "from-the-env-file"]


def test_without_an_env_file_or_variables_a_start_refuses_to_run(tmp_path):
    # Production has no .env: without its variables it must stop, loudly.
    result = load_settings(tmp_path)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_without_a_database_url_it_runs_on_the_embedded_sqlite_default(tmp_path):
    result = load_settings(tmp_path, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


HTTPS_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
)
# What `check --deploy` accepts as a secret: long and varied.
PRODUCTION_SECRET = "k" * 10 + "0123456789abcdefghijklmnopqrstuvwxyz-_!@#$%^&*()+="


def check_deploy(tmp_path: Path, env_file: Path | None = None, **env: str):
    """`manage.py check --deploy --fail-level WARNING` in a clean environment:
    none of the test suite's HTTPS overrides, no developer .env."""
    unset = {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DATABASE_URL", "REDIS_URL", *HTTPS_SETTINGS}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.update(env, VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    clean["ENV_FILE"] = str(env_file or tmp_path / "no.env")
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_is_clean_with_the_production_defaults(tmp_path):
    result = check_deploy(
        tmp_path, DEBUG="false", SECRET_KEY=PRODUCTION_SECRET, ALLOWED_HOSTS="console.example.com"
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_with_the_env_example_production_values(tmp_path):
    # .env.example leaves SECRET_KEY empty on purpose; the real environment wins.
    result = check_deploy(tmp_path, ROOT / ".env.example", SECRET_KEY=PRODUCTION_SECRET)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_plain_http_run_switches_the_https_settings_off_and_check_deploy_says_so(tmp_path):
    result = check_deploy(
        tmp_path,
        DEBUG="false",
        SECRET_KEY=PRODUCTION_SECRET,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
    )

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_a_malformed_proxy_ssl_header_stops_the_start(tmp_path):
    result = load_settings(tmp_path, DEBUG="true", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")

    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must be 'HTTP_<HEADER>,<value>'" in result.stderr
