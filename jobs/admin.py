from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop as N_
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from jobs.models import JobLock

# The names and descriptions of the schedules the apps' migrations seed. The
# rows keep them in English: migrations, tests and `manage.py` look the rows up
# by name, and an operator's rename must not break that. The admin shows them
# in the operator's language instead (gettext of the stored text: a row an
# operator renamed or added is shown as it is). Kept here, in the layer every
# app may use, because these are words, not rules: no app is imported.
SEEDED_SCHEDULE_TEXTS = (
    N_("Aggregate conversation stats (every 5 minutes)"),
    N_("Archive old conversation turns (nightly, 03:30 Asia/Seoul)"),
    N_("Process privacy requests (every 10 minutes)"),
    N_("Moves turns older than ARCHIVE_AFTER_DAYS into monthly archives."),
    N_("Answers erasure and export requests; deletes expired exports."),
)


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


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BeatPeriodicTaskAdmin):
    """django-celery-beat's admin, with the seeded schedules' names and
    descriptions shown translated in the list."""

    list_display = (
        "translated_name",
        "translated_description",
        *(
            {"scheduler": "schedule_column"}.get(field, field)
            for field in BeatPeriodicTaskAdmin.list_display
            if field != "name"
        ),
    )

    @admin.display(description=_("name"), ordering="name")
    def translated_name(self, task: PeriodicTask) -> str:
        return gettext(task.name) if task.name else ""

    @admin.display(description=_("description"))
    def translated_description(self, task: PeriodicTask) -> str:
        return gettext(task.description) if task.description else ""

    @admin.display(description=_("Schedule"))
    def schedule_column(self, task: PeriodicTask) -> str:
        return str(task.scheduler)

    @admin.display(description=_("in words"))
    def crontab_translation(self, task: PeriodicTask) -> str:
        # The library's column of the same name has an English label of its own.
        return task.crontab.human_readable if task.crontab else ""

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        # The stored names are English; an operator searching a Korean name
        # finds the schedule whose translated name contains it.
        matches, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term:
            translated = [
                task.pk
                for task in PeriodicTask.objects.only("pk", "name")
                if search_term.casefold() in gettext(task.name).casefold()
            ]
            matches = matches | queryset.filter(pk__in=translated)
        return matches, may_have_duplicates
