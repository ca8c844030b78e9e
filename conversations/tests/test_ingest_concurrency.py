"""Slack retries an event up to three times, sometimes while the first delivery
is still being stored. Real threads, real PostgreSQL connections."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import OperationalError, connection

from conversations import services
from conversations.models import ConversationLog
from conversations.schemas import TurnIn

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]


def run_concurrently(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_concurrent_retries_of_one_event_store_one_row(robeing):
    turn = TurnIn(message="동시 재시도", event_id="Ev-concurrent-1")

    results = run_concurrently(
        8, lambda _: services.conversation_turn_record(robeing_id="rb8001", turn=turn)
    )

    assert ConversationLog.objects.filter(event_id="Ev-concurrent-1").count() == 1
    assert len({row.id for row, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * 7 + [True]


def test_concurrent_overlapping_batches_store_each_event_once(robeing):
    batch = [TurnIn(message=f"turn {i}", event_id=f"Ev-{i}") for i in range(200)]

    results = run_concurrently(
        4, lambda _: services.conversation_turns_record(robeing_id="rb8001", turns=batch)
    )

    assert ConversationLog.objects.count() == 200
    created = sum(1 for outcomes in results for o in outcomes if o.status == "created")
    assert created == 200
    ids_per_run = [[o.turn.id for o in outcomes] for outcomes in results]
    assert all(ids == ids_per_run[0] for ids in ids_per_run)


def test_a_batch_and_its_copy_in_another_order_at_once_do_not_deadlock(robeing):
    # Found by bench/load.py: a Slack-style resend racing its original, the
    # items reversed, deadlocked in the unique index and answered 500.
    for attempt in range(5):
        batch = [TurnIn(message=f"turn {i}", event_id=f"Ev-{attempt}-{i}") for i in range(300)]
        orders = [batch, batch[::-1], batch[::2] + batch[1::2], batch[::-1]]

        def record(n: int, orders=orders) -> list:
            return services.conversation_turns_record(robeing_id="rb8001", turns=orders[n])

        results = run_concurrently(4, record)

        assert ConversationLog.objects.filter(event_id__startswith=f"Ev-{attempt}-").count() == 300
        created = sum(1 for outcomes in results for o in outcomes if o.status == "created")
        assert created == 300
        # Each copy's outcomes are in its own order: item i is the turn it sent.
        for order, outcomes in zip(orders, results, strict=True):
            assert [o.turn.event_id for o in outcomes] == [t.event_id for t in order]


def test_a_connection_that_died_under_ingestion_is_replaced_after_the_request(robeing):
    services.conversation_turn_record(robeing_id="rb8001", turn=TurnIn(message="먼저"))
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], host=db["HOST"], port=db["PORT"], user=db["USER"], autocommit=True
    ) as admin:  # what a database restart or a killed backend does to this connection
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])

    with pytest.raises(OperationalError):  # Django's, like any Django cursor's
        services.conversation_turn_record(robeing_id="rb8001", turn=TurnIn(message="그동안"))
    connection.close_if_unusable_or_obsolete()  # what the end of every request runs
    services.conversation_turn_record(robeing_id="rb8001", turn=TurnIn(message="그다음"))

    assert list(ConversationLog.objects.order_by("id").values_list("message", flat=True)) == [
        "먼저",
        "그다음",
    ]
