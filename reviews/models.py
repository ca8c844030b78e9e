"""Reviews and flags of logged turns: what makes the log worth keeping.

A review never edits the turn it judges. It points at the turn by id only
(no database foreign key): the nightly archiving deletes old turns from
conversation_log, and their reviews must outlive that. The turn's time and
person are copied here, so an erasure finds a person's reviews after the turn
itself has left the hot table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from conversations.models import ConversationLog

INTENT_MAX_CHARS = 100  # conversation_log.intent's own width
NOTE_MAX_CHARS = 4_000
REASON_MAX_CHARS = 500


class Verdict(models.TextChoices):
    GOOD = "good", pgettext_lazy("reviews", "good")
    WRONG = "wrong", pgettext_lazy("reviews", "wrong")
    UNSAFE = "unsafe", pgettext_lazy("reviews", "unsafe")


class TurnCopy(models.Model):
    """Which turn a row is about, and the turn's time and person copied from it."""

    turn_id = models.BigIntegerField(pgettext_lazy("reviews", "turn"))
    robeing = models.ForeignKey(
        "accounts.Robeing",
        on_delete=models.PROTECT,
        db_column="robeing_id",
        related_name="+",
        verbose_name=_("robeing"),
        db_index=False,  # the time indexes below lead with it
    )
    turn_timestamp = models.DateTimeField(_("time of the turn"))
    user_id = models.UUIDField(_("user id"), null=True, blank=True)
    slack_user_id = models.CharField(_("Slack user"), max_length=100, blank=True, default="")

    class Meta:
        abstract = True


class TurnReview(TurnCopy):
    """One operator's current judgement of one turn. Reviewing again updates
    this row; every version is also appended to TurnReviewHistory."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # who judged is part of the record
        related_name="+",
        verbose_name=_("reviewer"),
        db_index=False,  # turn_review_uniq and review_reviewer_idx cover it
    )
    correct_intent = models.CharField(
        _("correct intent"), max_length=INTENT_MAX_CHARS, blank=True, default=""
    )
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    note = models.TextField(pgettext_lazy("reviews", "note"), blank=True, default="")
    created_at = models.DateTimeField(pgettext_lazy("reviews", "reviewed"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        db_table = "turn_review"
        verbose_name = _("turn review")
        verbose_name_plural = _("turn reviews")
        default_permissions = ("view",)  # rows are written by review_record only
        permissions = [
            ("review_turn", _("Can review and flag conversation turns")),
            ("export_training_data", _("Can download training data")),
        ]
        constraints = [
            # One review per operator and turn: review_record's get-or-update
            # relies on it when two requests of the same operator race.
            models.UniqueConstraint(fields=("turn_id", "reviewer"), name="turn_review_uniq"),
        ]
        indexes = [
            # The inbox's "reviewed" list and the training export's
            # --reviewed-only, newest or oldest first, over all robeings or one.
            models.Index(fields=("turn_timestamp", "turn_id"), name="review_time_idx"),
            models.Index(
                fields=("robeing", "turn_timestamp", "turn_id"), name="review_robeing_time_idx"
            ),
            # Erasure of a person, by either id (reviews_erase_person).
            models.Index(fields=("user_id",), name="review_user_idx"),
            models.Index(fields=("slack_user_id",), name="review_slack_user_idx"),
            models.Index(fields=("reviewer", "-updated_at"), name="review_reviewer_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.turn_id} {self.verdict}"


class TurnReviewHistory(TurnCopy):
    """Append-only: every version of every review, so who judged what when is
    never lost by a re-review. Deleted only with the person (erasure)."""

    review = models.ForeignKey(
        TurnReview,
        on_delete=models.CASCADE,
        related_name="history",
        verbose_name=pgettext_lazy("reviews", "review"),
        db_index=False,  # review_history_review_idx
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
        db_index=False,
    )
    correct_intent = models.CharField(
        _("correct intent"), max_length=INTENT_MAX_CHARS, blank=True, default=""
    )
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    note = models.TextField(pgettext_lazy("reviews", "note"), blank=True, default="")
    recorded_at = models.DateTimeField(pgettext_lazy("reviews", "recorded"), default=timezone.now)

    class Meta:
        db_table = "turn_review_history"
        verbose_name = _("review history")
        verbose_name_plural = _("review history")
        default_permissions = ()
        indexes = [
            # A turn's page lists its reviews' history; erasure finds a person's.
            models.Index(fields=("review", "recorded_at"), name="review_history_review_idx"),
            models.Index(fields=("user_id",), name="review_history_user_idx"),
            models.Index(fields=("slack_user_id",), name="review_history_slack_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.turn_id} {self.verdict} ({self.recorded_at:%Y-%m-%d %H:%M})"


class TurnFlag(TurnCopy):
    """An operator asks for a turn to be reviewed. Unflagging deletes the row."""

    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("flagged by"),
        db_index=False,  # turn_flag_uniq
    )
    reason = models.CharField(_("reason"), max_length=REASON_MAX_CHARS, blank=True, default="")
    created_at = models.DateTimeField(pgettext_lazy("reviews", "flagged"), default=timezone.now)

    class Meta:
        db_table = "turn_flag"
        verbose_name = _("turn flag")
        verbose_name_plural = _("turn flags")
        default_permissions = ()
        constraints = [
            # flag_set is get-or-create on this: a double click flags once.
            models.UniqueConstraint(fields=("turn_id", "flagged_by"), name="turn_flag_uniq"),
        ]
        indexes = [
            # The inbox's "flagged" list, newest first.
            models.Index(fields=("turn_timestamp", "turn_id"), name="flag_time_idx"),
            models.Index(fields=("user_id",), name="flag_user_idx"),
            models.Index(fields=("slack_user_id",), name="flag_slack_user_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.turn_id} flagged"


class InboxTurn(ConversationLog):
    """The log seen as the review inbox (admin only; same table, no columns)."""

    class Meta:
        proxy = True
        verbose_name = _("turn to review")
        verbose_name_plural = _("review inbox")
        default_permissions = ("view",)
