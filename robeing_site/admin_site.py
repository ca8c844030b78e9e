"""The admin as one product: "Robeing Console", whose home is the dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from analytics.admin import dashboard_context


class ConsoleAdminSite(admin.AdminSite):
    site_header = _("Robeing Console")
    site_title = _("Robeing Console")
    index_title = _("Dashboard")
    index_template = "admin/console_index.html"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        return super().index(request, {**dashboard_context(request), **(extra_context or {})})
