"""What the seed's monitoring section (7.2) asks of ingestion: how long a
turn takes to store (로그 저장 지연 시간), and how many turns arrive, per robeing
and outcome."""

from __future__ import annotations

from collections import Counter as Tally

from core.metrics import counter, histogram

turn_save_duration = histogram(
    "robeing_turn_save_seconds",
    "Time to store the turns of one request (masking, INSERT, commit), by endpoint.",
    ["endpoint"],
)
turns_ingested = counter(
    "robeing_turns_ingested",
    "Turns received, by robeing and outcome: created, duplicate (event_id seen) or error.",
    ["robeing", "outcome"],
)
batch_size = histogram(
    "robeing_turn_batch_size",
    "Turns per batch request, by robeing.",
    ["robeing"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
)


def turns_count(robeing_id: str, outcomes: Tally[str]) -> None:
    for outcome, turns in outcomes.items():
        if turns:
            turns_ingested.labels(robeing_id, outcome).inc(turns)
