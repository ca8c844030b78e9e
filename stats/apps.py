from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Growth engine (robeing_stats, XP ledger, levels): built under issue #3."""

    name = "stats"
    verbose_name = _("Growth")
