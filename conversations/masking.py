"""Mask personal and secret data in chat text before it is stored.

Every Slack message and bot response passes through ``mask_pii`` on the
ingestion hot path, and the original text must never reach the database.
Most texts contain nothing to mask, so the whole text is scanned only by
one secret regex, a substring test for "@" and one regex for digit runs;
the other detectors, including the expensive ``phonenumbers`` matcher, only
look at the stretch around an "@" or small windows around a run of seven
or more digits.

Detectors run in a fixed order, each on the output of the previous one:
secrets first (their digits must not look like phones or cards), then
e-mail, resident registration numbers (before cards and phones, since an
RRN is a 13-digit run), cards and finally phones. Placeholders contain no
digits, no "@" and nothing a detector accepts, so a later stage, or a
second call on already-masked text, can never match or count them again
(a property test checks that masking is idempotent).

Pure Python with no Django imports, so it can be tested on its own.
"""

from __future__ import annotations

import re
import string
from typing import NamedTuple

import phonenumbers

PLACEHOLDERS: dict[str, str] = {
    "secret": "[SECRET]",
    "email": "[EMAIL]",
    "rrn": "[RRN]",
    "card": "[CARD]",
    "phone": "[PHONE]",
}


class MaskResult(NamedTuple):
    text: str
    counts: dict[str, int]  # only types that were masked; {} if nothing


Span = tuple[int, int]

# --- regex speed -------------------------------------------------------------

# Python's re only skips quickly over uninteresting text (Hangul, spaces)
# when a pattern starts with a character set or when every branch of a
# top-level alternation starts with a plain literal. A leading \b, group,
# lookbehind or IGNORECASE flag turns that off and made the secret regex
# ~20x slower. So every pattern below starts with a literal or a set, and
# checks what comes before its first character with a two-character
# lookbehind placed right after it.


def _starting(firsts: str, rest: str) -> list[str]:
    """Branches ``<first><not right after a letter><rest>``, one per first char.

    The lookbehind keeps "task-..." from reading as an "sk-" key and
    "mytoken=" as a label. Digits may precede a keyword: they may be an RRN
    or phone number that a later stage turns into a placeholder, and the
    keyword must be treated alike before and after that (idempotence).

    List both cases in ``firsts`` (and use ``(?i:...)`` in ``rest``) for a
    case-insensitive keyword: IGNORECASE on the first letter would disable
    the fast scan described above.
    """
    return [f"{re.escape(c)}(?<![A-Za-z].){rest}" for c in firsts]


# --- secrets ----------------------------------------------------------------

# A value must not start with a placeholder: "token=[SECRET]" is already
# masked and must not be masked (and counted) again.
_NOT_PLACEHOLDER = "(?!" + "|".join(re.escape(p) for p in PLACEHOLDERS.values()) + ")"

# Characters of a bearer / API-key token (base64url, JWT dots, key prefixes).
_TOK = r"[A-Za-z0-9._~+/-]"
# A free-standing token after "Bearer" or "Api-Key" must look like one (8+
# chars with a digit, or 20+ chars), so that prose such as "a Bearer token"
# or "Api-Key authentication" is left alone.
_TOKEN = rf"{_NOT_PLACEHOLDER}(?:(?={_TOK}*[0-9]){_TOK}{{8,}}|{_TOK}{{20,}})=*"

# An assigned value runs up to whitespace, a quote, or a separator that
# cannot be part of a URL query value. Non-ASCII ends it too, so a Korean
# particle glued to the value ("hunter2입니다") is kept. Anything else,
# trailing punctuation included, is masked: over-masking a full stop is
# harmless, leaking the end of a password is not.
_VALUE = _NOT_PLACEHOLDER + "[^\\s\"'`<>,;&\u0080-\U0010ffff]+"
# "password=x", "token: x", JSON's "api_key": "x". The label must be followed
# directly by ":" or "=", so "max_tokens=4096" and "tokens: 1200" survive.
_ASSIGN = rf"[\"']?[ \t]*[:=][ \t]*[\"']?({_VALUE})"

# Branches that capture a group mask only that group (the token after
# "Bearer", the value after "password="), keeping the label readable.
# Branches without a group mask the whole match. No other group may capture.
_SECRET_RE = re.compile(
    "|".join(
        [
            # Slack bot/user/app tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-
            *_starting("x", r"(?:ox[abprs]|app)-[A-Za-z0-9-]{6,}"),
            # OpenAI sk-..., Stripe sk_live_/sk_test_/rk_live_; the length
            # keeps "sk-hynix" out.
            *_starting("s", r"k[-_][A-Za-z0-9_-]{16,}"),
            *_starting("r", r"k_(?:live|test)_[A-Za-z0-9_]{16,}"),
            # AWS access key ids (long-lived AKIA, temporary ASIA); digits may
            # follow for the same reason as in _starting.
            *_starting("A", r"(?:KIA|SIA)[0-9A-Z]{16}(?![A-Za-z])"),
            # GitHub tokens
            *_starting("g", r"(?:h[pousr]_[A-Za-z0-9]{20,}|ithub_pat_[A-Za-z0-9_]{20,})"),
            *_starting("Bb", rf"(?i:earer)\s+({_TOKEN})"),
            # "Api-Key <key>", the djangorestframework-api-key header scheme
            *_starting("Aa", rf"(?i:pi-key)[ \t]+({_TOKEN})"),
            # label=value assignments; a prefix such as SLACK_BOT_ or client_
            # is fine because "_" may precede the label.
            *_starting("Aa", rf"(?i:pi[_-]?key){_ASSIGN}"),
            *_starting("Tt", rf"(?i:oken){_ASSIGN}"),
            *_starting("Ss", rf"(?i:ecret){_ASSIGN}"),
            *_starting("Pp", rf"(?i:assw(?:or)?d|wd){_ASSIGN}"),
            # Korean labels need no word start: particles and words glue on.
            rf"비밀번호{_ASSIGN}",
            rf"패스워드{_ASSIGN}",
            # credentials in a URL: scheme://user:password@host
            rf"://[A-Za-z0-9._~%+-]+:({_NOT_PLACEHOLDER}[^\s/@]+)@",
        ]
    )
)


def _find_secrets(text: str) -> list[Span]:
    return [m.span(m.lastindex or 0) for m in _SECRET_RE.finditer(text)]


# --- e-mail -----------------------------------------------------------------

# ASCII only: Korean text is often glued to an address ("메일은hong@naver.com
# 으로"), and an ASCII-only local part and TLD keep those particles out.
_LOCAL_CHARS = string.ascii_letters + string.digits + "._%+-"
_LOCAL_CHAR = r"[A-Za-z0-9._%+-]"  # the same set, for the regexes
_EMAIL_BODY = (
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)
# A match may only start where a run of local-part characters starts, so
# the scan stays linear even in a long run without "@".
_EMAIL_RE = re.compile(rf"{_LOCAL_CHAR}(?<!{_LOCAL_CHAR}.){_LOCAL_CHAR}*{_EMAIL_BODY}")
# Used only right after a match: see _find_emails.
_EMAIL_NEXT_RE = re.compile(rf"{_LOCAL_CHAR}+{_EMAIL_BODY}")
_MAX_DOMAIN = 255  # RFC 5321


def _find_emails(text: str) -> list[Span]:
    # str.find is a C-speed scan; most messages have no "@" at all, and in a
    # long one only the stretch around the "@"s needs the regex.
    first = text.find("@")
    if first < 0:
        return []
    # Start where the run of local-part characters before it starts (rstrip
    # finds it at C speed): starting inside the run would miss the address.
    pos = len(text[:first].rstrip(_LOCAL_CHARS))
    end = text.rfind("@") + 1 + _MAX_DOMAIN
    spans: list[Span] = []
    while m := _EMAIL_RE.search(text, pos, end):
        spans.append(m.span())
        # An address glued to the end of another ("a@x.com010b@y.com")
        # starts mid-run, where _EMAIL_RE cannot start; a second call would
        # see it right after "[EMAIL]", so it must be found now.
        while m := _EMAIL_NEXT_RE.match(text, m.end(), end):
            spans.append(m.span())
        pos = spans[-1][1]
    return spans


# --- resident registration numbers -------------------------------------------

# YYMMDD, optional "-" or space, then a gender/century digit 1-8 and six
# digits. Month and day are checked in the regex itself, so that ordinary
# 13-digit runs are not taken for RRNs.
_RRN_RE = re.compile(
    r"[0-9](?<![0-9].)[0-9](?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"[- ]?[1-8][0-9]{6}(?![0-9])"
)


def _find_rrns(text: str) -> list[Span]:
    return [m.span() for m in _RRN_RE.finditer(text)]


# --- payment cards ----------------------------------------------------------

# 13-19 digits, either contiguous or in the usual groupings with a single
# consistent separator (4-4-4-4[-1..3], 4-4-4-1..4, Amex/Diners 4-6-4/5;
# the first digit is matched on its own, so the first group reads {3}).
# The first digit must be a card network's (2-6, or 9 for Korean domestic
# cards): millisecond timestamps and snowflake ids start with 1, and one in
# ten of them would pass Luhn by chance.
_CARD_RE = re.compile(
    r"""
    [2-69](?<![0-9].)
    (?:
        [0-9]{12,18}
      | [0-9]{3}(?P<s1>[ -])[0-9]{4}(?P=s1)[0-9]{4}(?P=s1)[0-9]{1,4}
        (?P<tail>(?P=s1)[0-9]{1,3})?
      | [0-9]{3}(?P<s2>[ -])[0-9]{6}(?P=s2)[0-9]{4,5}
    )
    (?![0-9])
    """,
    re.VERBOSE,
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48  # the regex only lets ASCII 0-9 through
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_span(m: re.Match[str]) -> Span | None:
    # Digit runs failing Luhn are not card numbers. A 1-3 digit group after
    # 4-4-4-4 may be the start of the next number ("4111 1111 1111 1111
    # 010-1234-5678"), so the 16 digits alone are checked as well.
    candidates = [m.span()]
    if m.group("tail"):
        candidates.append((m.start(), m.start("tail")))
    for start, end in candidates:
        if _luhn_ok(m.string[start:end].replace(" ", "").replace("-", "")):
            return start, end
    return None


def _find_cards(text: str) -> list[Span]:
    spans: list[Span] = []
    pos = 0
    while m := _CARD_RE.search(text, pos):
        if span := _card_span(m):
            spans.append(span)
            pos = span[1]
        else:
            # Not a card, but a card may start inside it: "010-1234-5678
            # 4111 1111 1111 1111" first offers "5678 4111 1111 1111".
            pos = m.start() + 1
    return spans


# --- phones -----------------------------------------------------------------

# Korean numbers the matcher can miss: it reads digit groups separated by
# single spaces as one long candidate, so "010 1234 5678 010 9876 5432"
# yields nothing and "+1 415-555-2671 02-123-4567" only the second number.
# Mobile numbers (01X) are matched with or without separators; landlines
# (known area codes and 070) only with them, as a bare 9-10 digit run is
# too often something else. Everything else is left to phonenumbers. Like
# phonenumbers, a number glued to a Latin letter or digit is not taken,
# except that "+82" may follow a digit: that digit may end a number masked
# just before, and a second call would see "[PHONE]+82 ...".
_KR_PHONE_RE = re.compile(
    r"""
    (?:\+82[ .-]?(?:\(0\)[ .-]?)?|(?<![0-9A-Za-z+])0)
    (?:
        1[016789][ .-]?[0-9]{3,4}[ .-]?[0-9]{4}
      | (?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)[ .-][0-9]{3,4}[ .-][0-9]{4}
    )
    (?![0-9A-Za-z])
    """,
    re.VERBOSE,
)
_PHONE_REGION = "KR"  # numbers without "+" are read as Korean


def _find_phones(text: str) -> list[Span]:
    # VALID leniency: the number must be a real, dialable number of its
    # region, which rejects dates, Slack ts values, amounts and order numbers.
    matcher = phonenumbers.PhoneNumberMatcher(
        text, _PHONE_REGION, leniency=phonenumbers.Leniency.VALID
    )
    return [(m.start, m.end) for m in matcher]


# The matcher costs 25-45 us per call, and a long text may hold hundreds of
# dates and ids. With region KR it only accepts a number written with "+",
# or starting with the trunk prefix 0 (00x for international calls), the
# country code 82 or a 15xx-19xx service number, so it is only called when
# such a start is followed by enough digits: "2025-08-18" ("08-18" is too
# short) never reaches it. A 0 after a dot still counts: "1.010-1234-5678".
# It starts with a set of first characters, for the fast scan (see above),
# and branches on that character with a lookbehind.
_PHONE_HINT_RE = re.compile(
    r"[+＋0０8８1１](?:"
    r"(?<=[+＋])"
    r"|(?<=[0０])(?<!\d.)(?:[\s\-.()/]{0,3}\d){5,}"
    r"|(?<=[8８])(?<!\d.)[2２](?:[\s\-.()/]{0,3}\d){5,}"
    r"|(?<=[1１])(?<!\d.)[5-9５-９](?:[\s\-.()/]{0,3}\d){6,}"
    r")"
)


def _mask_phones(text: str, counts: dict[str, int]) -> str:
    found = [m.span() for m in _KR_PHONE_RE.finditer(text)]
    text = _apply(text, "phone", found, counts)
    # The matcher may find only the last of several numbers in a row and
    # the others once that one is masked; repeat so that masking the result
    # again finds nothing. Usually no hint is left and it never runs.
    while _PHONE_HINT_RE.search(text):
        found = _find_phones(text)
        if not found:
            break
        text = _apply(text, "phone", found, counts)
    return text


# --- numbers: where to look --------------------------------------------------

# RRNs, cards and phones all contain seven or more digits, with at most a
# few separators between them ("+82 (0)10-1234-5678", "010 - 1234 - 5678").
# \d, not [0-9], because phonenumbers also understands full-width digits.
_DIGIT_RUN_RE = re.compile(r"\d(?:[\s\-.()/]{0,3}\d){6,}")

# Context kept around each digit run: phonenumbers rejects a candidate glued
# to a Latin letter ("rb01012345678") or followed by a time ("... 08:00"),
# so it must see the neighbouring characters.
_MARGIN = 16
_RRN_OR_CARD_MIN = 13  # digits, so at least as many characters
# A Slack message ts: epoch seconds (starting with 1, which a Korean number
# written with its leading 0 never does) and microseconds. Bot texts quote
# them often.
_SLACK_TS_RE = re.compile(r"1[0-9]{9}\.[0-9]{6}")


def _digit_windows(text: str) -> list[Span]:
    # Overlapping windows are merged, so no number is seen (or counted) twice.
    windows: list[Span] = []
    for m in _DIGIT_RUN_RE.finditer(text):
        start, end = m.span()
        # Dates and ids are common in long texts: skip a run too short for an
        # RRN or a card number in which no phone number can start. The "+"
        # of a number may sit before the run ("+ (82) ..."), so the hint is
        # looked for from the start of the window.
        if end - start < _RRN_OR_CARD_MIN and not _PHONE_HINT_RE.search(
            text, max(0, start - _MARGIN), end
        ):
            continue
        if _SLACK_TS_RE.fullmatch(text, start, end):
            continue  # 16 digits, but no separator an RRN or card may have
        start = _window_start(text, max(0, start - _MARGIN), start)
        end = _window_end(text, min(len(text), end + _MARGIN), end)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


# A window edge is moved off the middle of a word or number, so that the
# detectors never see half of one: "rb01" cut to "01", or a date cut to
# "0818", could otherwise look like the start of a number.
def _window_start(text: str, start: int, limit: int) -> int:
    while 0 < start < limit and text[start - 1].isalnum() and text[start].isalnum():
        start += 1
    return start


def _window_end(text: str, end: int, limit: int) -> int:
    while limit < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end -= 1
    return end


def _mask_numbers(text: str, counts: dict[str, int]) -> str:
    # The numeric detectors only see small windows around digit runs: one
    # regex scan finds them, instead of several scans of a 40,000-character
    # text, and PhoneNumberMatcher costs ~30 us on a window but ~1 ms on a
    # long text. A digit run only partly inside a window is one that was
    # skipped: it holds no RRN, card or phone number.
    parts = []
    pos = 0
    for start, end in _digit_windows(text):
        window = text[start:end]
        # In order: an RRN is a 13-digit run that must not be read as a
        # card, and a card's groups must not be read as phone numbers.
        chunk = _apply(window, "rrn", _find_rrns(window), counts)
        chunk = _apply(chunk, "card", _find_cards(chunk), counts)
        chunk = _mask_phones(chunk, counts)
        if chunk is not window:
            parts += (text[pos:start], chunk)
            pos = end
    if not parts:
        return text  # nothing masked: keep the same object
    parts.append(text[pos:])
    return "".join(parts)


# --- driver -----------------------------------------------------------------


def _replace_spans(text: str, spans: list[Span], placeholder: str) -> tuple[str, int]:
    # Build the output from the original pieces between the (sorted) spans,
    # so the masked text is never searched again within the same stage.
    parts = []
    pos = 0
    for start, end in spans:
        if start < pos:  # an overlapping span is already masked: skip it
            continue
        parts += (text[pos:start], placeholder)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), len(parts) // 2


def _apply(text: str, kind: str, spans: list[Span], counts: dict[str, int]) -> str:
    if not spans:
        return text  # unchanged: keep the same object, no new string
    text, n = _replace_spans(text, spans, PLACEHOLDERS[kind])
    counts[kind] = counts.get(kind, 0) + n
    return text


def mask_pii(text: str) -> MaskResult:
    """Return ``text`` with secrets and personal data replaced by placeholders.

    ``counts`` holds how many of each type were masked. When nothing is
    found, the very same string object is returned with an empty dict.
    """
    counts: dict[str, int] = {}
    if not text:
        return MaskResult(text, counts)
    # Secrets first: their digits must not be read as phones or cards.
    text = _apply(text, "secret", _find_secrets(text), counts)
    text = _apply(text, "email", _find_emails(text), counts)
    text = _mask_numbers(text, counts)
    return MaskResult(text, counts)
