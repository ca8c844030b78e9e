"""orjson parser and renderer for DRF.

Kept apart from core.api because DRF imports renderer and parser
classes while rest_framework.views is still being imported.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework import exceptions as drf_exceptions
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from core.errors import InvalidInput
from core.validation import NUL_MESSAGE, first_nul


def _orjson_default(obj: Any) -> Any:
    # Lazy translation strings and other str-likes that orjson does not know.
    if isinstance(obj, Promise):
        return str(obj)
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z


def dumps(obj: Any, *, option: int = 0, default: Any = None) -> bytes:
    """orjson.dumps that also writes what jsonb may hand back from rows stored
    before numbers were checked at the edge (core.validation): an integral
    number beyond 64 bits (a bot's 1e30 comes back as 10**30), which orjson
    refuses. Such an int is written as the float it was sent as, so one old
    turn cannot make a history page, an export or the archive run fail."""
    try:
        return orjson.dumps(obj, option=option, default=default)
    except orjson.JSONEncodeError as exc:
        if "64-bit" not in str(exc):
            raise
        return orjson.dumps(_big_ints_as_floats(obj), option=option, default=default)


def _big_ints_as_floats(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else float(value)
    if isinstance(value, dict):
        return {key: _big_ints_as_floats(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_big_ints_as_floats(item) for item in value]
    return value


class OrjsonRenderer(BaseRenderer):
    """orjson is several times faster than the stdlib encoder on the hot path."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        if data is None:
            return b""
        # UTC as "Z", as pydantic's JSON mode writes it, so that a datetime reads
        # the same whether a view hands it over raw or dumped by a schema.
        return dumps(data, default=_orjson_default, option=_OPTIONS)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _DuplicateKey(key)
    return document


# orjson (like the stdlib by default) keeps the last of two equal keys without
# a word; the stdlib decoder can see every pair of every object.
_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs)


def _refuse_duplicate_keys(raw: bytes) -> None:
    """A 400 naming the key when an object of the body has a key twice
    ({"message": "a", "message": "b"}): which one a bot meant is unknowable.
    The second parse costs about 3 µs for a turn."""
    try:
        _PAIRS_DECODER.decode(raw.decode())
    except _DuplicateKey as duplicate:
        raise InvalidInput.for_field(
            duplicate.key, "appears twice in one object", "duplicate_key"
        ) from None
    except RecursionError:
        # orjson takes up to 1,024 levels, Python's decoder fewer: no body needs either.
        raise InvalidInput.for_field(
            "non_field_errors", "The JSON is nested too deeply.", "too_deep"
        ) from None


class OrjsonParser(BaseParser):
    """Strict JSON: orjson rejects NaN/Infinity and invalid UTF-8 by itself."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise drf_exceptions.ParseError(f"Malformed JSON: {exc}") from exc
        # No string of any body reaches PostgreSQL with a NUL in it (text and
        # jsonb cannot hold one): refused here once, for every endpoint. JSON
        # can only write a NUL as \u0000, so a body without that text needs
        # no walk (the walk also clears an escaped backslash before "u0000").
        _refuse_duplicate_keys(raw)
        if b"\\u0000" in raw:
            field = first_nul(data)
            if field is not None:
                raise InvalidInput.for_field(field, NUL_MESSAGE, "nul_character")
        return data
