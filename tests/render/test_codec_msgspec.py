"""The fast JSON codec (msgspec) reads and writes exactly what the json module did.

The reference here is the json module used as smscli used it before: ``json.loads`` of the
body, then compact ``json`` encoding with UTF-8 text and a \\u-escaped fallback for a lone
surrogate. Values are generated (hypothesis), then sent through a real emulator and the CLI.
"""

from __future__ import annotations

import json
import math
import urllib.request
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smscli.emulator import Emulator
from smscli.envelope import NOT_JSON, parse_json
from smscli.render.codec import compact_server_json


def reference_line(value: Any) -> str:
    """A message line as smscli wrote it with the json module alone."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text


def reference_parse(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return NOT_JSON


def same_value(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down (1 is not 1.0; NaN equals NaN)."""
    if isinstance(a, float) or isinstance(b, float):
        return (isinstance(a, float) and isinstance(b, float)
                and (a == b or (math.isnan(a) and math.isnan(b)))
                and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same_value, a, b))
    return bool(a == b)


# Floats where codecs disagree: small and large exponents, subnormals, NaN and infinities.
floats = st.one_of(st.floats(), st.sampled_from([1e-7, 2.5e-05, 1e16, 1e22, -0.0, 5e-324,
                                                 1.7976931348623157e308, 0.1, 1e-4]))
integers = st.one_of(st.integers(), st.integers(min_value=2**62, max_value=2**80),
                     st.integers(min_value=-(2**80), max_value=-(2**62)))
text = st.one_of(st.text(), st.text(st.characters(min_codepoint=0, max_codepoint=0x3000)),
                 st.sampled_from(["\ud800", "a\udfffb", "\x00\x1f\x7f\u2028", "é😀\u200d"]))
values = st.recursive(st.none() | st.booleans() | integers | floats | text,
                      lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(text, inner, max_size=4), max_leaves=20)


def encodings(value: Any) -> list[bytes]:
    """The ways a server may write one value: ASCII-escaped, UTF-8, spaced out."""
    out = [json.dumps(value).encode(),
           json.dumps(value, indent=1, separators=(", ", " : ")).encode()]
    out.append(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return out


# 150 drawn values a run (400 before), besides the values where codecs disagree, together:
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
@example([1e-7, 2.5e-05, 1e16, 1e22, -0.0, 5e-324, 1.7976931348623157e308, 0.1, 1e-4,
          float("nan"), float("inf"), float("-inf"), 2**64, -(2**63) - 1, 2**80, -(2**80)])
@example({"\ud800": "a\udfffb", "": ["\x00\x1f\x7f\u2028", "é😀\u200d", None, True],
          "n": {"deep": [[[{"x": [1, 1.0, False]}]]]}})
@pytest.mark.slow
def test_parse_and_write_match_the_json_module(value: Any) -> None:
    for content in encodings(value):
        expected = reference_parse(content)
        got = parse_json(content)
        if expected is NOT_JSON:
            assert got is NOT_JSON, content
            continue
        assert same_value(got, expected), content
        assert compact_server_json(got) == reference_line(expected), content


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40) | st.text(max_size=40).map(lambda t: t.encode("utf-8",
                                                                           "surrogatepass")))
def test_what_json_refuses_is_refused(content: bytes) -> None:
    expected, got = reference_parse(content), parse_json(content)
    assert (got is NOT_JSON) == (expected is NOT_JSON), content
    if got is not NOT_JSON:
        assert same_value(got, expected), content


@pytest.mark.parametrize("content", [
    b'{"text":"\\ud800 alone","index":1}',      # lone surrogate: msgspec refuses it
    b'{"text":"\xed\xa0\x80","index":2}',        # the same as raw (CESU) bytes
    b'[NaN,Infinity,-Infinity]',                  # not JSON, but json accepts it
    b'\xef\xbb\xbf{"a":1}',                       # a byte order mark
    '{"a":"\u00e9"}'.encode("utf-16"),            # UTF-16, which json.loads detects
    b'[1e-07,1e16,1e400,18446744073709551616,-9223372036854775809]',
    b'[' * 100_000 + b']' * 100_000,              # deeper than either decoder goes
])
def test_the_fallbacks_give_todays_values_and_bytes(content: bytes) -> None:
    expected, got = reference_parse(content), parse_json(content)
    assert (got is NOT_JSON) == (expected is NOT_JSON)
    if got is not NOT_JSON:
        assert same_value(got, expected)
        assert compact_server_json(got) == reference_line(expected)


def test_a_lone_surrogate_is_written_escaped_as_before() -> None:
    line = compact_server_json(parse_json(b'{"text":"\\ud800 \\u00e9","n":1.5e-07}'))
    assert line == '{"text":"\\ud800 \\u00e9","n":1.5e-07}'
    assert compact_server_json(parse_json(b'{"text":"\\u00e9"}')) == '{"text":"\u00e9"}'


def server_lines(emu: Emulator, session_id: str) -> list[str]:
    """What smscli wrote before for a transcript: the whole of it from ``count=0``, each
    message re-encoded by the json module."""
    url = f"{emu.url}/api/v2/me/smssessions/{session_id}/messages?count=0"
    request = urllib.request.Request(url, headers={"Authorization": "Basic ZGVtbzpkZW1v"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # loopback only
        messages = json.loads(answer.read())["messages"]
    return [reference_line(m) for m in messages]


@pytest.mark.parametrize("scenario", ["demo", "hostile"])
def test_dumps_are_byte_identical_to_the_json_module(cli, scenario: str) -> None:
    with Emulator(users={"demo": "demo"}, seed=7, traffic_rate=0.0,
                  scenario=scenario) as emu:
        server = ["--server", emu.url, "--user", "demo"]
        env = {"SMSCLI_PASSWORD": "demo"}
        sessions = cli(*server, "sessions", "list", "-q", env=env).stdout.split()
        assert len(sessions) >= 5
        compared = 0
        for session_id in sessions:
            expected = server_lines(emu, session_id)
            ndjson = cli(*server, "messages", session_id, "-o", "ndjson", env=env)
            if ndjson.code != 0:
                continue  # a session the hostile scenario makes unreadable on purpose
            assert ndjson.stdout == "".join(line + "\n" for line in expected), session_id
            as_json = cli(*server, "messages", session_id, "-o", "json", env=env).stdout
            assert as_json == ("[\n" + ",\n".join(expected) + "\n]\n" if expected else "[]\n")
            compared += 1
        assert compared >= len(sessions) // 2


def test_plain_non_finite_floats_are_never_written_as_null() -> None:
    """Values not made by parse_json (plain floats) keep inf and nan, as json writes them."""
    from smscli.render.codec import compact_json, compact_server_json

    for value in ([float("inf")], {"a": [None, float("-inf")]}, [float("nan"), None]):
        assert compact_server_json(value) == compact_json(value)
    assert compact_server_json({"a": None, "b": 1.5}) == '{"a":null,"b":1.5}'
