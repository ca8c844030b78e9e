"""robeing_settings (seed 4.1) and the history of every change to it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RobeingSettings(models.Model):
    """Only the values that differ from the schema's defaults are stored here;
    reads merge them over the defaults (settings_app.selectors)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    robeing = models.OneToOneField(
        "accounts.Robeing",
        on_delete=models.CASCADE,
        db_column="robeing_id",
        related_name="settings",
        verbose_name=_("robeing"),
    )
    user_preference = models.JSONField(_("user preference"), default=dict, blank=True)
    system_settings = models.JSONField(_("system settings"), default=dict, blank=True)
    skill_settings = models.JSONField(_("skill settings"), default=dict, blank=True)
    # Optimistic concurrency: every write bumps it; the API's ETag is built from it.
    version = models.PositiveIntegerField(_("version"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "robeing_settings"
        verbose_name = _("robeing settings")
        verbose_name_plural = _("robeing settings")

    def __str__(self) -> str:
        return f"{self.robeing_id} v{self.version}"


class SettingsChange(models.Model):
    """One changed key: who, when, old and new value (None: the default)."""

    id = models.BigAutoField(primary_key=True)
    robeing = models.ForeignKey(
        "accounts.Robeing", on_delete=models.CASCADE, db_column="robeing_id", related_name="+"
    )
    category = models.CharField(_("category"), max_length=30)
    key = models.CharField(_("key"), max_length=200)
    old_value = models.JSONField(_("old value"), null=True)
    new_value = models.JSONField(_("new value"), null=True)
    changed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_by_key = models.CharField(_("changed by API key"), max_length=20, blank=True)
    version = models.PositiveIntegerField(_("version"))
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        db_table = "robeing_settings_change"
        verbose_name = _("settings change")
        verbose_name_plural = _("settings history")
        indexes = [
            # History API and the admin page: a robeing's changes, newest first.
            models.Index(fields=("robeing", "-changed_at", "-id"), name="settings_change_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.category}.{self.key}"
