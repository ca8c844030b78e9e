"""Mask personal and secret data in chat text before it is stored.

Every Slack message and bot response passes through ``mask_pii`` on the
ingestion hot path, and the original text must never reach the database.
Most texts contain nothing to mask, so each detector sits behind a cheap
pre-filter (a substring test or one compiled regex) and the expensive
``phonenumbers`` matcher only runs on small windows around digit runs that
could be phone numbers.

Detectors run in a fixed order, each on the output of the previous one:
secrets first (their digits must not look like phones or cards), then
e-mail, resident registration numbers (before cards and phones, since an
RRN is a 13-digit run), cards and finally phones. Placeholders contain no
digits, no ``@`` and nothing a detector accepts, so a later stage, or a
second call on already-masked text, can never match or count them again.

Pure Python with no Django imports, so it can be tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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

# --- secrets ----------------------------------------------------------------

# A value must not start with a placeholder: "token=[SECRET]" is already
# masked and must not be masked (and counted) again.
_NOT_PLACEHOLDER = "(?!" + "|".join(re.escape(p) for p in PLACEHOLDERS.values()) + ")"

# Characters of a bearer / API-key token (base64url, JWT dots, prefix dots).
_TOK = r"[A-Za-z0-9._~+/-]"
# A free-standing token after "Bearer" or "Api-Key" must look like a token
# (8+ chars with a digit, or 20+ chars) so prose such as "a Bearer token" or
# "Api-Key authentication" is left alone.
_TOKEN = rf"{_NOT_PLACEHOLDER}(?:(?={_TOK}*[0-9]){_TOK}{{8,}}|{_TOK}{{20,}})=*"

# An assigned value runs to whitespace, a quote, or a separator that cannot
# be part of an URL query value. Non-ASCII stops it, so a Korean particle
# glued to the value ("hunter2입니다") is kept. The rest (including
# trailing punctuation) is masked: over-masking a full stop is harmless,
# leaking the end of a password is not.
_VALUE = _NOT_PLACEHOLDER + "[^\\s\"'`<>,;&\u0080-\U0010ffff]+"

# Labels whose value is a secret. Up to three "word_" / "word-" prefixes
# allow SLACK_BOT_TOKEN=, client_secret=, x-api-key: ... while the bound on
# the prefix keeps the scan linear. "max_tokens=4096" does not match
# because the label must be followed directly by ":" or "=".
_LABEL = (
    r"(?i:\b(?:[a-z0-9]+[_-]){0,3}?"
    r"(?:api[_-]?key|token|secret|passw(?:or)?d|pwd))"
    r"|비밀번호|패스워드"
)

_SECRET_RE = re.compile(
    rf"""
      \b(?P<slack>(?:xox[abprs]|xapp)-[A-Za-z0-9-]{{6,}})
    | \b(?P<sk>(?:sk[-_]|rk_(?:live|test)_)[A-Za-z0-9_-]{{16,}})
    | \b(?P<aws>(?:AKIA|ASIA)[0-9A-Z]{{16}})\b
    | \b(?P<github>gh[pousr]_[A-Za-z0-9]{{20,}}|github_pat_[A-Za-z0-9_]{{20,}})
    | (?i:\bbearer)\s+(?P<bearer>{_TOKEN})
    | (?i:\bapi-key)[ \t]+(?P<apikey>{_TOKEN})
    | (?:{_LABEL})["']?[ \t]*[:=][ \t]*["']?(?P<value>{_VALUE})
    | ://[^\s/:@]+:(?P<urlpass>{_NOT_PLACEHOLDER}[^\s/@]+)@
    """,
    re.VERBOSE,
)


def _find_secrets(text: str) -> list[Span]:
    # Each branch has exactly one named group: the part to mask. Labels such
    # as "Bearer" or "password=" stay readable outside that group.
    return [m.span(m.lastgroup) for m in _SECRET_RE.finditer(text) if m.lastgroup]


# --- e-mail -----------------------------------------------------------------

# ASCII only: Korean text is often glued to an address ("메일은hong@naver.com
# 으로"), and an ASCII-only local part and TLD keep those particles out.
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)


def _find_emails(text: str) -> list[Span]:
    if "@" not in text:  # a C-speed scan; most messages have no "@"
        return []
    return [m.span() for m in _EMAIL_RE.finditer(text)]


# --- resident registration numbers -------------------------------------------

# YYMMDD, optional "-" or space, then a gender/century digit 1-8 and six
# digits. Month and day are checked in the regex itself so that ordinary
# 13-digit runs are not taken for RRNs.
_RRN_RE = re.compile(
    r"(?<![0-9])[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"[- ]?[1-8][0-9]{6}(?![0-9])"
)


def _find_rrns(text: str) -> list[Span]:
    return [m.span() for m in _RRN_RE.finditer(text)]


# --- payment cards ----------------------------------------------------------

# 13-19 digits, either contiguous or in the usual groupings with one
# consistent separator (4-4-4-4[-1..3], 4-4-4-1..4, Amex/Diners 4-6-4/5).
# The first digit must be a card network's (2-6, or 9 for Korean domestic
# cards): millisecond timestamps and snowflake ids start with 1, and one in
# ten of them would otherwise pass Luhn by chance.
_CARD_RE = re.compile(
    r"""
    (?<![0-9])(?=[2-69])
    (?:
        [0-9]{13,19}
      | [0-9]{4}(?P<s1>[ -])[0-9]{4}(?P=s1)[0-9]{4}(?P=s1)[0-9]{1,4}
        (?:(?P=s1)[0-9]{1,3})?
      | [0-9]{4}(?P<s2>[ -])[0-9]{6}(?P=s2)[0-9]{4,5}
    )
    (?![0-9])
    """,
    re.VERBOSE,
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48  # regex guarantees ASCII 0-9
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _find_cards(text: str) -> list[Span]:
    spans = []
    for m in _CARD_RE.finditer(text):
        digits = m.group().replace(" ", "").replace("-", "")
        if _luhn_ok(digits):  # unchecked digit runs are not card numbers
            spans.append(m.span())
    return spans


# --- phones -----------------------------------------------------------------

# Cheap gate: seven or more digits, allowing up to three separator
# characters between them ("+82 (0)10-1234-5678", "010 - 1234 - 5678").
# \d, not [0-9], because phonenumbers also understands full-width digits.
_DIGIT_RUN_RE = re.compile(r"\d(?:[\s\-.()/]{0,3}\d){6,}")

# Context kept around each digit run: phonenumbers rejects a candidate glued
# to a Latin letter ("rb01012345678") or followed by a time ("... 08:00"),
# so it must see the neighbouring characters.
_PHONE_MARGIN = 16
_PHONE_REGION = "KR"  # numbers without "+" are read as Korean


def _phone_windows(text: str) -> list[Span]:
    # Merge overlapping windows so no number is matched (and counted) twice.
    windows: list[Span] = []
    for m in _DIGIT_RUN_RE.finditer(text):
        start = max(0, m.start() - _PHONE_MARGIN)
        end = min(len(text), m.end() + _PHONE_MARGIN)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _find_phones(text: str) -> list[Span]:
    # The matcher costs ~1 ms on 40,000 characters but ~30 us on a small
    # window, so it only sees windows around plausible digit runs.
    spans = []
    for start, end in _phone_windows(text):
        matcher = phonenumbers.PhoneNumberMatcher(
            text[start:end], _PHONE_REGION, leniency=phonenumbers.Leniency.VALID
        )
        spans.extend((start + m.start, start + m.end) for m in matcher)
    return spans


# --- driver -----------------------------------------------------------------

_NUMERIC_DETECTORS: tuple[tuple[str, Callable[[str], list[Span]]], ...] = (
    ("rrn", _find_rrns),
    ("card", _find_cards),
    ("phone", _find_phones),
)


def _replace_spans(text: str, spans: list[Span], placeholder: str) -> tuple[str, int]:
    # Build the output from the original pieces between the (sorted) spans,
    # so the masked text is never searched again within the same stage.
    parts = []
    pos = 0
    for start, end in spans:
        if start < pos:  # an overlapping span is already masked: skip it
            continue
        parts.append(text[pos:start])
        parts.append(placeholder)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), len(parts) // 2


def _apply(text: str, kind: str, spans: list[Span], counts: dict[str, int]) -> str:
    if not spans:
        return text  # unchanged: keep the same object, no new string
    text, counts[kind] = _replace_spans(text, spans, PLACEHOLDERS[kind])
    return text


def mask_pii(text: str) -> MaskResult:
    """Return ``text`` with secrets and personal data replaced by placeholders.

    ``counts`` holds how many of each type were masked. When nothing is
    found, the very same string object is returned with an empty dict.
    """
    counts: dict[str, int] = {}
    if not text:
        return MaskResult(text, counts)
    text = _apply(text, "secret", _find_secrets(text), counts)
    text = _apply(text, "email", _find_emails(text), counts)
    # RRNs, cards and phones all need seven or more digits: one cheap scan
    # skips the three numeric detectors for most messages.
    if _DIGIT_RUN_RE.search(text):
        for kind, find in _NUMERIC_DETECTORS:
            text = _apply(text, kind, find(text), counts)
    return MaskResult(text, counts)
