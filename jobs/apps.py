from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """What the scheduled maintenance jobs share: named locks with an expiry."""

    name = "jobs"
    verbose_name = _("Scheduled jobs")
