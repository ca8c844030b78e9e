"""How a user message becomes a "frequent question": the same question asked
with other capitals, spacing or punctuation counts as one."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# The masker's placeholders ([EMAIL], [PHONE], [RRN], [CARD], [SECRET]) stay
# as they are: "[PHONE]로 연락 주세요" is one question whatever the number was.
_PLACEHOLDER = re.compile(r"(\[(?:EMAIL|PHONE|RRN|CARD|SECRET)\])")
_SPACES = re.compile(r"\s+")
TEXT_MAX_CHARS = 300  # what the dashboard shows of a question


def question_normalise(message: str) -> str:
    """Lower case, punctuation and symbols to spaces, runs of white space to
    one, placeholders kept; "" for a message with nothing left."""
    parts = _PLACEHOLDER.split(message)
    # split() with a group alternates text and placeholders: odd indexes are
    # placeholders.
    folded = [part if i % 2 else _fold(part) for i, part in enumerate(parts)]
    return _SPACES.sub(" ", "".join(folded)).strip()


# Anything that is neither a letter or digit (any script) nor white space:
# punctuation, symbols, emoji. One regex pass: this runs for every turn the
# aggregation counts.
_NOT_WORD = re.compile(r"[^\w\s]|_")


def _fold(text: str) -> str:
    # Apostrophes join a word ("how's"); str.replace is ten times faster than
    # str.translate here.
    text = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("\u2019", "")
    return _NOT_WORD.sub(" ", text)


def question_key(normalised: str) -> str:
    return hashlib.sha1(normalised.encode(), usedforsecurity=False).hexdigest()
