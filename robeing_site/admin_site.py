"""The admin as one product: "Robeing Console", whose home is the dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.admin import dashboard_context
from jobs import selectors as job_selectors

DASHBOARD_PERMISSION = "conversations.view_conversationlog"


class ConsoleAdminSite(admin.AdminSite):
    site_header = _("Robeing Console")
    site_title = _("Robeing Console")
    index_title = _("Dashboard")
    index_template = "admin/console_index.html"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        # The dashboard is made of the log (its questions are turn texts): it is
        # shown to those who may read the log, as the log browser is.
        dashboard = {}
        if request.user.has_perm(DASHBOARD_PERMISSION):
            dashboard = {**dashboard_context(request), "show_dashboard": True}
        if request.user.has_perm("jobs.view_jobrun"):
            dashboard["job_health"] = job_health()
        return super().index(request, {**dashboard, **(extra_context or {})})


def job_health() -> dict[str, Any]:
    """The home's line about the scheduled jobs: how many need attention."""
    now = timezone.now()
    statuses = job_selectors.job_statuses()
    return {
        "jobs": len(statuses),
        "needing_attention": sum(status.needs_attention(now) for status in statuses),
        "url": reverse("admin:jobs_jobrun_changelist"),
    }
