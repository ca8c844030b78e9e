from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """GDPR requests: erasure (right to be forgotten) and export (right of access)."""

    name = "privacy"
    verbose_name = _("Privacy requests")

    def ready(self) -> None:
        # reviews sits below privacy and cannot import it; privacy tells it
        # whose turns must not leave the log as training data while their
        # erasure is pending.
        from privacy.selectors import people_pending_erasure
        from reviews.selectors import set_erasure_pending_rule

        set_erasure_pending_rule(people_pending_erasure)
