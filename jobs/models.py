"""Named locks with an expiry, in the database every process already shares."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobLock(models.Model):
    """One row per held lock. A holder that dies stops renewing it, so the
    lock frees itself at `expires_at` instead of blocking the job forever."""

    name = models.CharField(_("name"), max_length=200, primary_key=True)
    # host:pid:random, so an operator can tell which process holds it.
    holder = models.CharField(_("holder"), max_length=200)
    acquired_at = models.DateTimeField(_("acquired"))
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        db_table = "job_lock"
        verbose_name = _("job lock")
        verbose_name_plural = _("job locks")

    def __str__(self) -> str:
        return self.name
