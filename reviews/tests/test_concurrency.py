"""Two requests of the same operator reviewing the same turn at once (a double
click, two tabs). Real threads, real PostgreSQL connections."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from conversations.tests.factories import ConversationLogFactory
from reviews import services
from reviews.models import TurnReview, TurnReviewHistory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def run_threads(*works) -> None:
    errors: list[BaseException] = []

    def worker(work) -> None:
        try:
            work()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


def test_a_review_racing_an_uncommitted_first_review_updates_it(robeing, reviewer):
    turn = ConversationLogFactory(robeing=robeing, confidence=0.2)
    first_inserted = threading.Event()

    def first() -> None:
        with transaction.atomic():
            services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="good")
            first_inserted.set()
            time.sleep(0.5)  # the second one finds no row and waits on the unique index

    def second() -> None:
        assert first_inserted.wait(timeout=10)
        services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="unsafe")

    run_threads(first, second)

    review = TurnReview.objects.get()
    assert review.verdict == "unsafe"
    assert sorted(TurnReviewHistory.objects.values_list("verdict", flat=True)) == [
        "good",
        "unsafe",
    ]


def test_many_simultaneous_reviews_by_one_operator_leave_one_review(robeing, reviewer):
    turn = ConversationLogFactory(robeing=robeing, confidence=0.2)
    barrier = threading.Barrier(6)
    verdicts = ["good", "wrong", "unsafe"] * 2

    def review(verdict: str):
        def work() -> None:
            barrier.wait(timeout=10)
            services.review_record(turn_id=turn.id, reviewer=reviewer, verdict=verdict)

        return work

    run_threads(*(review(v) for v in verdicts))

    assert TurnReview.objects.count() == 1
    history = list(TurnReviewHistory.objects.order_by("id"))
    assert len(history) == 6
    # The review holds the verdict of the last version written (versions are
    # written under the review's row lock, so in the order they won it).
    assert TurnReview.objects.get().verdict == history[-1].verdict
    assert [v.recorded_at for v in history] == sorted(v.recorded_at for v in history)
