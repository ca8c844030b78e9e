"""/healthz and /readyz as a load balancer sees them, and `manage.py readiness`.

The faults of real services (PostgreSQL, Redis and a broker stopped and
started again) are in robeing_site/tests/test_faults.py."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from bench.common import free_port

ALL_OK = {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
STATS = "/api/v1/robeings/rb8001/stats/"


def test_healthz_answers_while_the_database_cannot_be_reached(client):
    # No django_db mark: any query in this test raises, as with the database away.
    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert "no-store" in answer["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_200_when_the_database_the_cache_and_the_broker_answer(client):
    answer = client.get("/readyz", HTTP_ACCEPT="text/html")  # JSON whatever is asked for

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == ALL_OK
    assert "no-store" in answer["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["amqp", "redis"])
def test_readyz_names_the_broker_when_nothing_listens_on_its_port(client, scheme):
    url = f"{scheme}://robeing:s3cret-password@127.0.0.1:{free_port()}/0"
    with override_settings(CELERY_BROKER_URL=url, CELERY_BROKER_TRANSPORT_OPTIONS={}):
        started = time.monotonic()
        answer = client.get("/readyz")

    assert time.monotonic() - started < 2  # one refused attempt, no retry loop
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
    assert body["checks"]["broker"].startswith("unavailable: Unable to connect to the broker")
    assert "s3cret" not in answer.content.decode() and "127.0.0.1" not in answer.content.decode()


@pytest.mark.django_db
def test_readyz_names_the_broker_when_its_queue_folder_is_gone(client, tmp_path):
    gone = str(tmp_path / "gone")
    options = {"data_folder_in": gone, "data_folder_out": gone}
    with override_settings(
        CELERY_BROKER_URL="filesystem://", CELERY_BROKER_TRANSPORT_OPTIONS=options
    ):
        answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["checks"]["broker"] == (
        "unavailable: The broker's queue folder is missing or not writable."
    )


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_over_plain_http_are_not_redirected_to_https():
    client = Client()  # its middleware is built with the setting above

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    redirected = client.get("/admin/login/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")


def test_a_probe_that_sends_the_pods_address_as_host_is_refused_unless_allowed_hosts_names_it(
    client,
):
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 400

    with override_settings(ALLOWED_HOSTS=["testserver", "10.1.2.3"]):
        assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200


@pytest.mark.django_db
@override_settings(API_RATE_LIMIT_PER_ADDRESS="2/min")
def test_probes_are_not_rate_limited_nor_counted_against_the_address(client):
    statuses = {client.get(path).status_code for path in ["/healthz", "/readyz"] * 3}

    assert statuses == {200}
    assert client.get(STATS).status_code == 401  # the address's allowance is untouched
    assert client.get(STATS).status_code == 401
    assert client.get(STATS).status_code == 429


@pytest.mark.django_db
def test_manage_py_readiness_prints_each_check():
    out = StringIO()
    call_command("readiness", stdout=out)

    assert out.getvalue().splitlines() == ["database: ok", "cache: ok", "broker: ok"]


@pytest.mark.django_db
def test_manage_py_readiness_fails_naming_what_is_down():
    out = StringIO()
    broker = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(CELERY_BROKER_URL=broker, CELERY_BROKER_TRANSPORT_OPTIONS={}):
        with pytest.raises(CommandError, match="not ready: broker"):
            call_command("readiness", stdout=out)

    assert "broker: unavailable: Unable to connect to the broker" in out.getvalue()


@pytest.mark.postgresql
def test_readiness_never_names_the_database_host_it_could_not_reach(monkeypatch, settings, db):
    import health_check.checks
    from django.db.utils import ConnectionHandler
    from health_check.exceptions import ServiceUnavailable

    from bench import common
    from core.health import QuietDatabase

    closed = {**settings.DATABASES["default"], "HOST": "127.0.0.1", "PORT": common.free_port()}
    monkeypatch.setattr(health_check.checks, "connections", ConnectionHandler({"default": closed}))

    with pytest.raises(ServiceUnavailable) as refused:
        QuietDatabase().run()

    assert str(refused.value).endswith("The database did not answer (OperationalError).")
    assert "127.0.0.1" not in str(refused.value)
