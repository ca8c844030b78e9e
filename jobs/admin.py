from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop as N_
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from jobs import selectors
from jobs.models import JobLock, JobRun

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


# Red for what needs an operator, amber for what fixes itself, green for done.
OUTCOME_COLOURS = {
    JobRun.Outcome.FAILED: "#c62828",
    JobRun.Outcome.RETRIED: "#ef6c00",
    JobRun.Outcome.LOCKED: "#ef6c00",
    JobRun.Outcome.RUNNING: "#1565c0",
    JobRun.Outcome.OK: "#2e7d32",
}


def outcome_badge(run: JobRun) -> str:
    mark = "✖ " if run.outcome == JobRun.Outcome.FAILED else ""
    return format_html(
        '<strong class="outcome-{}" style="color: {}">{}{}</strong>',
        run.outcome,
        OUTCOME_COLOURS[run.outcome],
        mark,
        run.get_outcome_display(),
    )


def interval_text(interval) -> str:
    if interval is None:
        return "–"
    minutes = round(interval.total_seconds() / 60)
    if minutes < 60:
        return gettext("%(count)d min") % {"count": minutes}
    if minutes < 48 * 60:
        return gettext("%(count)d h") % {"count": round(minutes / 60)}
    return gettext("%(count)d days") % {"count": round(minutes / 1440)}


def schedule_name(job: str, name: str) -> str:
    # Seeded schedule names are stored in English and shown translated.
    return gettext(name) if name else job


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Every run of every scheduled job, newest first; above the list, each
    job's state, with failing and overdue jobs marked red."""

    change_list_template = "admin/jobs/jobrun/change_list.html"
    list_display = (
        "started_at",
        "job_name",
        "outcome_mark",
        "duration",
        "counts_text",
        "trigger",
        "attempt",
        "error_start",
    )
    list_filter = ("job", "outcome", "trigger")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-id")
    readonly_fields = [field.name for field in JobRun._meta.fields]
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("job"), ordering="job")
    def job_name(self, run: JobRun) -> str:
        return selectors.job_label(run.job)

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_mark(self, run: JobRun) -> str:
        return outcome_badge(run)

    @admin.display(description=_("duration"))
    def duration(self, run: JobRun) -> str:
        seconds = run.duration_seconds
        return "–" if seconds is None else f"{seconds:,.1f} s"

    @admin.display(description=_("counts"))
    def counts_text(self, run: JobRun) -> str:
        return ", ".join(f"{name} {value:,}" for name, value in run.counts.items()) or "–"

    @admin.display(description=_("error"))
    def error_start(self, run: JobRun) -> str:
        return run.error[:120]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> TemplateResponse:
        now = timezone.now()
        jobs = [
            {
                "status": status,
                "name": schedule_name(status.job, status.name),
                "overdue": status.overdue(now),
                "needs_attention": status.needs_attention(now),
                "every": interval_text(status.interval),
                "last_outcome": outcome_badge(status.last_run) if status.last_run else None,
            }
            for status in selectors.job_statuses()
        ]
        return super().changelist_view(request, {"jobs": jobs, **(extra_context or {})})
