"""Caches never serve another database's values, nor a restored database's
lost newer state (core.cache_namespace).

The PostgreSQL tests are the issue's reproduction with real processes: each
step is a new `manage.py shell` against one database, all sharing one Redis, so
the only thing carried from step to step is the shared cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import override_settings
from psycopg import sql

from core.cache_namespace import database_namespace, namespace
from core.models import DatabaseIdentity
from settings_app import selectors as settings_selectors
from settings_app import services as settings_services
from stats import selectors as stats_selectors
from stats.models import RobeingStats

ROOT = Path(__file__).resolve().parents[2]


def a_new_database_identity() -> None:
    """What another database (or a restore) looks like to this process."""
    DatabaseIdentity.objects.all().delete()
    DatabaseIdentity.objects.create()
    namespace.forget()


def test_a_new_database_beside_a_warm_cache_reads_its_own_stats(robeing):
    RobeingStats.objects.filter(robeing_id=robeing.robeing_id).update(level=5, experience=9000)
    assert stats_selectors.stats_summary(robeing_id=robeing.robeing_id)["level"] == 5  # cached

    # The other database: the same robeing id at level 1; its own version 1.
    RobeingStats.objects.filter(robeing_id=robeing.robeing_id).update(level=1, experience=0)
    a_new_database_identity()

    summary = stats_selectors.stats_summary(robeing_id=robeing.robeing_id)
    assert (summary["level"], summary["experience"]) == (1, 0)


@override_settings(SETTINGS_VERSION_CHECK_SECONDS=0)  # every read asks the shared version
def test_a_process_drops_its_copy_of_settings_when_the_database_changes(robeing):
    actor = settings_services.Actor(key_prefix="test")
    settings_services.settings_patch(
        robeing_id=robeing.robeing_id,
        category="user_preference",
        patch={"language": "en"},
        actor=actor,
    )
    rid = robeing.robeing_id
    assert (
        settings_selectors.setting_value(robeing_id=rid, category="user_preference", key="language")
        == "en"
    )

    # The other database has the same version number with other values.
    from settings_app.models import RobeingSettings

    RobeingSettings.objects.filter(robeing_id=rid).update(user_preference={"language": "ja"})
    a_new_database_identity()

    value = settings_selectors.setting_value(
        robeing_id=rid, category="user_preference", key="language"
    )
    assert value == "ja"


def test_a_lost_version_key_never_points_at_stats_cached_under_an_earlier_one(robeing):
    from django.core.cache import cache

    from stats.cache import stats_cache_invalidate

    rid = robeing.robeing_id
    assert stats_selectors.stats_summary(robeing_id=rid)["level"] == 1  # cached, first version
    RobeingStats.objects.filter(robeing_id=rid).update(level=3)
    stats_cache_invalidate(robeing_id=rid)
    assert stats_selectors.stats_summary(robeing_id=rid)["level"] == 3

    cache.delete(f"stats:ver:{rid}")  # evicted, or Redis restarted with some keys kept

    assert stats_selectors.stats_summary(robeing_id=rid)["level"] == 3


@pytest.mark.django_db
def test_the_namespace_is_checked_again_only_after_its_interval():
    first = database_namespace()
    DatabaseIdentity.objects.all().delete()
    DatabaseIdentity.objects.create()

    with override_settings(CACHE_NAMESPACE_CHECK_SECONDS=3600):
        assert database_namespace() == first  # trusted for the interval
        namespace.forget()
        assert database_namespace() != first


@pytest.mark.django_db
def test_an_emptied_identity_table_is_filled_again():
    DatabaseIdentity.objects.all().delete()
    namespace.forget()

    assert database_namespace()
    assert DatabaseIdentity.objects.count() == 1


# --- real processes, real databases, one Redis -------------------------------

READ = """
import json
from accounts import services as accounts
from settings_app.selectors import setting_value
from stats.selectors import stats_summary
accounts.robeing_get_or_create(robeing_id="rb9001", name="Restore test")
summary = stats_summary(robeing_id="rb9001")
language = setting_value(robeing_id="rb9001", category="user_preference", key="language")
print(json.dumps({"experience": summary["experience"], "level": summary["level"], "language": language}))
"""

ADVANCE = """
from settings_app import services as settings
from stats.services import task_report_record
for n in range(10):
    task_report_record(robeing_id="rb9001", task_id=f"T-{n}", task_type="team_report",
                       difficulty=5, succeeded=True)
settings.settings_patch(robeing_id="rb9001", category="user_preference",
                        patch={"language": "en"}, actor=settings.Actor(key_prefix="test"))
"""


def server(dbname: str = "postgres") -> psycopg.Connection:
    params = {**connection.get_connection_params(), "dbname": dbname, "autocommit": True}
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params)


def copy_database(source: str, target: str) -> None:
    with server() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )


def drop_database(name: str) -> None:
    with server() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def in_process(dbname: str, code: str) -> str:
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{dbname}"
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def state(dbname: str) -> dict:
    return json.loads(in_process(dbname, READ).strip().splitlines()[-1])


def restore_by_recreating(backup: str, live: str) -> None:
    copy_database(backup, live)  # DROP, then CREATE ... TEMPLATE backup


def restore_dump_in_place(backup: str, live: str) -> None:
    """pg_dump of the backup, restored over the live database with --clean:
    the same database (same oid), every table made again."""
    params = connection.get_connection_params()
    common = ["-h", str(params["host"]), "-p", str(params["port"]), "-U", params["user"]]
    dump = subprocess.run(
        ["pg_dump", *common, "-Fc", backup], capture_output=True, timeout=120, check=True
    ).stdout
    subprocess.run(
        ["pg_restore", *common, "--clean", "--if-exists", "--no-owner", "-d", live],
        input=dump, capture_output=True, timeout=120, check=True,
    )  # fmt: skip


@pytest.fixture
def databases(transactional_db, _data_migration_rows):
    """A live database and its backup, both copies of the migrated test database."""
    suffix = uuid.uuid4().hex[:8]
    live, backup = f"robeing_restore_live_{suffix}", f"robeing_restore_backup_{suffix}"
    template = connection.settings_dict["NAME"]
    connection.close()  # CREATE DATABASE ... TEMPLATE needs the template to itself
    try:
        copy_database(template, live)
        yield live, backup
    finally:
        drop_database(live)
        drop_database(backup)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)  # the data migrations' rows, seeded again
def test_a_second_new_database_beside_the_first_ones_cache_starts_at_level_one(databases):
    first, second = databases
    copy_database(first, second)  # both fresh, both at migrate's state
    state(first)
    in_process(first, ADVANCE)
    assert state(first)["level"] > 1  # and now in Redis

    assert state(second) == {"experience": 0, "level": 1, "language": "ko"}


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("restore", [restore_by_recreating, restore_dump_in_place])
def test_a_database_restored_from_an_older_backup_serves_none_of_the_newer_state(
    databases, restore
):
    live, backup = databases
    before = state(live)
    copy_database(live, backup)  # the backup, taken while rb9001 is new
    in_process(live, ADVANCE)
    newer = state(live)  # the newer state, warm in Redis
    assert newer["experience"] > before["experience"] and newer["language"] == "en"

    restore(backup, live)

    assert state(live) == before
