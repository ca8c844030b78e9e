"""Rollups of the conversation log for the operators' dashboard.

The dashboard never scans conversation_log: it reads these small tables,
which the 5-minute stats aggregation keeps up to date in the same transaction
that claims each new turn (analytics.services.rollups_add), so every counted
turn is in them exactly once. Days and hours are Seoul time (TIME_ZONE).
Archiving leaves them alone: history keeps its counts.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TurnRollup(models.Model):
    """Turns per robeing x Seoul day x hour x intent x channel type."""

    robeing = models.ForeignKey(
        "accounts.Robeing",
        on_delete=models.PROTECT,
        db_column="robeing_id",
        related_name="+",
        verbose_name=_("robeing"),
        db_index=False,  # the unique key leads with robeing_id
    )
    day = models.DateField(_("day"))
    hour = models.PositiveSmallIntegerField(_("hour"))
    intent = models.CharField(_("intent"), max_length=100, blank=True)
    channel_type = models.CharField(_("channel type"), max_length=32, blank=True)
    turns = models.PositiveIntegerField(_("turns"), default=0)
    # Below LOW_CONFIDENCE_BELOW (0.5); any other threshold comes from ConfidenceRollup.
    low_confidence_turns = models.PositiveIntegerField(_("low-confidence turns"), default=0)
    confidence_sum = models.FloatField(_("confidence sum"), default=0)
    confidence_turns = models.PositiveIntegerField(_("turns with a confidence"), default=0)

    class Meta:
        db_table = "analytics_turn_rollup"
        verbose_name = _("turn rollup")
        verbose_name_plural = _("turn rollups")
        constraints = [
            models.UniqueConstraint(
                fields=("robeing", "day", "hour", "intent", "channel_type"),
                name="analytics_turn_rollup_key",
            )
        ]
        # Every robeing's days (the dashboard for the whole fleet).
        indexes = [models.Index(fields=("day",), name="analytics_turn_rollup_day")]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.day} {self.hour:02d}h {self.intent}: {self.turns}"


class ConfidenceRollup(models.Model):
    """Turns per robeing x Seoul day x confidence hundredth (bucket 37 holds
    0.37 <= confidence < 0.38; 1.0 is in 99): "under t" for any threshold t
    with two decimals is a sum of buckets below 100 t."""

    robeing = models.ForeignKey(
        "accounts.Robeing",
        on_delete=models.PROTECT,
        db_column="robeing_id",
        related_name="+",
        db_index=False,
    )
    day = models.DateField()
    bucket = models.PositiveSmallIntegerField()
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "analytics_confidence_rollup"
        constraints = [
            models.UniqueConstraint(
                fields=("robeing", "day", "bucket"), name="analytics_confidence_rollup_key"
            )
        ]
        indexes = [models.Index(fields=("day",), name="analytics_confidence_day")]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.day} 0.{self.bucket:02d}: {self.turns}"


class QuestionRollup(models.Model):
    """User messages per robeing x Seoul day x normalised text (lower case,
    punctuation and runs of white space folded, masked placeholders such as
    [PHONE] kept): the dashboard's frequent questions. Holds text, so an
    erasure takes a person's turns out of it (analytics.services.rollups_forget)."""

    robeing = models.ForeignKey(
        "accounts.Robeing",
        on_delete=models.PROTECT,
        db_column="robeing_id",
        related_name="+",
        db_index=False,
    )
    day = models.DateField()
    # SHA-1 of the whole normalised text: the text itself may be too long for
    # a b-tree key.
    key = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "analytics_question_rollup"
        constraints = [
            models.UniqueConstraint(
                fields=("robeing", "day", "key"), name="analytics_question_rollup_key"
            )
        ]
        indexes = [models.Index(fields=("day",), name="analytics_question_day")]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.day} {self.text[:40]}: {self.turns}"


# The whole fleet's rollups: the per-robeing rows summed over robeings, so
# that the dashboard for all robeings reads a few thousand rows for 90 days
# instead of a few hundred thousand (bench/console.py at 1M turns and 100
# robeings: 747 ms for 90 days, 543 of them in the database). Kept by the same
# transactions as the per-robeing rows; rebuilt from them after a rebuild or
# an erasure (analytics.services.fleet_refresh).


class FleetTurnRollup(models.Model):
    """Turns of every robeing per Seoul day x hour x intent."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    intent = models.CharField(max_length=100, blank=True)
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "analytics_fleet_turn_rollup"
        constraints = [
            models.UniqueConstraint(
                fields=("day", "hour", "intent"), name="analytics_fleet_turn_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.hour:02d}h {self.intent}: {self.turns}"


class FleetConfidenceRollup(models.Model):
    day = models.DateField()
    bucket = models.PositiveSmallIntegerField()
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "analytics_fleet_confidence_rollup"
        constraints = [
            models.UniqueConstraint(
                fields=("day", "bucket"), name="analytics_fleet_confidence_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} 0.{self.bucket:02d}: {self.turns}"


class FleetQuestionRollup(models.Model):
    day = models.DateField()
    key = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "analytics_fleet_question_rollup"
        constraints = [
            models.UniqueConstraint(
                fields=("day", "key"), name="analytics_fleet_question_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.text[:40]}: {self.turns}"


class RobeingDayRollup(models.Model):
    """Turns per robeing x Seoul day: each robeing's activity in a period."""

    robeing = models.ForeignKey(
        "accounts.Robeing",
        on_delete=models.PROTECT,
        db_column="robeing_id",
        related_name="+",
        db_index=False,
    )
    day = models.DateField()
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "analytics_robeing_day_rollup"
        constraints = [
            models.UniqueConstraint(fields=("robeing", "day"), name="analytics_robeing_day_key")
        ]
        indexes = [models.Index(fields=("day",), name="analytics_robeing_day_day")]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.day}: {self.turns}"
