from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """The growth engine: robeing_stats, the XP ledger, levels, stat points,
    unlocks and badges, and the aggregation that counts turns into them."""

    name = "stats"
    verbose_name = _("Growth")

    def ready(self) -> None:
        # accounts and conversations sit below stats and cannot import it;
        # stats plugs its two rules into them here.
        from accounts.services import on_robeing_registered
        from conversations.selectors import set_context_turns_default
        from stats.selectors import context_turns_default
        from stats.services import stats_initialize

        # Every robeing has a stats row from birth (seed: initialize_stats).
        on_robeing_registered(stats_initialize)
        # A better memory keeps a longer context (seed 3.3.2).
        set_context_turns_default(context_turns_default)
