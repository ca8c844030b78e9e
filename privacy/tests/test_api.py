"""The privacy API (staff only), export contents and downloads, and the admin."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from conversations.archiving import months
from conversations.tests.factories import ConversationLogFactory
from privacy import services
from privacy.models import ErasureRequest, ExportRequest, RequestStatus

pytestmark = pytest.mark.django_db

ERASURES = "/api/v1/privacy/erasure-requests/"
EXPORTS = "/api/v1/privacy/export-requests/"


@pytest.fixture
def person(db):
    return UserFactory(email="jun@example.com", display_name="이준", slack_user_id="UJUN")


def test_staff_ask_for_an_erasure_and_see_its_deadline(staff_client, person):
    response = staff_client.post(ERASURES, {"user_id": str(person.id)}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["subject_kind"] == "user"
    received = dt.datetime.fromisoformat(body["received_at"])
    assert dt.datetime.fromisoformat(body["due_at"]) - received == dt.timedelta(days=30)
    assert body["overdue"] is False
    request = ErasureRequest.objects.get(id=body["id"])
    assert request.requested_by.email == "operator@example.com"


def test_staff_follow_an_erasure_to_its_outcome(staff_client, person, robeing):
    ConversationLogFactory(robeing=robeing, user=person, slack_user_id="UJUN")
    created = staff_client.post(ERASURES, {"slack_user_id": "UJUN"}, format="json").json()
    services.privacy_requests_process()

    body = staff_client.get(f"{ERASURES}{created['id']}/").json()

    assert body["status"] == "done"
    assert body["counts"]["hot_turns"] == 1
    assert body["subject_slack_user_id"] == "" and body["subject_user_id"] is None


def test_a_bots_key_cannot_ask_for_or_read_erasures(bot_client, person):
    assert bot_client.post(ERASURES, {"user_id": str(person.id)}, format="json").status_code == 403
    request = services.erasure_request_create(user_id=person.id)
    assert bot_client.get(f"{ERASURES}{request.id}/").status_code == 403


def test_without_credentials_the_privacy_api_answers_401(person):
    response = APIClient().post(ERASURES, {"user_id": str(person.id)}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_non_staff_user_is_refused(person):
    client = APIClient()
    client.force_login(UserFactory(is_staff=False))
    assert client.post(ERASURES, {"user_id": str(person.id)}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"user_id": "not-a-uuid"}, "user_id"),
        ({"user_id": "0b6d3d0e-8c4b-4a4e-9a66-5b1f7f8f0c11"}, "user_id"),  # nobody
        ({"user_id": "0b6d3d0e-8c4b-4a4e-9a66-5b1f7f8f0c11", "slack_user_id": "U1"}, None),
        ({"slack_user_id": "U1", "reason": "x"}, "reason"),
    ],
)
def test_a_request_that_does_not_name_one_known_person_is_a_400(staff_client, body, field):
    response = staff_client.post(ERASURES, body, format="json")

    assert response.status_code == 400
    if field:
        assert field in {e["field"] for e in response.json()["errors"]}


def test_an_unknown_request_id_is_a_404(staff_client):
    response = staff_client.get(f"{ERASURES}0b6d3d0e-8c4b-4a4e-9a66-5b1f7f8f0c11/")
    assert response.status_code == 404
    assert response.json()["code"] == "erasure_request_not_found"


# --- Export ---------------------------------------------------------------------------


@pytest.fixture
def exported(staff_client, person, robeing):
    now = timezone.now()
    hot = ConversationLogFactory(robeing=robeing, user=person, slack_user_id="UJUN", message="안녕")
    old = ConversationLogFactory(
        robeing=robeing,
        user=person,
        slack_user_id="UJUN",
        message="지난 봄",
        timestamp=now - dt.timedelta(days=200),
        counted=True,
    )
    ConversationLogFactory(robeing=robeing, slack_user_id="USOMEONE", message="남의 말")
    months.archive_conversations(older_than_days=90)
    created = staff_client.post(EXPORTS, {"user_id": str(person.id)}, format="json").json()
    services.privacy_requests_process()
    return {"id": created["id"], "hot": hot, "old": old}


def test_an_export_holds_the_persons_user_row_hot_and_archived_turns(staff_client, exported):
    body = staff_client.get(f"{EXPORTS}{exported['id']}/").json()
    assert body["status"] == "done" and body["download_url"]
    assert body["counts"] == {"hot_turns": 1, "archived_turns": 1, "user_rows": 1}

    download = staff_client.get(body["download_url"])

    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    document = json.loads(b"".join(download.streaming_content))
    assert document["format"] == "robeing-console-export/1"
    assert document["users"][0]["email"] == "jun@example.com"
    turns = {t["id"]: t for t in document["turns"]}
    assert set(turns) == {exported["hot"].id, exported["old"].id}
    assert turns[exported["hot"].id]["source"] == "hot"
    assert turns[exported["old"].id]["source"] == "archive"
    assert turns[exported["old"].id]["message"] == "지난 봄"


@pytest.mark.postgresql
def test_an_export_holds_a_turn_stored_with_a_number_beyond_64_bits(staff_client, person, robeing):
    # Stored before numbers were checked at the edge: jsonb hands 1e30 back as
    # the integer 10**30, which the export's encoder used to refuse.
    turn = ConversationLogFactory(robeing=robeing, user=person, message="큰 숫자")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE conversation_log SET metadata = '{\"x\": 1e30}'::jsonb WHERE id = %s",
            [turn.id],
        )
    created = staff_client.post(EXPORTS, {"user_id": str(person.id)}, format="json").json()

    services.privacy_requests_process()

    body = staff_client.get(f"{EXPORTS}{created['id']}/").json()
    assert body["status"] == "done"
    document = json.loads(b"".join(staff_client.get(body["download_url"]).streaming_content))
    assert document["turns"][0]["metadata"] == {"x": 1e30}


def test_a_bot_cannot_download_an_export(bot_client, exported):
    url = reverse("privacy-export-download", kwargs={"request_id": exported["id"]})
    assert bot_client.get(url).status_code == 403


def test_an_expired_export_cannot_be_downloaded(staff_client, exported):
    ExportRequest.objects.filter(id=exported["id"]).update(expires_at=timezone.now())
    url = reverse("privacy-export-download", kwargs={"request_id": exported["id"]})

    response = staff_client.get(url)

    assert response.status_code == 404
    assert response.json()["code"] == "export_gone"


# --- Admin ----------------------------------------------------------------------------


def test_operators_create_an_erasure_request_in_the_admin(client, superuser, person):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:privacy_erasurerequest_add"),
        {"user_id": str(person.id), "slack_user_id": ""},
    )

    assert response.status_code == 302
    request = ErasureRequest.objects.get()
    assert request.subject_user_id == person.id and request.requested_by == superuser


def test_the_admin_form_explains_a_request_without_a_person(client, superuser):
    client.force_login(superuser)

    response = client.post(reverse("admin:privacy_erasurerequest_add"), {})

    assert response.status_code == 200
    assert not ErasureRequest.objects.exists()
    assert response.context["adminform"].form.errors


def test_overdue_requests_stand_out_in_the_admin(client, superuser, person):
    late = services.erasure_request_create(user_id=person.id)
    ErasureRequest.objects.filter(id=late.id).update(due_at=timezone.now() - dt.timedelta(days=1))
    services.erasure_request_create(slack_user_id="UON_TIME")
    client.force_login(superuser)

    page = client.get(reverse("admin:privacy_erasurerequest_changelist"))
    overdue_only = client.get(
        reverse("admin:privacy_erasurerequest_changelist"), {"overdue": "yes"}
    )

    assert page.content.decode().count('style="color:#ba2121"') == 1
    assert [r.id for r in overdue_only.context["cl"].result_list] == [late.id]


def test_a_done_export_has_a_download_link_in_the_admin(client, superuser, exported):
    client.force_login(superuser)

    page = client.get(reverse("admin:privacy_exportrequest_changelist"))

    assert reverse("privacy-export-download", kwargs={"request_id": exported["id"]}) in (
        page.content.decode()
    )
    assert ExportRequest.objects.get(id=exported["id"]).status == RequestStatus.DONE
