"""Shared test fixtures. The suite runs on PostgreSQL (DATABASE_URL) and again
on SQLite without it; tests marked `postgresql` are skipped on SQLite, those
marked `embedded` (they need no database of the suite's) on PostgreSQL."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.selectors import api_key_cache, basic_auth_cache, slack_user_cache
from accounts.tests.factories import UserFactory
from core.cache_namespace import namespace as cache_namespace
from settings_app.selectors import forget_local_cache as forget_local_settings


def pytest_collection_modifyitems(config, items) -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        twice = pytest.mark.skip(reason="runs once, in the SQLite pass")
        for item in items:
            if "embedded" in item.keywords:
                item.add_marker(twice)
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    once = pytest.mark.skip(reason="browser tests run once, in the PostgreSQL pass")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)
        elif "browser" in item.keywords:
            item.add_marker(once)


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    # The per-process caches would otherwise carry keys, users and settings
    # across tests; a rolled-back test reuses version numbers a real database never
    # would, so a settings snapshot from an earlier test could look current.
    for clear in (
        api_key_cache.clear,
        basic_auth_cache.clear,
        slack_user_cache.clear,
        forget_local_settings,
    ):
        clear()
    yield
    for clear in (
        api_key_cache.clear,
        basic_auth_cache.clear,
        slack_user_cache.clear,
        forget_local_settings,
    ):
        clear()


@pytest.fixture(autouse=True)
def _data_migration_rows(request):
    """Rows that data migrations seed (task types, unlocks, badges, schedules).

    A transactional test ends by flushing every table, and with --reuse-db the
    next run would start without them; re-seeding (idempotently) keeps every
    test on the database a fresh `migrate` gives.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    importlib.import_module("stats.migrations.0002_defaults_and_schedule").seed(apps, None)
    importlib.import_module("conversations.migrations.0007_archive_task_name").schedule(apps, None)
    importlib.import_module("privacy.migrations.0002_privacy_schedule").schedule(apps, None)
    importlib.import_module("accounts.migrations.0002_read_only_operators").make_group(apps, None)
    # The database's identity (core.cache_namespace), read now, in this test's
    # database state: read in an earlier test, it would go stale within this
    # one (its row rolled back or flushed), and seeing the change half-way
    # through would empty the per-process caches between two requests.
    cache_namespace.forget()
    cache_namespace.current()


@pytest.fixture(autouse=True)
def _private_file_storages(settings, tmp_path):
    """Archives and exports in a folder of the test's own, not under var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "archives")},
        },
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "exports")},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Without Redis the limits are counted in the process; Redis ones go with
    # the cache below (one database).
    from core.ratelimit import limiter

    limiter().clear()


@pytest.fixture(autouse=True)
def _fresh_shared_cache():
    # Redis (or the file cache) outlives a test; stats versions must not leak.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def robeing(db):
    # Through the service, as in production: a robeing is born with its stats row.
    robeing, _ = account_services.robeing_get_or_create(robeing_id="rb8001", name="Demo 8001")
    return robeing


@pytest.fixture
def other_robeing(db):
    robeing, _ = account_services.robeing_get_or_create(robeing_id="rb10508", name="Demo 10508")
    return robeing


@pytest.fixture
def api_key(robeing) -> str:
    _, raw_key = account_services.api_key_create(robeing_id=robeing.robeing_id, name="test")
    return raw_key


@pytest.fixture
def other_api_key(other_robeing) -> str:
    _, raw_key = account_services.api_key_create(robeing_id=other_robeing.robeing_id, name="test")
    return raw_key


@pytest.fixture
def bot_client(api_key) -> APIClient:
    """An API client authenticated as rb8001's bot."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client


@pytest.fixture
def committing_bot(bot_client, django_capture_on_commit_callbacks):
    """rb8001's bot client, with each request's on-commit work (settings
    version and stats cache bumps) run as after a real commit: tests run
    inside a transaction that never commits."""

    class CommittingClient:
        def __getattr__(self, name: str):
            method = getattr(bot_client, name)

            def call(*args, **kwargs):
                with django_capture_on_commit_callbacks(execute=True):
                    return method(*args, **kwargs)

            return call

    return CommittingClient()


@pytest.fixture
def other_bot_client(other_api_key) -> APIClient:
    """An API client authenticated as rb10508's bot: the 'other user' of every auth test."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {other_api_key}")
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(email="operator@example.com", is_staff=True, is_superuser=False)


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


# What the API's staff endpoints ask of an operator (accounts.permissions):
# the permissions of these apps' models, as the admin would grant them.
OPERATOR_APPS = ("conversations", "stats", "settings_app", "privacy")


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    """An operator granted every permission of the API's models."""
    from django.contrib.auth.models import Permission

    staff_user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=OPERATOR_APPS)
    )
    client = APIClient()
    client.force_login(staff_user)
    return client


@pytest.fixture
def on_postgresql() -> bool:
    return connection.vendor == "postgresql"
