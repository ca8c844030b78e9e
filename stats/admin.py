"""The operators' view of growth: a leaderboard, each robeing's ledger, badges
and a picture of its growth; task types, unlocks and badges are editable."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from stats import charts, selectors, services
from stats.models import (
    Achievement,
    AchievementAward,
    Feature,
    RobeingStats,
    TaskReport,
    TaskType,
    XPEvent,
)

LEDGER_ROWS = 50


@admin.register(RobeingStats)
class RobeingStatsAdmin(admin.ModelAdmin):
    list_display = (
        "robeing_id",
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
    list_display_links = ("robeing_id",)
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
            extra_context.update(
                summary=selectors.stats_summary(robeing_id=stats.robeing_id),
                ledger=selectors.xp_events(robeing_id=stats.robeing_id)[:LEDGER_ROWS],
                awards=selectors.achievements_of(robeing_id=stats.robeing_id),
                xp_chart=charts.xp_line(selectors.xp_history(robeing_id=stats.robeing_id)),
                stat_bars=charts.stat_bars(stats.stat_values()),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(TaskType)
class TaskTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "base_xp", "trains", "is_active", "description")
    list_editable = ("base_xp", "trains", "is_active")
    list_filter = ("trains", "is_active")


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "min_level", "description")
    list_editable = ("min_level",)


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "description")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # The key names a rule in stats/achievements.py; only its wording is editable.
        return ("key",) if obj else ()


@admin.register(XPEvent)
class XPEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "robeing_id",
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
class TaskReportAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at", "robeing_id", "task_id", "task_type", "difficulty", "outcome", "xp_awarded",
    )  # fmt: skip
    list_filter = ("outcome", "task_type", "robeing")
    search_fields = ("=task_id",)
    ordering = ("-created_at", "-id")


@admin.register(AchievementAward)
class AchievementAwardAdmin(ReadOnlyAdmin):
    list_display = ("awarded_at", "robeing_id", "achievement")
    list_filter = ("achievement",)
    list_select_related = ("achievement",)
    ordering = ("-awarded_at",)
