"""robeing_stats and the records that explain it: the XP ledger, task reports,
task types, level unlocks and achievements."""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stats.rules import STATS


class Stat(models.TextChoices):
    MEMORY = "memory", _("memory")
    COMPUTE = "compute", _("compute")
    EMPATHY = "empathy", _("empathy")
    LEADERSHIP = "leadership", _("leadership")
    ETHICS = "ethics", _("ethics")


assert tuple(Stat.values) == STATS  # one order everywhere (ties, charts)


class AllocationMode(models.TextChoices):
    TASK_BASED = "task_based", _("by tasks")
    BALANCED = "balanced", _("balanced")
    MANUAL = "manual", _("manual")


class RobeingStats(models.Model):
    """A robeing's growth, on the seed's schema. `experience` always equals the
    sum of the robeing's XP ledger (`manage.py stats_verify` proves it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    robeing = models.OneToOneField(
        "accounts.Robeing",
        on_delete=models.CASCADE,
        db_column="robeing_id",
        related_name="stats",
        verbose_name=_("robeing"),
    )
    level = models.IntegerField(_("level"), default=1)
    experience = models.IntegerField(_("experience"), default=0)
    memory_stat = models.IntegerField(_("memory"), default=10)
    compute_stat = models.IntegerField(_("compute"), default=10)
    empathy_stat = models.IntegerField(_("empathy"), default=10)
    leadership_stat = models.IntegerField(_("leadership"), default=10)
    ethics_stat = models.IntegerField(_("ethics"), default=10)
    total_conversations = models.IntegerField(_("conversations"), default=0)
    successful_tasks = models.IntegerField(_("successful tasks"), default=0)
    failed_tasks = models.IntegerField(_("failed tasks"), default=0)
    unspent_points = models.IntegerField(_("unspent points"), default=0)
    allocation_mode = models.CharField(
        _("allocation mode"),
        max_length=20,
        choices=AllocationMode.choices,
        default=AllocationMode.TASK_BASED,
    )
    # XP earned per trained stat since the last level-up: task_based allocation
    # splits the next level's points in this proportion.
    trained_xp_since_level = models.JSONField(default=dict, blank=True)
    # Successful tasks in a row (reset by a failure), for streak achievements.
    success_streak = models.IntegerField(default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "robeing_stats"
        verbose_name = _("robeing stats")
        verbose_name_plural = _("robeing stats")
        indexes = [
            # The admin leaderboard: highest level, then most XP.
            models.Index(fields=("-level", "-experience"), name="stats_leaderboard_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(unspent_points__gte=0), name="stats_points_gte_0"),
            models.CheckConstraint(condition=Q(level__gte=1), name="stats_level_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.robeing_id} Lv.{self.level}"

    def stat_values(self) -> dict[str, int]:
        return {stat: getattr(self, f"{stat}_stat") for stat in STATS}


class TaskType(models.Model):
    """What kind of work a task is, how much XP it is worth and what it trains."""

    name = models.SlugField(_("name"), max_length=50, primary_key=True)
    base_xp = models.PositiveIntegerField(_("base XP"))
    trains = models.CharField(_("trains"), max_length=20, choices=Stat.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "stats_task_type"
        ordering = ("name",)
        verbose_name = _("task type")
        verbose_name_plural = _("task types")

    def __str__(self) -> str:
        return self.name


class XPEvent(models.Model):
    """The append-only XP ledger. The unique source key per robeing is what makes
    a replayed task or aggregation batch unable to add XP twice."""

    class Reason(models.TextChoices):
        TASK = "task", _("task")
        CONVERSATIONS = "conversations", _("conversations")
        REPAIR = "repair", _("repair")

    id = models.BigAutoField(primary_key=True)
    robeing = models.ForeignKey(
        "accounts.Robeing", on_delete=models.CASCADE, db_column="robeing_id", related_name="+"
    )
    amount = models.IntegerField(_("XP"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    source_key = models.CharField(_("source"), max_length=255)
    stat = models.CharField(_("trains"), max_length=20, choices=Stat.choices, blank=True)
    level_after = models.IntegerField(_("level after"))
    experience_after = models.IntegerField(_("XP after"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        db_table = "stats_xp_event"
        verbose_name = _("XP event")
        verbose_name_plural = _("XP ledger")
        constraints = [
            models.UniqueConstraint(fields=("robeing", "source_key"), name="xp_event_source_uniq"),
        ]
        indexes = [
            # The ledger API and admin: a robeing's events, newest first; growth chart.
            models.Index(
                fields=("robeing", "-created_at", "-id"), name="xp_event_robeing_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.amount:+d} XP ({self.source_key})"


class TaskReport(models.Model):
    """A task a bot reported, with the result it was given. A repeated task_id
    returns this row's result and changes nothing."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")

    id = models.BigAutoField(primary_key=True)
    robeing = models.ForeignKey(
        "accounts.Robeing", on_delete=models.CASCADE, db_column="robeing_id", related_name="+"
    )
    task_id = models.CharField(_("task id"), max_length=255)
    task_type = models.ForeignKey(TaskType, on_delete=models.PROTECT, related_name="+")
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    xp_awarded = models.IntegerField(_("XP awarded"))
    levels_gained = models.IntegerField(_("levels gained"))
    points_granted = models.IntegerField(_("points granted"))
    level_after = models.IntegerField(_("level after"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        db_table = "stats_task_report"
        verbose_name = _("task report")
        verbose_name_plural = _("task reports")
        constraints = [
            models.UniqueConstraint(fields=("robeing", "task_id"), name="task_report_task_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.task_id} ({self.outcome})"


class Feature(models.Model):
    """A capability a robeing unlocks at a level (seed 3.3.1)."""

    key = models.SlugField(_("key"), max_length=50, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    min_level = models.PositiveIntegerField(_("minimum level"))
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        db_table = "stats_feature"
        ordering = ("min_level", "key")
        verbose_name = _("level unlock")
        verbose_name_plural = _("level unlocks")

    def __str__(self) -> str:
        return f"{self.name} (Lv.{self.min_level})"


class Achievement(models.Model):
    """A badge definition (seed 3.3.4). `key` names the rule in stats.achievements."""

    key = models.SlugField(_("key"), max_length=50, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        db_table = "stats_achievement"
        ordering = ("key",)
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")

    def __str__(self) -> str:
        return self.name


class AchievementAward(models.Model):
    id = models.BigAutoField(primary_key=True)
    robeing = models.ForeignKey(
        "accounts.Robeing", on_delete=models.CASCADE, db_column="robeing_id", related_name="+"
    )
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="+")
    awarded_at = models.DateTimeField(_("awarded"), auto_now_add=True)

    class Meta:
        db_table = "stats_achievement_award"
        verbose_name = _("achievement award")
        verbose_name_plural = _("achievement awards")
        constraints = [
            # Each badge once per robeing, even if two awards race.
            models.UniqueConstraint(fields=("robeing", "achievement"), name="achievement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.robeing_id}: {self.achievement_id}"
