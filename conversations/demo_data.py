"""Demo conversations for `manage.py seed_demo`: realistic Korean and English
turns, generated from templates. They are written straight to the table,
bypassing ingestion (and so masking): none of them contains personal data."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

PEOPLE = ["김민준", "이서연", "박지호", "최유나", "정하은", "Alex", "Jordan", "Sam"]
TOPICS = [
    "주간 회의",
    "분기 보고서",
    "신규 입사자 온보딩",
    "고객 미팅",
    "릴리스 계획",
    "budget review",
]
DAYS = ["오늘", "내일", "모레", "이번 주 금요일", "다음 주 월요일"]
TIMES = ["오전 9시", "오전 10시 30분", "오후 2시", "오후 4시", "3 PM", "11 AM"]

# intent -> list of (message, response) templates; {slots} are filled below.
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "schedule": [
        ("{day} 일정 알려줘", "{day} {time}에 {topic}이(가) 있습니다."),
        ("{topic} 언제였지?", "{topic}은(는) {day} {time}입니다."),
        ("{day} {time}에 {topic} 잡아줘", "{day} {time}에 {topic}을(를) 등록했습니다."),
        ("What's on my calendar {day_en}?", "You have {topic} at {time} {day_en}."),
        ("Move {topic} to {time}", "Done: {topic} now starts at {time}."),
    ],
    "email": [
        ("{person}님한테 온 메일 요약해줘", "{person}님이 {topic} 관련 자료를 요청했습니다."),
        (
            "안 읽은 메일 몇 개야?",
            "읽지 않은 메일이 {n}개 있습니다. 그중 {topic} 관련이 2개입니다.",
        ),
        (
            "{topic} 답장 초안 써줘",
            "초안을 작성했습니다: '{topic} 관련해 {day}까지 회신드리겠습니다.'",
        ),
        (
            "Summarize the thread from {person}",
            "{person} asks for an update on {topic} by {day_en}.",
        ),
    ],
    "news": [
        (
            "오늘 IT 뉴스 요약해줘",
            "오늘 주요 뉴스 {n}건: 반도체 수출 증가, 생성형 AI 규제 논의, 클라우드 요금 인하.",
        ),
        ("경제 뉴스 있어?", "금리 동결 소식과 환율 안정세가 주요 뉴스입니다."),
        (
            "Any tech news this morning?",
            "Top {n} stories: chip exports up, new AI rules debated, cloud prices cut.",
        ),
    ],
    "counseling": [
        (
            "요즘 일이 너무 많아서 지쳐요",
            "많이 힘드셨겠어요. 오늘 할 일 중 미뤄도 되는 것부터 같이 정리해 볼까요?",
        ),
        (
            "{topic} 때문에 걱정돼요",
            "걱정되는 마음 이해해요. 가장 마음에 걸리는 부분이 무엇인지 말씀해 주실래요?",
        ),
        (
            "I feel overwhelmed by {topic}",
            "That sounds hard. Shall we break {topic} into smaller steps?",
        ),
    ],
    "team_report": [
        (
            "이번 주 팀 진행상황 정리해줘",
            "이번 주 완료 {n}건, 진행 중 3건, 지연 1건({topic})입니다.",
        ),
        (
            "{topic} 진척도 어때?",
            "{topic}은(는) 약 {pct}% 진행되었습니다. {person}님이 담당입니다.",
        ),
        ("Weekly status for the team?", "{n} done, 3 in progress, {topic} is blocked on review."),
    ],
    "smalltalk": [
        ("안녕!", "안녕하세요! 무엇을 도와드릴까요?"),
        ("고마워", "천만에요. 언제든 불러주세요."),
        ("점심 메뉴 추천해줘", "오늘은 따뜻한 국밥 어떠세요?"),
        ("Good morning", "Good morning! Ready when you are."),
    ],
}
DAY_EN = {"오늘": "today", "내일": "tomorrow", "모레": "the day after tomorrow"}
CHANNEL_TYPES = ["channel", "channel", "im", "mpim", "group"]


@dataclass(frozen=True)
class DemoUser:
    user_id: uuid.UUID
    slack_user_id: str


def demo_turns(
    *, n: int, robeing_ids: list[str], users: list[DemoUser], now: datetime, seed: int | None
) -> Iterator[dict]:
    """Yield `n` turns as column dicts, in threads of 1-6 turns, spread over the
    last 60 days. Deterministic for a given seed."""
    rng = random.Random(seed)
    produced = 0
    while produced < n:
        thread_len = min(rng.randint(1, 6), n - produced)
        yield from _thread(rng, thread_len, robeing_ids, users, now)
        produced += thread_len


def _thread(rng: random.Random, length: int, robeing_ids, users, now) -> Iterator[dict]:
    robeing_id = rng.choice(robeing_ids)
    channel_type = rng.choice(CHANNEL_TYPES)
    channel_id = ("D" if channel_type == "im" else "C") + f"0DEMO{rng.randint(1, 12):02d}"
    start = now - timedelta(days=60) + timedelta(seconds=rng.randint(0, 60 * 86400 - 3600))
    threaded = channel_type != "im" and length > 1
    thread_ts = f"{int(start.timestamp())}.{rng.randint(0, 999999):06d}" if threaded else ""
    person = rng.choice(users) if rng.random() < 0.85 else None
    slack_user_id = person.slack_user_id if person else f"U0GUEST{rng.randint(1, 99):02d}"
    for i in range(length):
        at = start + timedelta(seconds=40 * i + rng.randint(0, 30))
        intent = rng.choice(list(TEMPLATES))
        message, response = _fill(rng, rng.choice(TEMPLATES[intent]))
        yield {
            "robeing_id": robeing_id,
            "channel_id": channel_id,
            "channel_type": channel_type,
            "thread_ts": thread_ts,
            "message": message,
            "response": response,
            "intent": intent,
            "confidence": round(rng.uniform(0.5, 0.99), 2),
            "timestamp": at,
            "user_id": person.user_id if person else None,
            "slack_user_id": slack_user_id,
            "event_id": f"demo-{uuid.UUID(int=rng.getrandbits(128)).hex}",
            "metadata": {"source": "demo", "slack_ts": f"{at.timestamp():.6f}"},
            "created_at": at,
        }


def _fill(rng: random.Random, template: tuple[str, str]) -> tuple[str, str]:
    day = rng.choice(DAYS)
    slots = {
        "day": day,
        "day_en": DAY_EN.get(day, "next week"),
        "time": rng.choice(TIMES),
        "topic": rng.choice(TOPICS),
        "person": rng.choice(PEOPLE),
        "n": rng.randint(2, 9),
        "pct": rng.choice([30, 45, 60, 75, 90]),
    }
    return template[0].format(**slots), template[1].format(**slots)
