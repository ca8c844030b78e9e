"""Writes: reviews and flags of logged turns, and their erasure.

None of these touch the turn itself: a review is a row of its own, pointing
at the turn by id, with the turn's time and person copied so that it
outlives archiving and can still be found by an erasure.
"""

from __future__ import annotations

import logging
import uuid

import pydantic
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.models import User
from conversations.models import ConversationLog
from core.errors import InvalidInput, pydantic_errors
from reviews import selectors
from reviews.models import TurnFlag, TurnReview, TurnReviewHistory
from reviews.schemas import FlagIn, ReviewIn

logger = logging.getLogger(__name__)


def _turn_copy(turn: ConversationLog) -> dict:
    return {
        "turn_id": turn.id,
        "robeing_id": turn.robeing_id,
        "turn_timestamp": turn.timestamp,
        "user_id": turn.user_id,
        "slack_user_id": turn.slack_user_id,
    }


def _validated(schema: type[pydantic.BaseModel], **values: object) -> pydantic.BaseModel:
    try:
        return schema(**values)
    except pydantic.ValidationError as exc:
        raise InvalidInput("Invalid input.", errors=pydantic_errors(exc)) from None


@transaction.atomic
def review_record(
    *, turn_id: int, reviewer: User, verdict: str, correct_intent: str = "", note: str = ""
) -> TurnReview:
    """Record `reviewer`'s judgement of a turn: their first review, or a
    re-review that replaces their current one. Every version is also appended
    to the review's history. Raises NotFound for a turn not in the log and
    InvalidInput for a bad verdict or text."""
    data = _validated(ReviewIn, verdict=verdict, correct_intent=correct_intent, note=note)
    turn = selectors.turn_get(turn_id=turn_id)
    judgement = {
        "verdict": data.verdict,
        "correct_intent": data.correct_intent,
        "note": data.note,
    }
    review = _review_locked(turn, reviewer, judgement)
    TurnReviewHistory.objects.create(
        review=review,
        reviewer=reviewer,
        recorded_at=review.updated_at,
        **judgement,
        **_turn_copy(turn),
    )
    return review


def _review_locked(turn: ConversationLog, reviewer: User, judgement: dict) -> TurnReview:
    """The operator's review of the turn, created or updated, locked until the
    caller's transaction ends.

    Race: the same operator submits twice at once (a double click, two tabs).
    Both may find no row; the unique constraint turn_review_uniq lets one
    INSERT win, and the other, blocked on the index until the winner commits,
    gets IntegrityError, rolls back to its savepoint and updates the winner's
    row under FOR UPDATE. One review, two history rows, nothing lost."""
    mine = TurnReview.objects.select_for_update().filter(turn_id=turn.id, reviewer=reviewer)
    review = mine.first()
    if review is None:
        now = timezone.now()
        try:
            with transaction.atomic():
                return TurnReview.objects.create(
                    reviewer=reviewer, created_at=now, updated_at=now, **judgement,
                    **_turn_copy(turn),
                )  # fmt: skip
        except IntegrityError:
            review = mine.get()  # the concurrent first review, committed meanwhile
    for name, value in judgement.items():
        setattr(review, name, value)
    # Taken under the row lock, so versions are timed in the order they won it.
    review.updated_at = timezone.now()
    review.save(update_fields=[*judgement, "updated_at"])
    return review


def flag_set(*, turn_id: int, flagged_by: User, reason: str = "") -> TurnFlag:
    """Flag a turn for review (once per operator: flagging again keeps one
    flag and its latest reason)."""
    data = _validated(FlagIn, reason=reason)
    turn = selectors.turn_get(turn_id=turn_id)
    # get_or_create is race-safe on turn_flag_uniq: a concurrent twin's
    # IntegrityError makes it fetch the winner's row instead.
    flag, created = TurnFlag.objects.get_or_create(
        turn_id=turn.id, flagged_by=flagged_by, defaults={**_turn_copy(turn), "reason": data.reason}
    )
    if not created and data.reason and flag.reason != data.reason:
        TurnFlag.objects.filter(id=flag.id).update(reason=data.reason)
        flag.reason = data.reason
    return flag


def flag_clear(*, turn_id: int, flagged_by: User) -> bool:
    """Take back one's flag; False when there was none."""
    deleted, _ = TurnFlag.objects.filter(turn_id=turn_id, flagged_by=flagged_by).delete()
    return bool(deleted)


def reviews_erase_person(*, user_ids: set[uuid.UUID], slack_user_ids: set[str]) -> int:
    """Delete every review (with its history) and flag of a person's turns,
    found by the copies of the turn's user and Slack ids; returns how many
    reviews and flags went. Run by privacy's erasure job, in the transaction
    that counts it."""
    match = account_selectors.person_filter(user_ids=user_ids, slack_user_ids=slack_user_ids)
    # History first, also rows whose review row is somehow gone already.
    TurnReviewHistory.objects.filter(match).delete()
    reviews = TurnReview.objects.filter(match).delete()[1].get(TurnReview._meta.label, 0)
    flags = TurnFlag.objects.filter(match).delete()[0]
    if reviews or flags:
        logger.info("erased %s reviews and %s flags of one person", reviews, flags)
    return reviews + flags
