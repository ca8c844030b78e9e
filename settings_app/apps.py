from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettingsAppConfig(AppConfig):
    """A robeing's settings (robeing_settings): the schema, the cached reads
    every API request makes, merge-patch writes and their history."""

    name = "settings_app"
    verbose_name = _("Robeing settings")

    def ready(self) -> None:
        from core import api
        from core.cache_namespace import on_namespace_change
        from settings_app.selectors import forget_local_cache, server_timing_wanted

        # core.api is below every app and cannot import this one: plug in here.
        api.set_server_timing_rule(server_timing_wanted)
        # Copies of another database's settings (a restore) are not this one's.
        on_namespace_change(forget_local_cache)
