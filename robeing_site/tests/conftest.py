"""A database with a row in every table an operator browses, for tests that
walk the whole admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from conversations.archiving import months
from conversations.tests.factories import ConversationLogFactory
from jobs.models import JobLock
from privacy import services as privacy_services
from settings_app import services as settings_services
from stats import services as stats_services


@pytest.fixture
def every_kind_of_row(robeing, superuser, django_capture_on_commit_callbacks):
    person = UserFactory(email="person@example.com", slack_user_id="U0PERSON1")
    account_services.api_key_create(robeing_id=robeing.robeing_id, name="bot")
    ConversationLogFactory(robeing=robeing, user=person, slack_user_id="U0PERSON1")
    ConversationLogFactory(
        robeing=robeing, timestamp=timezone.now() - dt.timedelta(days=200), intent="news"
    )
    stats_services.conversation_stats_aggregate()  # archiving takes counted turns only
    months.archive_conversations(older_than_days=90)
    stats_services.task_report_record(
        robeing_id=robeing.robeing_id, task_id="t1", task_type="email", difficulty=2, succeeded=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        settings_services.settings_patch(
            robeing_id=robeing.robeing_id,
            category="system_settings",
            patch={"max_memory_size": 50},
            actor=settings_services.Actor(user_id=superuser.id),
        )
    erased = UserFactory(email="erased@example.com", slack_user_id="U0ERASED1")
    privacy_services.erasure_request_create(user_id=erased.id)
    privacy_services.privacy_requests_process()
    privacy_services.export_request_create(user_id=person.id)
    privacy_services.privacy_requests_process()
    JobLock.objects.create(
        name="demo-lock",
        holder="host:1",
        acquired_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )


def admin_pages() -> list[str]:
    """Every registered model's list, add page and first row's page."""
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(_SuperuserRequest()):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return pages


class _SuperuserRequest:
    class user:  # noqa: N801 (stands in for request.user)
        is_active = is_staff = is_superuser = True

        @staticmethod
        def has_perm(perm, obj=None) -> bool:
            return True
