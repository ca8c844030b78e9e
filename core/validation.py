"""What a value must be to reach PostgreSQL and come back as JSON unchanged.

One rule per kind of value, used by every schema at the edge, so that a class
of bad input is refused everywhere at once instead of endpoint by endpoint.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StrictInt

# jsonb keeps a number as an exact decimal and hands back an integral one as
# an integer: 1e30 goes in as a float and comes out as 10**30, which no 64-bit
# JSON encoder writes (orjson refuses it). Below 2**63 in magnitude every
# number comes back as the float or the int64 it was.
JSON_NUMBER_LIMIT = 2**63


# Times a turn or a filter can name. Python's own range (years 1-9999) is not
# enough: 0001-01-01T00:00+14:00 is a valid datetime that has no UTC value.
EARLIEST_MOMENT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST_MOMENT = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def storable_moment(value: dt.datetime) -> dt.datetime:
    """The moment in UTC, if it lies in 1970-2099 (UTC); else ValueError."""
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_MOMENT <= utc < LATEST_MOMENT:
        raise ValueError("must be between 1970-01-01 and 2100-01-01 UTC")
    return utc


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _a_text_time(value: Any) -> Any:
    # pydantic reads 0, 1.5 and "0.5" as seconds since 1970; the schema (and
    # every bot) means an ISO 8601 text such as 2026-12-01T09:30:00+09:00.
    if isinstance(value, int | float) or (isinstance(value, str) and not _ISO_DATE.match(value)):
        raise ValueError(
            "must be an ISO 8601 time with a UTC offset, e.g. 2026-12-01T09:30:00+09:00"
        )
    return value


# An ISO 8601 time with a UTC offset that PostgreSQL and Python both hold.
Moment = Annotated[AwareDatetime, BeforeValidator(_a_text_time), AfterValidator(storable_moment)]


def _integral(value: Any) -> Any:
    # JSON Schema's "integer" is any number without a fraction: 3.0 is one.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A JSON integer: 3 or 3.0, never "3", true or 3.5.
Integer = Annotated[StrictInt, BeforeValidator(_integral)]


NUL_MESSAGE = "must not contain NUL (\\u0000) characters"


def reject_nul(value: str) -> str:
    """PostgreSQL text and jsonb cannot hold U+0000; say so at the edge."""
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


def storable_json(value: Any) -> None:
    """Raise ValueError naming the first part of a JSON document (parsed) that
    PostgreSQL's jsonb cannot store and hand back as it was: a NUL in a string
    or a key, or a number whose magnitude is 2**63 or more (or not finite)."""
    for path, leaf in _leaves(value):
        if isinstance(leaf, str):
            if "\x00" in leaf:
                raise ValueError(f"{_where(path)}{NUL_MESSAGE}")
        elif isinstance(leaf, int | float) and not isinstance(leaf, bool):
            if not math.isfinite(leaf) or abs(leaf) >= JSON_NUMBER_LIMIT:
                raise ValueError(
                    f"{_where(path)}is {leaf!r}: numbers must be finite and smaller than "
                    "2**63 in magnitude"
                )


def first_nul(value: Any) -> str | None:
    """The path of the first string (or key) in a parsed JSON document that
    holds a NUL, or None. One walk for every body, whatever its schema."""
    for path, leaf in _leaves(value):
        if isinstance(leaf, str) and "\x00" in leaf:
            return path or "non_field_errors"
    return None


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of a parsed JSON document and every key of its objects (a
    key as a string at its own path), depth first, with its path: `a.b[2]`."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            yield here, str(key)
            yield from _leaves(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _where(path: str) -> str:
    return f"{path} " if path else ""
