"""Erasure: a person's turns go from the hot table and the archives, their
user row is stripped, and the request keeps counts, not identities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from accounts.selectors import user_ids_for_slack_users
from accounts.tests.factories import UserFactory
from conversations import services as conversation_services
from conversations.archiving import files, manifest, months, restore
from conversations.models import ConversationArchive, ConversationLog
from conversations.tests.factories import ConversationLogFactory
from core.errors import InvalidInput
from jobs import services as job_services
from privacy import services
from privacy.models import ErasureRequest, ExportRequest, RequestStatus

pytestmark = pytest.mark.django_db

SEOUL = dt.timezone(dt.timedelta(hours=9))
MARCH, APRIL, MAY = (dt.datetime(2026, m, 10, 12, tzinfo=SEOUL) for m in (3, 4, 5))


class Killed(Exception):
    """Stands in for the process dying at this point."""


@pytest.fixture
def person(db):
    return UserFactory(email="minji@example.com", display_name="김민지", slack_user_id="UMINJI")


@pytest.fixture
def world(robeing, other_robeing, person):
    """The person's turns and other people's, hot and archived, over two robeings."""
    now = timezone.now()

    def turn(robeing, when, mine: bool, by_slack_only: bool = False):
        fields = {"slack_user_id": "UMINJI"} if mine else {"slack_user_id": "UOTHER"}
        if mine and not by_slack_only:
            fields["user"] = person
        return ConversationLogFactory(robeing=robeing, timestamp=when, counted=True, **fields)

    mine = [
        turn(robeing, MARCH, True),
        turn(robeing, MARCH, True, by_slack_only=True),  # logged before the user existed
        turn(other_robeing, APRIL, True),
        turn(robeing, now - dt.timedelta(days=1), True),  # stays hot
        turn(robeing, now - dt.timedelta(days=2), True, by_slack_only=True),
    ]
    theirs = [
        turn(robeing, MARCH, False),
        turn(other_robeing, APRIL, False),
        turn(robeing, MAY, False),  # an archive without the person: never touched
        turn(robeing, now - dt.timedelta(days=1), False),
    ]
    months.archive_conversations(older_than_days=90)
    assert ConversationArchive.objects.count() == 3
    return {"mine": mine, "theirs": theirs}


def all_turn_ids() -> set[int]:
    ids = set(ConversationLog.objects.values_list("id", flat=True))
    for archive in ConversationArchive.objects.exclude(path=""):
        ids |= {r["id"] for r in files.archive_read(archive.path)}
    return ids


def erase(**subject) -> ErasureRequest:
    request = services.erasure_request_create(**subject)
    services.privacy_requests_process()
    request.refresh_from_db()
    return request


def test_it_erases_the_persons_turns_everywhere_and_keeps_everyone_elses(world, person):
    may = ConversationArchive.objects.get(period=dt.date(2026, 5, 1))

    request = erase(user_id=person.id)

    assert request.status == RequestStatus.DONE
    assert all_turn_ids() == {t.id for t in world["theirs"]}
    # Counts per place, exact.
    assert request.counts == {
        "hot_turns": 2,
        "archived_turns": 3,
        "archives_rewritten": 2,
        "exports_deleted": 0,
        "user_rows_anonymised": 1,
    }
    # The archive that never held the person is the same file as before.
    untouched = ConversationArchive.objects.get(id=may.id)
    assert (untouched.path, untouched.sha256, untouched.generation) == (
        may.path,
        may.sha256,
        may.generation,
    )


def test_naming_the_person_by_slack_id_finds_their_user_and_turns_too(world, person):
    request = erase(slack_user_id="UMINJI")

    assert request.counts["hot_turns"] + request.counts["archived_turns"] == 5
    assert all_turn_ids() == {t.id for t in world["theirs"]}
    assert request.counts["user_rows_anonymised"] == 1


def test_the_rewritten_archives_match_their_manifest(world, person):
    erase(user_id=person.id)

    for archive in ConversationArchive.objects.exclude(path=""):
        records = list(files.archive_read(archive.path))
        assert len(records) == archive.row_count
        assert not archive.subjects.filter(slack_user_id="UMINJI").exists()
        assert all(r["slack_user_id"] != "UMINJI" for r in records)
    # Previous generations are gone from the storage.
    assert not storages["archives"].exists(files.archive_path("rb8001", dt.date(2026, 3, 1), 1))


def test_the_user_row_is_stripped_of_everything_that_identifies_the_person(world, person):
    erase(user_id=person.id)

    person.refresh_from_db()
    assert person.email.endswith("@erased.invalid") and "minji" not in person.email
    assert (person.display_name, person.slack_user_id, person.is_active) == ("", None, False)
    assert not person.has_usable_password()
    # The cached Slack id -> user lookup no longer finds them.
    assert user_ids_for_slack_users(slack_user_ids={"UMINJI"}) == {}


def test_the_finished_request_keeps_no_personal_data(world, person):
    request = erase(user_id=person.id)

    assert request.subject_user_id is None and request.subject_slack_user_id == ""
    assert request.resolved_user_ids == [] and request.resolved_slack_user_ids == []
    assert request.subject_kind == "user"
    assert request.started_at <= request.finished_at
    stored = str(ErasureRequest.objects.filter(id=request.id).values().get())
    assert str(person.id) not in stored and "UMINJI" not in stored


def test_erasing_again_finds_nothing_more(world, person):
    erase(user_id=person.id)

    again = erase(user_id=person.id)

    assert again.counts == {
        "hot_turns": 0,
        "archived_turns": 0,
        "archives_rewritten": 0,
        "exports_deleted": 0,
        "user_rows_anonymised": 0,
    }


def test_erasure_deletes_the_persons_exports(world, person):
    export = services.export_request_create(user_id=person.id)
    services.export_request_run(request_id=export.id)
    export.refresh_from_db()
    path = export.file_path
    assert storages["exports"].exists(path)

    request = erase(user_id=person.id)

    export.refresh_from_db()
    assert export.status == RequestStatus.ERASED and export.file_path == ""
    assert export.subject_user_id is None
    assert not storages["exports"].exists(path)
    assert request.counts["exports_deleted"] == 1


def test_after_erasure_no_api_or_admin_page_returns_the_persons_turns(
    world, person, staff_client, superuser, client
):
    erase(user_id=person.id)

    history = staff_client.get(
        reverse("conversation-list", kwargs={"robeing_id": "rb8001"}),
        {"slack_user_id": "UMINJI"},
    )
    assert history.status_code == 200 and history.json()["results"] == []
    everything = staff_client.get(reverse("conversation-list", kwargs={"robeing_id": "rb8001"}))
    assert {t["slack_user_id"] for t in everything.json()["results"]} == {"UOTHER"}
    client.force_login(superuser)
    page = client.get(reverse("admin:conversations_conversationlog_changelist"), {"q": "UMINJI"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == []
    # A new export of the same person finds nothing.
    export = services.export_request_create(slack_user_id="UMINJI")
    services.export_request_run(request_id=export.id)
    export.refresh_from_db()
    assert export.counts == {"hot_turns": 0, "archived_turns": 0, "user_rows": 0}


# --- Crash points: the next run finishes, with exact counts ---------------------------


def test_killed_while_deleting_hot_turns_the_next_run_finishes(world, person, monkeypatch):
    real = conversation_services.conversation_turns_erase_batch
    calls = []

    def dies_on_the_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Killed()
        return real(**kwargs)

    monkeypatch.setattr(
        conversation_services, "conversation_turns_erase_batch", dies_on_the_second_batch
    )
    request = services.erasure_request_create(user_id=person.id)
    services.privacy_requests_process(batch_size=1)
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert request.last_error.startswith("Killed at ")  # no personal data in it
    assert request.counts == {"hot_turns": 1}
    monkeypatch.setattr(conversation_services, "conversation_turns_erase_batch", real)

    services.privacy_requests_process(batch_size=1)

    request.refresh_from_db()
    assert request.status == RequestStatus.DONE and request.attempts == 2
    assert request.counts["hot_turns"] == 2 and request.counts["archived_turns"] == 3
    assert all_turn_ids() == {t.id for t in world["theirs"]}


def test_killed_while_rewriting_an_archive_the_next_run_finishes(world, person, monkeypatch):
    real = manifest.generation_commit
    calls = []

    def dies_on_the_second_archive(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Killed()
        return real(*args, **kwargs)

    monkeypatch.setattr(manifest, "generation_commit", dies_on_the_second_archive)
    request = services.erasure_request_create(slack_user_id="UMINJI")
    services.privacy_requests_process()
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert request.counts["archives_rewritten"] == 1
    monkeypatch.setattr(manifest, "generation_commit", real)

    services.privacy_requests_process()

    request.refresh_from_db()
    assert request.status == RequestStatus.DONE
    assert (request.counts["archived_turns"], request.counts["archives_rewritten"]) == (3, 2)
    assert all_turn_ids() == {t.id for t in world["theirs"]}


def test_killed_after_the_user_row_was_stripped_the_next_run_still_knows_who(
    world, person, monkeypatch
):
    # The Slack id lives only on the user row; once stripped, only the request's
    # resolved ids still say which turns are theirs.
    real = account_services.user_anonymise

    def strips_then_dies(**kwargs):
        real(**kwargs)
        raise Killed()

    monkeypatch.setattr(account_services, "user_anonymise", strips_then_dies)
    ConversationLogFactory(robeing=world["mine"][0].robeing, slack_user_id="UMINJI")
    request = services.erasure_request_create(user_id=person.id)
    services.privacy_requests_process()
    monkeypatch.setattr(account_services, "user_anonymise", real)
    # A turn logged meanwhile under their Slack id.
    late = ConversationLogFactory(robeing=world["mine"][0].robeing, slack_user_id="UMINJI")

    services.privacy_requests_process()

    request.refresh_from_db()
    assert request.status == RequestStatus.DONE
    assert not ConversationLog.objects.filter(id=late.id).exists()


def test_an_erasure_waits_while_an_archive_run_holds_the_archives(world, person):
    request = services.erasure_request_create(user_id=person.id)
    with job_services.locked("archive-job"):
        with pytest.raises(job_services.JobAlreadyRunning):
            services.privacy_requests_process()
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING

    services.privacy_requests_process()

    request.refresh_from_db()
    assert request.status == RequestStatus.DONE


def test_a_request_has_a_deadline_thirty_days_after_receipt(person):
    request = services.erasure_request_create(user_id=person.id)

    assert request.due_at - request.received_at == dt.timedelta(days=30)
    assert not request.is_overdue
    ErasureRequest.objects.filter(id=request.id).update(
        received_at=timezone.now() - dt.timedelta(days=31),
        due_at=timezone.now() - dt.timedelta(days=1),
    )
    request.refresh_from_db()
    assert request.is_overdue


def test_a_request_must_name_exactly_one_known_identity(person):
    with pytest.raises(InvalidInput):
        services.erasure_request_create()
    with pytest.raises(InvalidInput):
        services.erasure_request_create(user_id=person.id, slack_user_id="UMINJI")
    with pytest.raises(InvalidInput):
        services.erasure_request_create(user_id=User().id)  # nobody has this id


def test_exports_past_their_time_are_deleted(world, person):
    export = services.export_request_create(user_id=person.id)
    services.export_request_run(request_id=export.id)
    export.refresh_from_db()
    path = export.file_path
    ExportRequest.objects.filter(id=export.id).update(expires_at=timezone.now())

    services.privacy_requests_process()

    export.refresh_from_db()
    assert export.status == RequestStatus.EXPIRED and export.file_path == ""
    assert export.subject_user_id is None
    assert not storages["exports"].exists(path)


def test_a_half_restored_archive_cannot_bring_an_erased_persons_turns_back(
    world, person, monkeypatch
):
    march = ConversationArchive.objects.get(robeing_id="rb8001", period=dt.date(2026, 3, 1))
    real = restore._insert_missing
    monkeypatch.setattr(restore, "_insert_missing", lambda records: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        restore.restore_archive(archive_id=march.id)
    monkeypatch.setattr(restore, "_insert_missing", real)

    erase(user_id=person.id)
    restore.restore_archive(archive_id=march.id)  # the operator finishes the restore

    assert all_turn_ids() == {t.id for t in world["theirs"]}
    assert not ConversationLog.objects.filter(slack_user_id="UMINJI").exists()
