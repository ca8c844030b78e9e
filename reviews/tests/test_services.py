"""Reviews and flags through the services: once per operator and turn,
re-reviews keep their history, the logged turn is never touched."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from conversations import services as conversation_services
from conversations.models import ConversationLog
from conversations.tests.factories import ConversationLogFactory
from core.errors import InvalidInput, NotFound
from privacy import services as privacy_services
from reviews import selectors, services
from reviews.models import TurnFlag, TurnReview, TurnReviewHistory

pytestmark = pytest.mark.django_db


def test_it_records_one_review_per_operator_and_turn(turn, reviewer):
    review = services.review_record(
        turn_id=turn.id, reviewer=reviewer, verdict="wrong", correct_intent="refund",
        note="환불 문의인데 일정으로 분류됨",
    )  # fmt: skip

    stored = TurnReview.objects.get()
    assert stored.id == review.id
    assert (stored.turn_id, stored.reviewer, stored.verdict) == (turn.id, reviewer, "wrong")
    assert stored.correct_intent == "refund"
    assert stored.note == "환불 문의인데 일정으로 분류됨"
    # The turn's time and person travel with the review, for erasure after archiving.
    assert stored.turn_timestamp == turn.timestamp
    assert stored.slack_user_id == turn.slack_user_id
    assert stored.robeing_id == "rb8001"


def test_it_keeps_every_earlier_verdict_when_an_operator_reviews_again(turn, reviewer):
    first = services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="good")
    again = services.review_record(
        turn_id=turn.id, reviewer=reviewer, verdict="unsafe", note="개인정보 노출"
    )

    assert again.id == first.id
    assert TurnReview.objects.get().verdict == "unsafe"
    history = list(selectors.review_history_of_turn(turn_id=turn.id).values_list("verdict", "note"))
    assert history == [("unsafe", "개인정보 노출"), ("good", "")]  # newest first
    assert again.updated_at >= again.created_at


def test_it_keeps_each_operators_review_of_a_turn_apart(turn, reviewer, other_reviewer):
    services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="good")
    services.review_record(turn_id=turn.id, reviewer=other_reviewer, verdict="wrong")

    reviews = selectors.reviews_of_turn(turn_id=turn.id)
    assert sorted(r.verdict for r in reviews) == ["good", "wrong"]


def test_it_never_changes_the_logged_turn(turn, reviewer):
    before = ConversationLog.objects.filter(id=turn.id).values().get()

    services.review_record(
        turn_id=turn.id, reviewer=reviewer, verdict="wrong", correct_intent="refund"
    )
    services.flag_set(turn_id=turn.id, flagged_by=reviewer, reason="분류 오류")

    assert ConversationLog.objects.filter(id=turn.id).values().get() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({"verdict": "good", "correct_intent": "x" * 101}, "correct_intent"),
        ({"verdict": "good", "note": "bad\x00note"}, "note"),
    ],
)
def test_it_refuses_a_review_that_does_not_fit(turn, reviewer, values, field):
    with pytest.raises(InvalidInput) as refused:
        services.review_record(turn_id=turn.id, reviewer=reviewer, **values)

    assert [e.field for e in refused.value.errors] == [field]
    assert not TurnReview.objects.exists()


def test_it_refuses_to_review_a_turn_that_is_not_in_the_log(reviewer, robeing):
    with pytest.raises(NotFound):
        services.review_record(turn_id=987654321, reviewer=reviewer, verdict="good")


def test_it_keeps_reviews_and_flags_when_the_turn_leaves_the_hot_table(turn, reviewer):
    services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="good")
    services.flag_set(turn_id=turn.id, flagged_by=reviewer)

    conversation_services.conversation_turns_delete(ids=[turn.id])  # what archiving does

    assert TurnReview.objects.filter(turn_id=turn.id).exists()
    assert TurnFlag.objects.filter(turn_id=turn.id).exists()


def test_it_flags_a_turn_once_per_operator_and_unflags_it(turn, reviewer, other_reviewer):
    services.flag_set(turn_id=turn.id, flagged_by=reviewer, reason="")
    services.flag_set(turn_id=turn.id, flagged_by=reviewer, reason="답변이 엉뚱함")
    services.flag_set(turn_id=turn.id, flagged_by=other_reviewer)

    assert TurnFlag.objects.count() == 2
    assert TurnFlag.objects.get(flagged_by=reviewer).reason == "답변이 엉뚱함"
    assert selectors.turn_marks(turn_ids=[turn.id])[turn.id].flags == 2

    assert services.flag_clear(turn_id=turn.id, flagged_by=reviewer) is True
    assert services.flag_clear(turn_id=turn.id, flagged_by=reviewer) is False
    assert list(TurnFlag.objects.values_list("flagged_by", flat=True)) == [other_reviewer.id]


def test_erasure_removes_the_persons_reviews_and_flags_and_counts_them(
    robeing, reviewer, other_reviewer
):
    person = UserFactory(email="minji@example.com", slack_user_id="UMINJI")
    theirs = ConversationLogFactory(robeing=robeing, user=person, slack_user_id="UMINJI")
    archived = ConversationLogFactory(robeing=robeing, user=None, slack_user_id="UMINJI")
    someone_else = ConversationLogFactory(robeing=robeing, slack_user_id="UOTHER")
    for judged in (theirs, archived, someone_else):
        services.review_record(turn_id=judged.id, reviewer=reviewer, verdict="good")
        services.review_record(turn_id=judged.id, reviewer=reviewer, verdict="wrong")
    services.review_record(turn_id=theirs.id, reviewer=other_reviewer, verdict="unsafe")
    services.flag_set(turn_id=theirs.id, flagged_by=other_reviewer)
    services.flag_set(turn_id=someone_else.id, flagged_by=other_reviewer)
    conversation_services.conversation_turns_delete(ids=[archived.id])  # gone to an archive

    request = privacy_services.erasure_request_create(user_id=person.id)
    request = privacy_services.erasure_request_run(request_id=request.id)

    assert set(TurnReview.objects.values_list("turn_id", flat=True)) == {someone_else.id}
    assert set(TurnReviewHistory.objects.values_list("turn_id", flat=True)) == {someone_else.id}
    assert set(TurnFlag.objects.values_list("turn_id", flat=True)) == {someone_else.id}
    assert request.counts["reviews_deleted"] == 4  # 3 reviews and 1 flag
    assert request.status == "done"


def test_known_intents_come_from_the_log_and_from_reviewers(robeing, turn, reviewer):
    ConversationLogFactory(robeing=robeing, intent="email")
    ConversationLogFactory(robeing=robeing, intent="email")
    ConversationLogFactory(robeing=robeing, intent="")
    services.review_record(
        turn_id=turn.id, reviewer=reviewer, verdict="wrong", correct_intent="refund"
    )

    assert selectors.known_intents() == ["email", "refund", "schedule"]
    assert selectors.known_intents(limit=2) == ["email", "refund"]
