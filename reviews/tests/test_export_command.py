"""`manage.py export_training_data`: JSON Lines of turns and their latest
review, Seoul days inclusive, streamed, never a person whose erasure waits."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import orjson
import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from conversations.tests.factories import ConversationLogFactory
from privacy import services as privacy_services
from reviews import selectors, services

pytestmark = pytest.mark.django_db
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def export(*args: str) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_training_data", *args, stdout=out, stderr=err)
    return [orjson.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SEOUL)


def test_it_writes_one_line_per_turn_of_the_seoul_days_oldest_first(robeing, reviewer):
    first = ConversationLogFactory(
        robeing=robeing, timestamp=at(18, 0, 30), message="첫 질문", response="첫 답변",
        intent="greeting", confidence=0.42,
    )  # fmt: skip
    last = ConversationLogFactory(robeing=robeing, timestamp=at(19, 23, 59), intent="schedule")
    ConversationLogFactory(robeing=robeing, timestamp=at(17, 23, 59))  # the day before
    ConversationLogFactory(robeing=robeing, timestamp=at(20, 0, 0))  # the day after
    services.review_record(turn_id=first.id, reviewer=reviewer, verdict="good")
    services.review_record(
        turn_id=first.id, reviewer=reviewer, verdict="wrong", correct_intent="smalltalk"
    )

    lines, errors = export("--since", "2026-03-18", "--until", "2026-03-19")

    assert lines == [
        {
            "id": first.id,
            "robeing_id": "rb8001",
            "timestamp": "2026-03-17T15:30:00Z",
            "message": "첫 질문",
            "response": "첫 답변",
            "intent": "greeting",
            "confidence": 0.42,
            "reviewed_intent": "smalltalk",  # the re-review, not the first verdict
            "verdict": "wrong",
        },
        {
            "id": last.id,
            "robeing_id": "rb8001",
            "timestamp": "2026-03-19T14:59:00Z",
            "message": last.message,
            "response": last.response,
            "intent": "schedule",
            "confidence": 0.9,
            "reviewed_intent": None,
            "verdict": None,
        },
    ]
    assert errors == ""  # not a terminal: no progress bar, nothing on stderr


def test_the_latest_review_of_any_operator_counts(robeing, reviewer, other_reviewer):
    turn = ConversationLogFactory(robeing=robeing, timestamp=at(18, 12), intent="news")
    services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="unsafe")
    services.review_record(turn_id=turn.id, reviewer=other_reviewer, verdict="good")

    (line,), _ = export("--since", "2026-03-18", "--until", "2026-03-18")

    # An empty correct intent lets the logged one stand.
    assert (line["verdict"], line["reviewed_intent"]) == ("good", "news")


def test_reviewed_only_leaves_out_turns_nobody_reviewed(robeing, other_robeing, reviewer):
    judged = ConversationLogFactory(robeing=robeing, timestamp=at(18, 9))
    ConversationLogFactory(robeing=robeing, timestamp=at(18, 10))
    theirs = ConversationLogFactory(robeing=other_robeing, timestamp=at(18, 11))
    for turn in (judged, theirs):
        services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="good")

    lines, _ = export(
        "--since", "2026-03-18", "--until", "2026-03-18", "--reviewed-only", "--robeing", "rb8001"
    )

    assert [line["id"] for line in lines] == [judged.id]


def test_it_keeps_to_the_robeings_named(robeing, other_robeing):
    ConversationLogFactory(robeing=robeing, timestamp=at(18, 9))
    ConversationLogFactory(robeing=other_robeing, timestamp=at(18, 10))

    only_other, _ = export("--since", "2026-03-18", "--until", "2026-03-18", "--robeing", "rb10508")
    both, _ = export(
        "--since", "2026-03-18", "--until", "2026-03-18", "--robeing", "rb8001", "rb10508"
    )

    assert [line["robeing_id"] for line in only_other] == ["rb10508"]
    assert sorted(line["robeing_id"] for line in both) == ["rb10508", "rb8001"]


def test_it_masks_what_a_robeing_stored_unmasked(robeing):
    # The factory stores text as given, like a robeing with pii_masking off.
    ConversationLogFactory(
        robeing=robeing, timestamp=at(18, 9), message="제 번호는 010-1234-5678입니다",
        response="minji@example.com 으로 보낼게요",
    )  # fmt: skip

    (line,), _ = export("--since", "2026-03-18", "--until", "2026-03-18")

    assert line["message"] == "제 번호는 [PHONE]입니다"
    assert line["response"] == "[EMAIL] 으로 보낼게요"


def test_a_person_whose_erasure_is_pending_never_appears(robeing, reviewer):
    person = UserFactory(email="minji@example.com", slack_user_id="UMINJI")
    by_user = ConversationLogFactory(robeing=robeing, timestamp=at(18, 9), user=person)
    by_slack = ConversationLogFactory(
        robeing=robeing, timestamp=at(18, 10), user=None, slack_user_id="UMINJI"
    )
    kept = ConversationLogFactory(robeing=robeing, timestamp=at(18, 11), slack_user_id="UOTHER")
    for turn in (by_user, by_slack, kept):
        services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="good")
    # Named by user id: the Slack-only turn is theirs too.
    privacy_services.erasure_request_create(user_id=person.id)

    everything, _ = export("--since", "2026-03-18", "--until", "2026-03-18")
    reviewed, _ = export("--since", "2026-03-18", "--until", "2026-03-18", "--reviewed-only")

    assert [line["id"] for line in everything] == [kept.id]
    assert [line["id"] for line in reviewed] == [kept.id]


def test_an_erased_person_is_gone_once_the_erasure_ran(robeing):
    ConversationLogFactory(robeing=robeing, timestamp=at(18, 9), slack_user_id="UMINJI")
    kept = ConversationLogFactory(robeing=robeing, timestamp=at(18, 10), slack_user_id="UOTHER")
    request = privacy_services.erasure_request_create(slack_user_id="UMINJI")
    privacy_services.erasure_request_run(request_id=request.id)

    lines, _ = export("--since", "2026-03-18", "--until", "2026-03-18")

    assert [line["id"] for line in lines] == [kept.id]


def test_it_writes_to_a_file_when_asked(robeing, tmp_path):
    ConversationLogFactory(robeing=robeing, timestamp=at(18, 9), message="파일로")
    target = tmp_path / "train.jsonl"

    out = io.StringIO()
    call_command(
        "export_training_data", "--since", "2026-03-18", "--until", "2026-03-18",
        "--output", str(target), stdout=out,
    )  # fmt: skip

    written = [orjson.loads(line) for line in target.read_text("utf-8").splitlines()]
    assert [line["message"] for line in written] == ["파일로"]
    assert out.getvalue() == f"Wrote 1 turn to {target}.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-02-30", "--until", "2026-03-01"], "'2026-02-30' is not a YYYY-MM-DD"),
        (["--since", "yesterday", "--until", "2026-03-01"], "'yesterday' is not a YYYY-MM-DD"),
        (["--since", "2026-03-02", "--until", "2026-03-01"], "until must not be before since"),
        (
            ["--since", "2026-03-01", "--until", "2026-03-01", "--robeing", "rb404"],
            "Robeing 'rb404' does not exist.",
        ),
    ],
)
def test_it_refuses_bad_input_clearly(robeing, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_training_data", *args, stdout=io.StringIO())


def test_batches_walk_turns_of_one_instant_without_losing_or_repeating_any(robeing, reviewer):
    same_moment = at(18, 9)
    turns = [ConversationLogFactory(robeing=robeing, timestamp=same_moment) for _ in range(5)]
    later = ConversationLogFactory(robeing=robeing, timestamp=at(18, 10))
    for turn in turns[1:4]:
        services.review_record(turn_id=turn.id, reviewer=reviewer, verdict="good")
        services.review_record(turn_id=turn.id, reviewer=UserFactory(), verdict="wrong")
    day = dt.date(2026, 3, 18)

    walked = selectors.training_examples(since=day, until=day, robeing_ids=[], batch_size=2)
    reviewed = selectors.training_examples(
        since=day, until=day, robeing_ids=[], reviewed_only=True, batch_size=2
    )

    assert [e["id"] for e in walked] == [t.id for t in turns] + [later.id]
    assert [e["id"] for e in reviewed] == [t.id for t in turns[1:4]]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_it_shows_progress_on_a_terminal_and_keeps_it_off_the_data(robeing):
    for minute in range(3):
        ConversationLogFactory(robeing=robeing, timestamp=at(18, 9, minute))
    out, terminal = io.StringIO(), Terminal()

    call_command(
        "export_training_data", "--since", "2026-03-18", "--until", "2026-03-18",
        stdout=out, stderr=terminal,
    )  # fmt: skip

    assert len(out.getvalue().splitlines()) == 3
    assert all(line.startswith('{"id":') for line in out.getvalue().splitlines())
    assert "3/3" in terminal.getvalue()  # tqdm's bar
    assert terminal.getvalue().endswith("Wrote 3 turns.\n")
