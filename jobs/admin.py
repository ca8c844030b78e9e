from __future__ import annotations

from django.contrib import admin

from jobs.models import JobLock


@admin.register(JobLock)
class JobLockAdmin(admin.ModelAdmin):
    """Which job runs where, and until when its lease holds. Deleting a row
    frees a lock by hand (for a holder known to be dead)."""

    list_display = ("name", "holder", "acquired_at", "expires_at")
    readonly_fields = ("name", "holder", "acquired_at", "expires_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
