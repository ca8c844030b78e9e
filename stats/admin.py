"""The operators' view of growth: a leaderboard, each robeing's ledger, badges
and a picture of its growth; task types, unlocks and badges are editable."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop as N_

from core.admin import ReadOnlyAdmin
from stats import charts, selectors, services
from stats.models import (
    Achievement,
    AchievementAward,
    Feature,
    RobeingStats,
    Stat,
    TaskReport,
    TaskType,
    XPEvent,
)

LEDGER_ROWS = 50
PERIOD_CHOICES = (7, 30, 90)
DEFAULT_DAYS = 30
# A year of daily bars still fits the chart (about 1.8 px a bar).
MAX_PERIOD_DAYS = 366


# The descriptions stats/migrations/0002 seeds, shown in the operator's
# language (gettext of the stored text: one an operator rewrote shows as it is).
SEEDED_DESCRIPTIONS = (
    N_("Read, sort or draft e-mail"),
    N_("Listen and support a person"),
    N_("Arrange or recall a schedule"),
    N_("Summarise a team's work"),
    N_("Review content against the rules"),
    N_("Collect and summarise news"),
    N_("Context reads return more turns."),
    N_("Summarise long threads."),
    N_("Start conversations on schedule."),
    N_("Cross-channel team reports."),
    N_("The first conversation turn."),
    N_("100 conversation turns."),
    N_("1,000 conversation turns."),
    N_("Reached level 5."),
    N_("Reached level 10."),
    N_("10 successful tasks in a row."),
    N_("A success right after a failure."),
)


@admin.display(description=_("robeing"), ordering="robeing_id")
def robeing_column(row) -> str:
    # The id, without a join; the column's own name "robeing id" is untranslated.
    return row.robeing_id


@admin.display(description=_("description"))
def description_column(row) -> str:
    return gettext(row.description) if row.description else ""


class NamedColumns:
    """Read-only pages: the foreign keys the models leave unnamed, named."""

    renamed = {"robeing": "robeing_column"}

    def get_fields(self, request: HttpRequest, obj=None):
        return [self.renamed.get(f, f) for f in super().get_fields(request, obj)]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return (*super().get_readonly_fields(request, obj), *self.renamed.values())

    robeing_column = staticmethod(robeing_column)


class GrowthPeriodForm(forms.Form):
    """The growth chart's period, from the page's query string: the last 7, 30
    or 90 days, or from/to dates (Seoul days, both included)."""

    days = forms.TypedChoiceField(
        label=_("period"),
        choices=[(n, n) for n in PERIOD_CHOICES],  # the page draws them as links
        coerce=int,
        required=False,
    )
    since = forms.DateField(label=_("from"), required=False)
    until = forms.DateField(label=_("to"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if bool(since) != bool(until) and not self.errors:
            raise forms.ValidationError(_("Give both dates, or neither."))
        if since and until:
            if since > until:
                raise forms.ValidationError(_("The start date is after the end date."))
            if (until - since).days + 1 > MAX_PERIOD_DAYS:
                raise forms.ValidationError(
                    _("A period is at most %(days)s days.") % {"days": MAX_PERIOD_DAYS}
                )
        return data

    def preset_days(self, since: dt.date, until: dt.date) -> int | None:
        """7, 30 or 90 when the period shown is one of the presets."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("since"):
            return None
        return (until - since).days + 1

    def messages(self) -> list[str]:
        """What was wrong with the period asked for, for the page."""
        if not self.is_bound:
            return []
        return [
            f"{self.fields[name].label}: {error}" if name in self.fields else str(error)
            for name, errors in self.errors.items()
            for error in errors
        ]

    def period(self) -> tuple[dt.date, dt.date]:
        """The chosen days; the default (last 30 days) when the choice is not valid."""
        today = timezone.localdate()
        if self.is_valid():
            if self.cleaned_data.get("since"):
                return self.cleaned_data["since"], self.cleaned_data["until"]
            days = self.cleaned_data.get("days") or DEFAULT_DAYS
        else:
            days = DEFAULT_DAYS
        return today - dt.timedelta(days=days - 1), today


@admin.register(RobeingStats)
class RobeingStatsAdmin(admin.ModelAdmin):
    list_display = (
        robeing_column,
        "level",
        "experience",
        "total_conversations",
        "successful_tasks",
        "failed_tasks",
        "memory_stat",
        "compute_stat",
        "empathy_stat",
        "leadership_stat",
        "ethics_stat",
        "unspent_points",
        "allocation_mode",
    )
    list_display_links = (robeing_column,)
    list_filter = ("allocation_mode", "level")
    search_fields = ("robeing__robeing_id", "robeing__name")
    ordering = ("-level", "-experience")
    fields = ("allocation_mode",)
    readonly_fields = ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # every robeing gets its row when it is registered

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the ledger must keep adding up

    def save_model(self, request: HttpRequest, obj: RobeingStats, form, change: bool) -> None:
        # Through the service: the row lock, and the cache bump bots rely on.
        services.stats_set_allocation_mode(robeing_id=obj.robeing_id, mode=obj.allocation_mode)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        stats = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if stats is not None:
            extra_context.update(self._growth(request, stats))
        return super().change_view(request, object_id, form_url, extra_context)

    def _growth(self, request: HttpRequest, stats: RobeingStats) -> dict:
        period_form = GrowthPeriodForm(request.GET or None)
        since, until = period_form.period()
        scale = selectors.stats_fleet_highest()
        return {
            "summary": selectors.stats_summary(robeing_id=stats.robeing_id),
            "ledger": selectors.xp_events(robeing_id=stats.robeing_id)[:LEDGER_ROWS],
            "awards": selectors.achievements_of(robeing_id=stats.robeing_id),
            "period_choices": PERIOD_CHOICES,
            "period_days": period_form.preset_days(since, until),
            "period_errors": period_form.messages(),
            "since": since,
            "until": until,
            "xp_chart": charts.day_bars(
                selectors.xp_per_day(robeing_id=stats.robeing_id, since=since, until=until)
            ),
            "stat_scale": scale,
            "stat_bars": charts.stat_bars(
                stats.stat_values(), scale=scale, labels=dict(Stat.choices)
            ),
        }


@admin.register(TaskType)
class TaskTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "base_xp", "trains", "is_active", description_column)
    list_editable = ("base_xp", "trains", "is_active")
    list_filter = ("trains", "is_active")


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "min_level", description_column)
    list_editable = ("min_level",)


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ("key", "name", description_column)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # The key names a rule in stats/achievements.py; only its wording is editable.
        return ("key",) if obj else ()


@admin.register(XPEvent)
class XPEventAdmin(NamedColumns, ReadOnlyAdmin):
    list_display = (
        "created_at",
        robeing_column,
        "amount",
        "reason",
        "stat",
        "level_after",
        "source_key",
    )
    list_filter = ("reason", "stat", "robeing")
    search_fields = ("=source_key",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False


@admin.register(TaskReport)
class TaskReportAdmin(NamedColumns, ReadOnlyAdmin):
    list_display = (
        "created_at", robeing_column, "task_id", "task_type_column", "difficulty", "outcome",
        "xp_awarded",
    )  # fmt: skip
    renamed = {"robeing": "robeing_column", "task_type": "task_type_column"}

    @admin.display(description=_("task type"), ordering="task_type")
    def task_type_column(self, report: TaskReport) -> str:
        return report.task_type_id

    list_filter = ("outcome", "task_type", "robeing")
    search_fields = ("=task_id",)
    ordering = ("-created_at", "-id")


@admin.register(AchievementAward)
class AchievementAwardAdmin(NamedColumns, ReadOnlyAdmin):
    list_display = ("awarded_at", robeing_column, "achievement_column")
    renamed = {"robeing": "robeing_column", "achievement": "achievement_column"}

    @admin.display(description=_("achievement"), ordering="achievement")
    def achievement_column(self, award: AchievementAward) -> str:
        return str(award.achievement)

    list_filter = ("achievement",)
    list_select_related = ("achievement",)
    ordering = ("-awarded_at",)
