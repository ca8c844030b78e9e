from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and robeings")

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth scheme)
        from accounts.selectors import api_key_cache, basic_auth_cache, slack_user_cache
        from core.cache_namespace import on_namespace_change

        # Rows of a database this process no longer talks to (a restore).
        for process_cache in (api_key_cache, basic_auth_cache, slack_user_cache):
            on_namespace_change(process_cache.clear)
