"""-o plain decides whether a line needs escaping with a quick check for ASCII lines
(render/plain.py, PlainStream); the line is still each field escaped on its own."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smscli.render import Output, TimeFormat, make_renderer
from smscli.safety import escape_plain_field

# Every ASCII character, controls, DEL, tab, newline and backslash included, and a few others
# that need escaping (C1, bidi, zero-width) or not (NBSP, emoji).
ascii_text = st.text(st.characters(max_codepoint=0x7F), max_size=12)
other_text = st.text(st.sampled_from("a \\\t\n\x1b\x7f\x85\u00a0\u202e\u200b😀"), max_size=6)
field = st.one_of(ascii_text, ascii_text, other_text)


def message(index: int, kind: str, nickname: str, sender_type: str, visibility: str,
            text: str) -> dict[str, Any]:
    return {"index": index, "type": kind, "visibility": visibility, "text": text,
            "from": {"type": sender_type, "nickname": nickname},
            "timestamp": "2026-01-20 14:24:10.000+0000"}


def reference(raw: dict[str, Any]) -> str:
    fields = (str(raw["index"]), "2026-01-20T14:24:10.000+00:00", raw["from"]["type"],
              raw["from"]["nickname"], raw["type"], raw["visibility"], raw["text"])
    return "\t".join(escape_plain_field(f) for f in fields) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.builds(message, st.integers(1, 10**6), field, field, field, field, field),
                max_size=5))
@pytest.mark.slow
def test_plain_lines_are_the_fields_escaped_one_by_one(messages: list[dict[str, Any]]) -> None:
    out = io.StringIO()
    options = Output("plain", False, TimeFormat(None))
    make_renderer(options, out).transcript(iter(messages))
    assert out.getvalue() == "".join(reference(raw) for raw in messages)


def test_each_character_that_needs_escaping_in_ascii_is_escaped() -> None:
    for code in [*range(0x20), 0x5C, 0x7F]:
        raw = message(1, "Text", "n", "Agent", "All", f"a{chr(code)}b")
        out = io.StringIO()
        make_renderer(Output("plain", False, TimeFormat(None)), out).transcript([raw])
        body = out.getvalue().rstrip("\n").split("\t")[-1]
        assert body != f"a{chr(code)}b" and body == escape_plain_field(f"a{chr(code)}b"), code
