"""Operators see the archive manifest in the admin (read-only, in Korean)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.archiving import months
from conversations.models import ConversationArchive
from conversations.tests.factories import ConversationLogFactory
from jobs import services as job_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(robeing, other_robeing):
    long_ago = timezone.now() - dt.timedelta(days=200)
    for owner in (robeing, robeing, other_robeing):
        ConversationLogFactory(robeing=owner, timestamp=long_ago, counted=True)
    months.archive_conversations(older_than_days=90)
    return ConversationArchive.objects.get(robeing_id="rb8001")


def test_the_manifest_lists_each_archive_with_its_counts(client, superuser, archived):
    client.force_login(superuser)

    page = client.get(reverse("admin:conversations_conversationarchive_changelist"))

    assert page.status_code == 200
    rows = list(page.context["cl"].result_list)
    assert {(a.robeing_id, a.row_count) for a in rows} == {("rb8001", 2), ("rb10508", 1)}
    assert "대화 보관 파일" in page.content.decode()


def test_the_manifest_filters_by_robeing(client, superuser, archived):
    client.force_login(superuser)

    page = client.get(
        reverse("admin:conversations_conversationarchive_changelist"), {"robeing": "rb10508"}
    )

    assert [a.robeing_id for a in page.context["cl"].result_list] == ["rb10508"]


def test_an_archives_page_shows_its_checksum_and_how_to_restore_it(client, superuser, archived):
    client.force_login(superuser)

    page = client.get(reverse("admin:conversations_conversationarchive_change", args=[archived.id]))

    text = page.content.decode()
    assert archived.sha256 in text
    assert f"python manage.py restore_archive {archived.id}" in text


def test_operators_cannot_edit_or_delete_the_manifest(client, superuser, archived):
    client.force_login(superuser)
    url = reverse("admin:conversations_conversationarchive_change", args=[archived.id])

    client.post(url, {"row_count": 0})
    deleted = client.post(
        reverse("admin:conversations_conversationarchive_delete", args=[archived.id]),
        {"post": "yes"},
    )

    assert deleted.status_code == 403
    archived.refresh_from_db()
    assert archived.row_count == 2


def test_job_locks_are_listed_for_operators(client, superuser):
    client.force_login(superuser)
    with job_services.locked("archive-job"):
        page = client.get(reverse("admin:jobs_joblock_changelist"))

    assert page.status_code == 200
    assert "archive-job" in page.content.decode()
