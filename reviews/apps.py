from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    """Quality review: operators judge logged turns (the inbox, reviews and
    flags) and export them as training data."""

    name = "reviews"
    verbose_name = _("Quality review")
