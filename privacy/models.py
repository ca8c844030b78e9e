"""Privacy requests about one person: erase everything (GDPR art. 17) or
export everything (art. 15). A request names the person only while it is
being worked on; a finished erasure keeps counts and times, no identifiers."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _deadline() -> timezone.datetime:
    return timezone.now() + timedelta(days=settings.PRIVACY_REQUEST_DEADLINE_DAYS)


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("in progress")
    DONE = "done", _("done")
    FAILED = "failed", _("failed, will retry")
    EXPIRED = "expired", _("expired")  # exports: the file was deleted after its time
    ERASED = "erased", _("erased")  # exports: its person was erased since


# Not answered yet: what the job works on, and what can be overdue.
OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.RUNNING, RequestStatus.FAILED)


class SubjectKind(models.TextChoices):
    USER = "user", _("user id")
    SLACK_USER = "slack_user", _("Slack user id")


class PrivacyRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject_kind = models.CharField(_("named by"), max_length=16, choices=SubjectKind.choices)
    # Who the request is about. Cleared when an erasure completes.
    subject_user_id = models.UUIDField(_("user id"), null=True, blank=True)
    subject_slack_user_id = models.CharField(_("Slack user id"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    due_at = models.DateTimeField(_("deadline"), default=_deadline)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # What went wrong on the last attempt: an exception class and our own
    # message, never the person's data.
    last_error = models.TextField(_("last error"), blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ("-received_at",)

    @property
    def is_overdue(self) -> bool:
        # The same rule as privacy.selectors.requests_overdue, for one row.
        return self.status in OPEN_STATUSES and self.due_at < timezone.now()


class ErasureRequest(PrivacyRequest):
    # Every id the person is known by, resolved when work starts and kept until
    # it ends: after the user row is anonymised they could not be found again.
    resolved_user_ids = models.JSONField(default=list, blank=True, editable=False)
    resolved_slack_user_ids = models.JSONField(default=list, blank=True, editable=False)

    class Meta(PrivacyRequest.Meta):
        db_table = "privacy_erasure_request"
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        indexes = [
            models.Index(
                fields=("received_at",),
                condition=Q(status__in=["pending", "running", "failed"]),
                name="erasure_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{_('erasure')} {str(self.id)[:8]}"


class ExportRequest(PrivacyRequest):
    file_path = models.CharField(_("file"), max_length=500, blank=True)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    expires_at = models.DateTimeField(_("download until"), null=True, blank=True)

    class Meta(PrivacyRequest.Meta):
        db_table = "privacy_export_request"
        verbose_name = _("export request")
        verbose_name_plural = _("export requests")
        indexes = [
            models.Index(fields=("subject_user_id",), name="export_subject_user_idx"),
            models.Index(fields=("subject_slack_user_id",), name="export_subject_slack_idx"),
        ]

    def __str__(self) -> str:
        return f"{_('export')} {str(self.id)[:8]}"
