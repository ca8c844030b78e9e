"""Schemathesis against a live gunicorn on the test database, with the
project's own OpenAPI schema: as a bot, without credentials and with another
robeing's key. Every check runs (robeing_site/tests/schemathesis.toml says
which one is off for which operation, and why); the run must find no server
error and no disagreement between the schema and the server.

A failing run prints schemathesis' report, with a curl line per failure.
Explore further with another seed: SCHEMATHESIS_SEED=<n> make test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from accounts import services as account_services
from bench import common
from core.tests import live

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).with_name("st")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261201")


@pytest.fixture
def live_api(tmp_path):
    """gunicorn (2 workers) on the test database and the suite's Redis."""
    env = live.project_env(
        DEBUG="false",
        LOG_LEVEL="ERROR",
        # On, so their code runs, but far above what one run sends.
        API_RATE_LIMIT_PER_KEY="1000000/min",
        API_RATE_LIMIT_PER_ADDRESS="1000000/min",
        VAR_DIR=str(tmp_path / "var"),
    )
    port = common.free_port()
    with common.gunicorn(env, port, workers=("--workers", "2", "--threads", "2")):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def keys(robeing, other_robeing) -> dict[str, str]:
    _, own = account_services.api_key_create(robeing_id="rb8001", name="schemathesis")
    _, other = account_services.api_key_create(robeing_id="rb10508", name="schemathesis")
    return {"own": own, "other": other}


def schemathesis(url: str, cwd: Path, *args: str, schema: str | None = None):
    command = [str(ST), "--config-file", str(CONFIG), "run", schema or f"{url}/api/v1/schema/"]
    command += ["--url", url] if schema else []
    command += ["--seed", SEED, "--workers", "1", "--request-timeout", "10", *args]
    return subprocess.run(
        command,
        cwd=cwd,  # hypothesis keeps its example database here
        env={**os.environ, "ROBEING_ID": "rb8001"},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "caller",
    ["own key", "no credentials", "other robeing's key"],
    ids=lambda c: c.replace(" ", "_"),
)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_api, keys, tmp_path, caller
):
    header = {"own key": keys["own"], "other robeing's key": keys["other"]}.get(caller)
    auth = ["--header", f"Authorization: Api-Key {header}"] if header else []

    run = schemathesis(live_api, tmp_path, *auth)

    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "Tested: 20" in run.stdout  # every operation was reached


def test_the_run_fails_when_the_schema_and_the_server_disagree(live_api, keys, tmp_path):
    # Proof that the check above can fail: a schema promising a field the
    # stats endpoint does not send.
    with urllib.request.urlopen(f"{live_api}/api/v1/schema/?format=json", timeout=30) as answer:
        schema = json.load(answer)
    schema["components"]["schemas"]["StatsOut"]["required"].append("mood")
    schema["components"]["schemas"]["StatsOut"]["properties"]["mood"] = {"type": "string"}
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(schema))

    run = schemathesis(
        live_api,
        tmp_path,
        "--header",
        f"Authorization: Api-Key {keys['own']}",
        "--include-operation-id",
        "stats_get",
        schema=str(tampered),
    )

    assert run.returncode != 0
    assert "mood" in run.stdout
