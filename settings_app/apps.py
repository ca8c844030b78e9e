from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettingsAppConfig(AppConfig):
    """Per-robeing settings (robeing_settings): built under issue #4."""

    name = "settings_app"
    verbose_name = _("Robeing settings")
