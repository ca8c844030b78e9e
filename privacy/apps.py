from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """GDPR requests: erasure (right to be forgotten) and export (right of access)."""

    name = "privacy"
    verbose_name = _("Privacy requests")
