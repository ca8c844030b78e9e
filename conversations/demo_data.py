"""Demo conversations for `manage.py seed_demo`: Korean and English Slack turns
generated from templates, deterministic for a given seed.

The turns are written straight to the table, bypassing ingestion and therefore
PII masking. So the corpus must never contain anything that looks like personal
data: no phone numbers, e-mail addresses, resident registration or card
numbers, tokens or passwords (names are invented; a test runs every template
through the masker to keep it that way).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# A turn is a tuple in this order: the columns COPY writes and bulk_create sets.
COLUMNS = (
    "robeing_id", "channel_id", "channel_type", "thread_ts", "message", "response", "intent",
    "confidence", "timestamp", "user_id", "slack_user_id", "event_id", "metadata", "created_at",
)  # fmt: skip
METADATA_INDEX = COLUMNS.index("metadata")


@dataclass(frozen=True)
class DemoPerson:
    display_name: str
    email: str
    slack_user_id: str
    lang: str  # "ko" or "en": the language this person writes in


# The demo workspace's people; seed_demo creates a user for each.
PEOPLE = [
    DemoPerson("김민준", "minjun.kim@example.com", "U0DEMO001", "ko"),
    DemoPerson("이서연", "seoyeon.lee@example.com", "U0DEMO002", "ko"),
    DemoPerson("박지호", "jiho.park@example.com", "U0DEMO003", "ko"),
    DemoPerson("최유나", "yuna.choi@example.com", "U0DEMO004", "ko"),
    DemoPerson("정하은", "haeun.jung@example.com", "U0DEMO005", "ko"),
    DemoPerson("Alex Morgan", "alex.morgan@example.com", "U0DEMO006", "en"),
    DemoPerson("Jordan Lee", "jordan.lee@example.com", "U0DEMO007", "en"),
    DemoPerson("Sam Rivera", "sam.rivera@example.com", "U0DEMO008", "en"),
]


@dataclass(frozen=True)
class DemoUser:
    """A stored demo user, as the generator needs it."""

    user_id: uuid.UUID
    slack_user_id: str
    lang: str


# Slack ids: C for channels, D for direct messages; one type per channel.
CHANNELS = [
    ("C0DEMO01", "channel"), ("C0DEMO02", "channel"), ("C0DEMO03", "channel"),
    ("C0DEMO04", "group"), ("C0DEMO05", "group"), ("C0DEMO06", "mpim"),
    ("D0DEMO01", "im"), ("D0DEMO02", "im"), ("D0DEMO03", "im"), ("D0DEMO04", "im"),
]  # fmt: skip
# Slack users that no demo user has: their turns get a slack_user_id only.
GUESTS = [f"U0GUEST{i:02d}" for i in range(1, 21)]
GUEST_SHARE = 0.1
# How often a conversation is a thread (thread_ts set), by channel type: bots
# answer in threads in channels, rarely in direct messages.
THREADED = {"channel": 0.85, "group": 0.8, "mpim": 0.6, "im": 0.2}
# Hours (Seoul time) conversations start at: office hours, some evenings.
HOURS = [8, 9, 9, 10, 10, 10, 11, 11, 13, 14, 14, 15, 15, 16, 16, 17, 18, 20, 22]
SEOUL = ZoneInfo("Asia/Seoul")
DAYS_BACK = 60
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Slot values, per language. Templates below avoid particles right after a
# slot, so any value fits (no 이/가, 은/는 agreement to get wrong).
SLOTS: dict[str, dict[str, list[str]]] = {
    "ko": {
        "topic": [
            "분기 보고서",
            "신규 입사자 온보딩",
            "고객사 제안서",
            "릴리스 준비",
            "예산 검토",
            "채용",
            "마케팅 캠페인",
            "앱 리뉴얼",
            "보안 점검",
            "파트너십",
        ],
        "person": ["김민준", "이서연", "박지호", "최유나", "정하은", "한도윤", "윤채원"],
        "day": ["오늘", "내일", "모레", "이번 주 수요일", "이번 주 금요일", "다음 주 월요일"],
        "time": [
            "오전 9시",
            "오전 10시 30분",
            "오전 11시",
            "오후 2시",
            "오후 4시",
            "오후 5시 30분",
        ],
        "place": ["3층 회의실", "대회의실", "온라인 화상회의", "2층 라운지"],
        "news": [
            "반도체 수출 증가",
            "생성형 AI 규제 논의",
            "기준금리 동결",
            "전기차 배터리 투자",
            "클라우드 요금 인하",
            "환율 안정세",
        ],
        "menu": ["김치찌개", "비빔밥", "칼국수", "돈가스", "쌀국수", "샐러드"],
    },
    "en": {
        "topic": [
            "quarterly report",
            "onboarding plan",
            "client proposal",
            "release",
            "budget",
            "hiring plan",
            "marketing campaign",
            "app redesign",
            "security review",
        ],
        "person": ["Alex", "Jordan", "Sam", "Taylor", "Morgan", "Casey"],
        "day": ["today", "tomorrow", "this Wednesday", "this Friday", "next Monday"],
        "time": ["9 AM", "10:30 AM", "11 AM", "2 PM", "4 PM", "5:30 PM"],
        "place": ["room 3A", "the big meeting room", "a video call", "the lounge"],
        "news": [
            "chip exports",
            "new AI rules",
            "the rate decision",
            "EV battery investment",
            "cloud price cuts",
        ],
        "menu": ["ramen", "a poke bowl", "tacos", "a salad", "bibimbap"],
    },
}

# intent -> language -> (user message, bot response) templates.
TEMPLATES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "schedule": {
        "ko": [
            (
                "{day} 일정 알려줘",
                "{day}에는 {time} {topic} 회의가 있습니다. 장소는 {place}입니다.",
            ),
            ("{topic} 회의 몇 시였지?", "{topic} 회의는 {day} {time}, {place}에서 열립니다."),
            (
                "{day} {time}에 {topic} 미팅 잡아줘",
                "{day} {time}에 {topic} 미팅을 등록했습니다. 참석자에게 초대장을 보낼까요?",
            ),
            (
                "{topic} 회의 {mins}분 뒤로 미뤄줘",
                "{topic} 회의를 {mins}분 뒤로 옮기고 참석자에게 변경 알림을 보냈습니다.",
            ),
            ("{day} 오후에 빈 시간 있어?", "{day} 오후에는 {time} 이후로 비어 있습니다."),
            (
                "{person}님이랑 {day} 미팅 가능한 시간 찾아줘",
                "{person}님과 겹치지 않는 시간은 {day} {time}입니다. 이 시간으로 잡을까요?",
            ),
            (
                "이번 주 회의 몇 개야?",
                "이번 주 회의는 모두 {n}개입니다. 가장 가까운 건 {day} {time} {topic} 회의예요.",
            ),
            (
                "{topic} 회의 취소해줘",
                "{day} {time} {topic} 회의를 취소하고 참석자에게 알렸습니다.",
            ),
        ],
        "en": [
            ("What's on my calendar {day}?", "The {topic} meeting at {time} in {place}."),
            ("When is the {topic} sync?", "The {topic} sync is {day} at {time}."),
            (
                "Book {mins} minutes with {person} {day}",
                "Booked {day} at {time} with {person}. I sent the invite.",
            ),
            (
                "Push the {topic} meeting back {mins} minutes",
                "Done. The {topic} meeting now starts {mins} minutes later.",
            ),
            ("Am I free {day} afternoon?", "You're free {day} after {time}."),
            ("Cancel the {topic} review", "Cancelled the {topic} review and told everyone."),
        ],
    },
    "email": {
        "ko": [
            (
                "{person}님한테 온 메일 요약해줘",
                "{person}님이 {topic} 관련 자료를 {day}까지 보내 달라고 요청했습니다.",
            ),
            (
                "안 읽은 메일 몇 개야?",
                "읽지 않은 메일이 {n}개 있습니다. 그중 {topic} 관련이 2개입니다.",
            ),
            (
                "{topic} 관련 답장 초안 써줘",
                "초안입니다: '안녕하세요, {topic} 건은 검토 후 {day}까지 회신드리겠습니다.'",
            ),
            (
                "중요 메일만 골라줘",
                "중요 표시된 메일은 {n}개입니다. {person}님의 {topic} 메일이 가장 급해 보입니다.",
            ),
            (
                "{person}님께 회의록 보냈어?",
                "아직 보내지 않았습니다. 지금 {topic} 회의록을 첨부해 보낼까요?",
            ),
            (
                "어제 온 메일 중에 답장 안 한 거 있어?",
                "답장하지 않은 메일이 {n}개 있습니다. {person}님 메일부터 확인해 보세요.",
            ),
            ("메일 알림 {time}까지 꺼줘", "{time}까지 메일 알림을 끄겠습니다."),
        ],
        "en": [
            (
                "Summarize the email from {person}",
                "{person} asks for an update on the {topic} by {day}.",
            ),
            ("How many unread emails do I have?", "{n} unread. Two are about the {topic}."),
            (
                "Draft a reply about the {topic}",
                "Draft: 'Thanks for the note. I'll get back to you on the {topic} by {day}.'",
            ),
            (
                "Anything urgent in my inbox?",
                "One thing: {person} needs your sign-off on the {topic}.",
            ),
            ("Did {person} reply yet?", "Not yet. Shall I send a reminder {day}?"),
        ],
    },
    "news": {
        "ko": [
            (
                "오늘 IT 뉴스 요약해줘",
                "오늘 주요 IT 뉴스는 {n}건입니다. 첫 번째는 {news} 소식입니다.",
            ),
            ("경제 뉴스 있어?", "{news} 관련 기사가 가장 많았습니다. 요약해 드릴까요?"),
            (
                "{news} 관련 기사 찾아줘",
                "{news} 관련 최신 기사 {n}건을 찾았습니다. 첫 기사는 업계 전망입니다.",
            ),
            ("아침 브리핑 해줘", "오늘의 브리핑입니다: {news}, 날씨 맑음, 일정 {n}건."),
            ("경쟁사 소식 있어?", "지난주 신제품 발표 이후로 새로운 소식은 없습니다."),
            ("뉴스 요약 매일 {time}에 보내줘", "매일 {time}에 뉴스 요약을 보내드릴게요."),
            ("주식 시장 어때?", "코스피는 소폭 올랐고, {news} 관련 종목이 강세입니다."),
        ],
        "en": [
            ("Any tech news this morning?", "Top {n} stories today, led by {news}."),
            ("Give me the headlines", "Headlines: {news}, markets flat, and a sunny forecast."),
            ("Find articles about {news}", "Found {n} recent articles on {news}."),
            ("Send me a news digest at {time}", "Okay, a digest every day at {time}."),
            ("What's new with our competitors?", "Nothing new since last week's product launch."),
        ],
    },
    "counseling": {
        "ko": [
            (
                "요즘 일이 너무 많아서 지쳐요",
                "많이 힘드셨겠어요. 오늘 할 일 중 미뤄도 되는 것부터 같이 정리해 볼까요?",
            ),
            (
                "{topic} 때문에 걱정돼요",
                "걱정되는 마음 이해해요. 가장 마음에 걸리는 부분이 무엇인지 말씀해 주실래요?",
            ),
            (
                "팀원이랑 의견이 자꾸 부딪혀요",
                "속상하셨겠어요. 서로 기대하는 바를 정리해서 한번 이야기해 보는 건 어떨까요?",
            ),
            (
                "요즘 잠을 잘 못 자요",
                "긴장이 많으셨나 봐요. 잠들기 전 {mins}분은 화면을 멀리해 보세요.",
            ),
            (
                "발표가 너무 떨려요",
                "떨리는 건 잘하고 싶어서예요. 첫 1분만 소리 내어 연습해 볼까요?",
            ),
            (
                "번아웃 온 것 같아요",
                "쉬어야 한다는 신호일 수 있어요. 이번 주에 하루라도 쉬는 날을 잡아 보세요.",
            ),
            (
                "{topic} 마감이 다가와서 불안해요",
                "불안한 게 당연해요. 남은 일을 나눠서 {day}까지 할 것만 골라 볼까요?",
            ),
            (
                "오늘 좀 우울해요",
                "이야기해 주셔서 고마워요. 무슨 일이 있었는지 편하게 말씀해 주세요.",
            ),
        ],
        "en": [
            (
                "I feel overwhelmed by the {topic}",
                "That sounds hard. Shall we split it into small steps?",
            ),
            (
                "I'm nervous about my talk {day}",
                "That's normal. Want to rehearse the first minute?",
            ),
            ("I keep clashing with a teammate", "That's frustrating. What do you each expect?"),
            (
                "I think I'm burning out",
                "Thanks for telling me. Could you block a day off this week?",
            ),
            ("I can't focus today", "Let's try {mins} minutes on one small task, then a break."),
        ],
    },
    "smalltalk": {
        "ko": [
            ("안녕!", "안녕하세요! 무엇을 도와드릴까요?"),
            ("고마워", "천만에요. 언제든 불러주세요."),
            ("점심 메뉴 추천해줘", "오늘은 {menu} 어떠세요?"),
            ("좋은 아침이야", "좋은 아침이에요! 오늘 일정은 {n}개 있어요."),
            ("오늘 날씨 어때?", "맑고 선선해요. 오후에는 조금 더워질 수 있어요."),
            ("심심해", "짧은 퀴즈 하나 어때요? 아니면 재미있는 소식을 찾아 드릴까요?"),
            ("수고했어", "오늘도 수고 많으셨어요. 편안한 저녁 보내세요!"),
            ("너 이름이 뭐야?", "저는 로빙이에요. 일정, 메일, 뉴스 정리를 도와드려요."),
        ],
        "en": [
            ("Good morning", "Good morning! Ready when you are."),
            ("Thanks!", "You're welcome. Ping me anytime."),
            ("What should I get for lunch?", "How about {menu}?"),
            ("How's the weather?", "Clear and mild, a little warmer in the afternoon."),
            ("Who are you?", "I'm Robeing. I help with your calendar, email and news."),
        ],
    },
    "team_report": {
        "ko": [
            (
                "이번 주 팀 진행상황 정리해줘",
                "이번 주 완료 {n}건, 진행 중 3건, 지연 1건({topic})입니다.",
            ),
            (
                "{topic} 진척도 어때?",
                "{topic} 작업은 약 {pct}% 진행되었습니다. 담당은 {person}님입니다.",
            ),
            (
                "주간 보고서 초안 만들어줘",
                "주간 보고서 초안을 만들었습니다. 주요 성과는 {topic} 일정 준수입니다.",
            ),
            (
                "지연된 업무 있어?",
                "{topic} 작업이 {day}까지 밀렸습니다. {person}님이 확인 중입니다.",
            ),
            (
                "{person}님 이번 주 업무 알려줘",
                "{person}님은 이번 주 {topic} 관련 업무 {n}건을 맡고 있습니다.",
            ),
            (
                "스프린트 회고 자료 정리해줘",
                "이번 스프린트 완료율은 {pct}%입니다. 잘된 점과 아쉬운 점을 정리했습니다.",
            ),
            (
                "오늘 스탠드업 요약해줘",
                "오늘 스탠드업: {topic} 진행 중, 막힌 일 1건, 공유 사항 {n}건.",
            ),
        ],
        "en": [
            (
                "Weekly status for the team?",
                "{n} done, 3 in progress, the {topic} is waiting on review.",
            ),
            ("How far along is the {topic}?", "About {pct}% done; {person} owns it."),
            ("Draft the weekly report", "Drafted. Highlight: the {topic} is on schedule."),
            ("Anything overdue?", "The {topic} slipped to {day}; {person} is on it."),
            ("Summarize today's standup", "Standup: {topic} in progress, 1 blocker, {n} updates."),
        ],
    },
}
INTENTS = list(TEMPLATES)
INTENT_WEIGHTS = [5, 3, 2, 1, 4, 2]  # schedule and small talk dominate real traffic
STAY_ON_INTENT = 0.8  # a thread mostly keeps to its first intent
LOW_CONFIDENCE_SHARE = 0.12  # turns the bot was unsure of (confidence below 0.5)


def demo_turns(
    *,
    n: int,
    robeing_ids: Sequence[str],
    users: Sequence[DemoUser],
    seed: int,
    now: dt.datetime | None = None,
) -> Iterator[tuple]:
    """Yield `n` turns as tuples in COLUMNS order (metadata as a dict).

    Conversations of 1-6 turns, each in one robeing, channel and language,
    threaded or not, starting at some time in the last DAYS_BACK days. Every
    column is a function of `seed` (and `now`) except event_id, which is a
    fresh uuid4 so that a second run with the same seed adds turns instead of
    colliding with the first run's.
    """
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC)
    produced = 0
    while produced < n:
        length = min(rng.randint(1, 6), n - produced)
        yield from _conversation(rng, length, robeing_ids, users, now)
        produced += length


def _conversation(
    rng: random.Random,
    length: int,
    robeing_ids: Sequence[str],
    users: Sequence[DemoUser],
    now: dt.datetime,
) -> Iterator[tuple]:
    robeing_id = rng.choice(robeing_ids)
    channel_id, channel_type = rng.choice(CHANNELS)
    user_id, slack_user_id, lang = _speaker(rng, users)
    slots = {name: rng.choice(values) for name, values in SLOTS[lang].items()}
    micros = _start_micros(rng, now)
    # Slack's thread_ts is the ts of the thread's first message.
    threaded = length > 1 and rng.random() < THREADED[channel_type]
    thread_ts = _slack_ts(micros) if threaded else ""
    intent = rng.choices(INTENTS, INTENT_WEIGHTS)[0]
    for _ in range(length):
        slots.update(
            n=rng.randint(2, 9), mins=rng.choice((15, 30, 45)), pct=rng.randrange(20, 95, 5)
        )
        message, response = rng.choice(TEMPLATES[intent][lang])
        at = EPOCH + dt.timedelta(microseconds=micros)
        yield (
            robeing_id, channel_id, channel_type, thread_ts,
            message.format_map(slots), response.format_map(slots), intent,
            _confidence(rng), at, user_id, slack_user_id,
            f"demo-{uuid.uuid4().hex}",
            {"slack_ts": _slack_ts(micros), "source": "demo"},
            at + dt.timedelta(seconds=2),  # the bot logs the turn after answering
        )  # fmt: skip
        micros += rng.randint(20, 600) * 1_000_000 + rng.randrange(1_000_000)
        if rng.random() > STAY_ON_INTENT:
            intent = rng.choices(INTENTS, INTENT_WEIGHTS)[0]


def _confidence(rng: random.Random) -> float:
    # Mostly sure, sometimes not: the dashboard and the review inbox have
    # low-confidence turns to show.
    if rng.random() < LOW_CONFIDENCE_SHARE:
        return round(rng.uniform(0.05, 0.49), 2)
    return round(rng.uniform(0.5, 0.99), 2)


def _speaker(rng: random.Random, users: Sequence[DemoUser]) -> tuple[uuid.UUID | None, str, str]:
    if not users or rng.random() < GUEST_SHARE:
        return None, rng.choice(GUESTS), rng.choice(("ko", "ko", "en"))
    user = rng.choice(users)
    return user.user_id, user.slack_user_id, user.lang


def _start_micros(rng: random.Random, now: dt.datetime) -> int:
    """A conversation start in the last DAYS_BACK days at a plausible Seoul hour,
    early enough that its later turns (an hour at most) are not in the future."""
    day = (now - dt.timedelta(days=rng.randrange(DAYS_BACK))).astimezone(SEOUL)
    start = day.replace(hour=rng.choice(HOURS), minute=rng.randrange(60), second=rng.randrange(60))
    start = start.replace(microsecond=rng.randrange(1_000_000))
    if start > now - dt.timedelta(hours=2):  # today, but a later hour than now
        start -= dt.timedelta(days=1)
    return (start - EPOCH) // dt.timedelta(microseconds=1)


def _slack_ts(micros: int) -> str:
    # Exact "seconds.micros", as Slack writes it; float formatting can round.
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
