"""The stats aggregation's backlog: every stored turn waits on it until one
claim takes it, whoever stored it, and an erasure knows which of the person's
turns were counted even while a claim runs."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from conversations import services
from conversations.models import ConversationLog, UncountedTurn
from conversations.schemas import TurnIn
from conversations.tests.factories import ConversationLogFactory

pytestmark = pytest.mark.django_db


def backlog() -> set[int]:
    return set(UncountedTurn.objects.values_list("turn_id", flat=True))


def test_every_stored_turn_waits_for_the_aggregation_and_a_retry_adds_nothing(robeing):
    single, _ = services.conversation_turn_record(
        robeing_id="rb8001", turn=TurnIn(message="안녕", event_id="Ev1")
    )
    batch = services.conversation_turns_record(
        robeing_id="rb8001",
        turns=[TurnIn(message="하나", event_id="Ev2"), TurnIn(message="둘", event_id="Ev3")],
    )
    direct = ConversationLog.objects.create(robeing=robeing, message="psql 같은 직접 입력")

    services.conversation_turn_record(
        robeing_id="rb8001", turn=TurnIn(message="안녕", event_id="Ev1")
    )  # Slack's retry
    services.conversation_turns_record(
        robeing_id="rb8001", turns=[TurnIn(message="하나", event_id="Ev2")]
    )

    assert backlog() == {single.id, batch[0].turn.id, batch[1].turn.id, direct.id}


def test_a_claim_takes_turns_off_the_backlog_once_in_id_order(robeing):
    turns = [ConversationLogFactory(robeing=robeing) for _ in range(5)]

    first = services.conversation_turns_claim_for_stats(limit=3)
    second = services.conversation_turns_claim_for_stats(limit=3)

    assert [t.id for t in first] == [t.id for t in turns[:3]]
    assert [t.id for t in second] == [t.id for t in turns[3:]]
    assert services.conversation_turns_claim_for_stats(limit=3) == []
    assert backlog() == set()


def test_a_claim_drops_a_backlog_row_whose_turn_is_gone(robeing):
    gone, kept = ConversationLogFactory(robeing=robeing), ConversationLogFactory(robeing=robeing)
    ConversationLog.objects.filter(id=gone.id).delete()  # behind the services' back

    claimed = services.conversation_turns_claim_for_stats(limit=10)

    assert [t.id for t in claimed] == [kept.id]
    assert backlog() == set()


def test_deleting_turns_takes_them_off_the_backlog(robeing):
    turns = [ConversationLogFactory(robeing=robeing) for _ in range(3)]

    assert services.conversation_turns_delete(ids=[turns[0].id, turns[1].id]) == 2

    assert backlog() == {turns[2].id}


def test_an_erasure_batch_says_which_of_the_persons_turns_were_counted(robeing):
    counted = ConversationLogFactory(robeing=robeing, slack_user_id="U1", counted=True)
    waiting = ConversationLogFactory(robeing=robeing, slack_user_id="U1")
    someone_else = ConversationLogFactory(robeing=robeing, slack_user_id="U2")

    erased = services.conversation_turns_erase_batch(
        user_ids=set(), slack_user_ids={"U1"}, limit=100
    )

    assert erased.deleted == 2
    assert [t.id for t in erased.counted] == [counted.id]
    assert backlog() == {someone_else.id}
    assert waiting.id not in set(ConversationLog.objects.values_list("id", flat=True))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_erasure_during_a_claim_waits_and_then_knows_the_turns_were_counted(robeing):
    turns = [ConversationLogFactory(robeing=robeing, slack_user_id="U1") for _ in range(3)]
    claimed = threading.Event()
    release = threading.Event()
    seen: list = []

    def claim_and_hold() -> None:
        try:
            with transaction.atomic():
                seen.extend(services.conversation_turns_claim_for_stats(limit=10))
                claimed.set()
                release.wait(timeout=20)  # the aggregation adds things up meanwhile
        finally:
            connection.close()

    def erase() -> None:
        try:
            with transaction.atomic():
                seen.append(
                    services.conversation_turns_erase_batch(
                        user_ids=set(), slack_user_ids={"U1"}, limit=100
                    )
                )
        finally:
            connection.close()

    claim = threading.Thread(target=claim_and_hold)
    claim.start()
    assert claimed.wait(timeout=20)
    erasure = threading.Thread(target=erase)
    erasure.start()
    erasure.join(timeout=1)
    assert erasure.is_alive(), "the erasure must wait for the claim that holds the turns"
    release.set()
    claim.join(timeout=20)
    erasure.join(timeout=20)

    *claimed_turns, erased = seen
    assert [t.id for t in claimed_turns] == [t.id for t in turns]
    assert erased.deleted == 3
    assert {t.id for t in erased.counted} == {t.id for t in turns}
    assert backlog() == set()
