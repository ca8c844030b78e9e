from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and robeings")

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth scheme)
