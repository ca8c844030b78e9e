"""Who may call what: every API endpoint against every kind of caller.

Bots reach their own robeing with their key; staff reach what the admin
would let them see or change (the same model permissions); nobody else gets
past 401 or 403. One test per endpoint, each comparing the whole row of
statuses, so a failure shows the row that changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.permissions import READ_ONLY_OPERATORS
from accounts.tests.factories import UserFactory
from privacy import services as privacy_services
from stats import services as stats_services
from stats.models import RobeingStats

pytestmark = pytest.mark.django_db

CALLERS = (
    "no credentials",
    "garbage key",
    "revoked key",
    "other robeing's key",
    "own key",
    "non-staff user",
    "staff without permissions",
    "read-only operator",
    "superuser",
)
ROBEING = "/api/v1/robeings/rb8001"


def a_turn() -> dict:
    return {
        "message": "내일 회의 몇 시야?",
        "response": "오전 10시입니다.",
        "channel_id": "C0123ABCD",
        "slack_user_id": "U024BE7LH",
        "event_id": f"Ev{uuid.uuid4().hex[:12]}",
    }


def a_task() -> dict:
    return {"task_id": f"T-{uuid.uuid4().hex[:8]}", "task_type": "email", "difficulty": 3, "outcome": "success"}  # fmt: skip


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: str  # may name {erasure} or {export}: a request made by the fixture
    body: Callable[[], dict] | None = None
    ok: int = 200  # what an allowed caller gets
    bots: bool = True  # a bot's own key may call it
    read_only: bool = False  # a read-only operator may call it


ENDPOINTS = [
    Endpoint("GET", f"{ROBEING}/conversations/", read_only=True),
    Endpoint("POST", f"{ROBEING}/conversations/", a_turn, ok=201),
    Endpoint("POST", f"{ROBEING}/conversations/batch/", lambda: {"turns": [a_turn(), a_turn()]}),
    Endpoint("GET", f"{ROBEING}/context/?channel_id=C0123ABCD", read_only=True),
    Endpoint("GET", f"{ROBEING}/stats/", read_only=True),
    Endpoint("POST", f"{ROBEING}/stats/allocate/", lambda: {"points": {"memory": 1}}),
    Endpoint("POST", f"{ROBEING}/tasks/", a_task, ok=201),
    Endpoint("GET", f"{ROBEING}/xp-events/", read_only=True),
    Endpoint("GET", f"{ROBEING}/settings/", read_only=True),
    Endpoint("GET", f"{ROBEING}/settings/history/", read_only=True),
    Endpoint("GET", f"{ROBEING}/settings/user_preference/", read_only=True),
    Endpoint("PATCH", f"{ROBEING}/settings/user_preference/", lambda: {"language": "en"}),
    Endpoint("GET", f"{ROBEING}/settings/user_preference/language/", read_only=True),
    Endpoint("POST", f"{ROBEING}/settings/user_preference/reset/", lambda: {}),
    Endpoint("GET", "/api/v1/analytics/overview/", bots=False, read_only=True),
    Endpoint(
        "POST",
        "/api/v1/privacy/erasure-requests/",
        lambda: {"slack_user_id": "UERASE"},
        ok=201,
        bots=False,
    ),  # fmt: skip
    Endpoint("GET", "/api/v1/privacy/erasure-requests/{erasure}/", bots=False),
    Endpoint(
        "POST",
        "/api/v1/privacy/export-requests/",
        lambda: {"slack_user_id": "UEXPORT"},
        ok=201,
        bots=False,
    ),  # fmt: skip
    Endpoint("GET", "/api/v1/privacy/export-requests/{export}/", bots=False),
    Endpoint("GET", "/api/v1/privacy/export-requests/{export}/download/", bots=False),
]


def expected_row(endpoint: Endpoint) -> dict[str, int]:
    allowed = endpoint.ok
    return {
        "no credentials": 401,
        "garbage key": 401,
        "revoked key": 401,
        "other robeing's key": 403,
        "own key": allowed if endpoint.bots else 403,
        "non-staff user": 403,
        "staff without permissions": 403,
        "read-only operator": allowed if endpoint.read_only else 403,
        "superuser": allowed,
    }


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def staff(email: str, **fields) -> object:
    # Sessions only: no password to hash (PBKDF2 is most of a test's time).
    return UserFactory(email=email, password=None, **fields)


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def callers(robeing, other_robeing, api_key, other_api_key, superuser) -> dict[str, APIClient]:
    revoked, revoked_key = account_services.api_key_create(robeing_id="rb8001", name="old")
    account_services.api_key_revoke(prefix=revoked.prefix)
    operator = staff("viewer@example.com", is_staff=True)
    operator.groups.add(Group.objects.get(name=READ_ONLY_OPERATORS))
    return {
        "no credentials": APIClient(),
        "garbage key": key_client("garbage.notakey"),
        "revoked key": key_client(revoked_key),
        "other robeing's key": key_client(other_api_key),
        "own key": key_client(api_key),
        "non-staff user": session_client(staff("someone@example.com")),
        "staff without permissions": session_client(staff("staff@example.com", is_staff=True)),
        "read-only operator": session_client(operator),
        "superuser": session_client(superuser),
    }


@pytest.fixture
def requests_made(robeing, superuser) -> dict[str, str]:
    """An erasure and a finished export to look at, and points to allocate."""
    stats_services.stats_set_allocation_mode(robeing_id="rb8001", mode="manual")
    RobeingStats.objects.filter(robeing_id="rb8001").update(unspent_points=50)
    erasure = privacy_services.erasure_request_create(
        user_id=None, slack_user_id="UNOBODY", requested_by=superuser
    )
    export = privacy_services.export_request_create(
        user_id=None, slack_user_id="U024BE7LH", requested_by=superuser
    )
    privacy_services.export_request_run(request_id=export.id)
    return {"erasure": str(erasure.id), "export": str(export.id)}


def call(client: APIClient, endpoint: Endpoint, requests_made: dict[str, str]) -> int:
    url = endpoint.url.format(**requests_made)
    body = endpoint.body() if endpoint.body else None
    send = getattr(client, endpoint.method.lower())
    return send(url, body, format="json").status_code if body is not None else send(url).status_code


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.url}")
def test_each_caller_gets_the_status_its_rights_give(endpoint, callers, requests_made):
    statuses = {name: call(callers[name], endpoint, requests_made) for name in CALLERS}

    assert statuses == expected_row(endpoint)


def test_every_api_endpoint_is_in_the_matrix():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if path not in ("/api/v1/schema/", "/api/v1/docs/")
    }
    in_matrix = {(e.method, _as_template(e.url)) for e in ENDPOINTS}

    assert documented == in_matrix


def _as_template(url: str) -> str:
    path = url.split("?")[0].replace("rb8001", "{robeing_id}")
    path = path.replace("{erasure}", "{request_id}").replace("{export}", "{request_id}")
    path = path.replace("/user_preference/language/", "/{category}/{key}/")
    return path.replace("/user_preference/", "/{category}/")


def test_a_staff_account_without_the_permission_is_told_which_one_it_lacks(robeing):
    client = session_client(staff("staff@example.com", is_staff=True))

    body = client.get(f"{ROBEING}/conversations/").json()

    assert body["code"] == "permission_denied"
    assert "conversations.view_conversationlog" in body["message"]


def test_the_admin_home_shows_the_dashboard_only_to_those_who_may_read_the_log(robeing):
    from django.test import Client

    without, with_group = Client(), Client()
    without.force_login(staff("staff@example.com", is_staff=True))
    operator = staff("viewer@example.com", is_staff=True)
    operator.groups.add(Group.objects.get(name=READ_ONLY_OPERATORS))
    with_group.force_login(operator)

    assert 'id="total-turns"' not in without.get("/admin/").content.decode()
    assert 'id="total-turns"' in with_group.get("/admin/").content.decode()
