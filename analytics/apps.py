from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The operators' dashboard and its rollups of the conversation log."""

    name = "analytics"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        # stats sits below analytics and cannot import it: the rollups ride on
        # each aggregation batch, in its transaction, through this hook.
        from analytics.services import rollups_add
        from stats.services import on_turns_counted

        on_turns_counted(rollups_add)
