"""JSON text for the machine formats: every byte the json, ndjson and archive writers write.

``compact_json`` is the reference (the json module's bytes); ``compact_server_json`` and
``lines_server`` write the same bytes for what envelope.parse_json decoded, through msgspec,
about ten times faster; ``dumps_json`` is the indented form. docs/architecture.md ("Output").
"""

from __future__ import annotations

import json
import re
from typing import Any

from smscli.envelope import JsonFloat

_SURROGATE = re.compile("[\ud800-\udfff]")

# One encoder, built once: json.dumps with options builds a new one per call.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_COMPACT_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))
_encode: Any = None  # msgspec's Encoder, built on first use (never for --help)


def compact_json(value: Any) -> str:
    """Compact JSON as the json module writes it: the reference for every byte written."""
    text = _COMPACT.encode(value)
    if _SURROGATE.search(text):
        text = _COMPACT_ASCII.encode(value)  # a lone surrogate cannot be written as UTF-8
    return text


def _float_as_json(value: Any) -> Any:
    import msgspec

    if isinstance(value, JsonFloat):
        return msgspec.Raw(_COMPACT.encode(value).encode())  # 1e-07, 1e+16, NaN as json has it
    raise TypeError(type(value).__name__)


def compact_server_json(value: Any) -> str:
    """A value decoded by envelope.parse_json (a message, a record of the server's), as
    ``compact_json`` writes it, about ten times faster.

    msgspec writes key order, UTF-8 text, escapes and integers as json does; its floats
    differ, but every float parse_json makes is a JsonFloat, which goes through
    ``_float_as_json``. A lone surrogate (not encodable as UTF-8) makes msgspec refuse the
    value: json then writes it \\u-escaped, as before. A plain float (made by code, never by
    parse_json) would be written in msgspec's form: values made here go to ``compact_json``.
    """
    try:
        data = (_encode or _encoder()).encode(value)
    except (TypeError, ValueError, UnicodeEncodeError, OverflowError):
        return compact_json(value)
    text = data.decode()
    # msgspec writes a plain float that is not finite (made in-process, not by parse_json) as
    # null, json as Infinity or NaN: then json writes the line. (Searched in the text: about
    # twice as fast as in the bytes; the walk only when a null is there at all.)
    if "null" in text and _has_nonfinite(value):
        return compact_json(value)
    return text


def _encoder() -> Any:
    global _encode
    import msgspec

    _encode = msgspec.json.Encoder(enc_hook=_float_as_json)
    return _encode


def lines_server(values: list[Any]) -> str:
    """``compact_server_json`` of each value, each followed by a newline: one msgspec call for the
    lot (``encode_lines``), about half the cost of a call a value. Should msgspec refuse one
    of them, or a null hint at a plain float that is not finite, each value is written on its
    own, as ``compact_server_json`` writes it."""
    try:
        text = (_encode or _encoder()).encode_lines(values).decode()
    except (TypeError, ValueError, UnicodeEncodeError, OverflowError):
        text = None
    if text is None or ("null" in text and any(map(_has_nonfinite, values))):
        text = "".join([compact_server_json(value) + "\n" for value in values])
    return text


def _has_nonfinite(value: Any) -> bool:
    """Whether a float that is infinite or not a number sits anywhere in the value."""
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return any(_has_nonfinite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nonfinite(v) for v in value)
    return False


def dumps_json(value: Any, **options: Any) -> str:
    """JSON with text as it is; a lone surrogate (not encodable as UTF-8) stays \\u-escaped."""
    text = json.dumps(value, ensure_ascii=False, **options)
    if _SURROGATE.search(text):
        text = json.dumps(value, ensure_ascii=True, **options)
    return text
