"""ndjson and json dumps encode messages a batch at a time and write the bytes the json module
wrote one message at a time, whatever a batch holds (render/codec.py, ``lines_server``)."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smscli.envelope import parse_json
from smscli.render.machine import JsonArrayStream, NdjsonStream
from smscli.render.streams import write_all


def reference_line(value: Any) -> str:
    """A message line as smscli wrote it with the json module alone, one message a call."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text


text = st.one_of(st.text(), st.sampled_from(["\ud800", "a\udfffb", "\x00\x1f\x7f\u2028"]))
values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | text,
                      lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(text, inner, max_size=4), max_leaves=12)

# Values msgspec refuses or writes otherwise, to be mixed into batches of usual messages.
AWKWARD = [
    parse_json(b'{"text":"\\ud800 alone","index":1}'),  # a lone surrogate
    parse_json(b'{"n":1e-07,"m":1e16,"k":[NaN,Infinity]}'),  # floats json writes its way
    {"plain": float("inf"), "none": None},  # made in-process: json writes Infinity
    [float("nan"), None],
    {"big": 2**80, "text": "\x00\x1f\x7f\u2028 é😀", "nested": {"a": [1, {"b": None}]}},
]
USUAL = parse_json(b'{"index":7,"type":"Text","from":{"type":"Agent","nickname":"A"},'
                   b'"text":"hello \\"there\\"\\n","timestampSeconds":1700000000000}')

# As a server sends them: every float read by parse_json (a JsonFloat), as in a dump.
from_server = values.map(lambda value: parse_json(json.dumps(value).encode()))
messages = st.lists(st.one_of(from_server, st.sampled_from(AWKWARD), st.just(USUAL)),
                    max_size=40)


def ndjson_of(items: list[Any]) -> str:
    out = io.StringIO()
    stream = NdjsonStream(out)
    stream.BATCH = 7  # batches end mid-transcript, awkward values inside and across them
    write_all(stream, items)
    return out.getvalue()


def json_of(items: list[Any]) -> str:
    out = io.StringIO()
    stream = JsonArrayStream(out)
    stream.BATCH = 7
    write_all(stream, items)
    return out.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_batches_write_what_one_message_at_a_time_wrote(items: list[Any]) -> None:
    expected = [reference_line(item) for item in items]
    assert ndjson_of(items) == "".join(line + "\n" for line in expected)
    assert json_of(items) == ("[\n" + ",\n".join(expected) + "\n]\n" if expected else "[]\n")


def test_one_refused_value_does_not_change_its_neighbours() -> None:
    items = [USUAL] * 10 + [AWKWARD[0]] + [USUAL] * 10
    lines = ndjson_of(items).splitlines()
    assert len(lines) == 21
    assert lines[10] == '{"text":"\\ud800 alone","index":1}'
    assert set(lines[:10] + lines[11:]) == {reference_line(USUAL)}


def test_a_live_stream_writes_each_message_at_once() -> None:
    out = io.StringIO()
    stream = NdjsonStream(out, live=True)
    stream.message(USUAL)
    assert out.getvalue() == reference_line(USUAL) + "\n"
    stream.message(AWKWARD[2])
    assert out.getvalue().splitlines()[1] == '{"plain":Infinity,"none":null}'
