"""envelope.parse_json decodes with the cyclic garbage collector off and leaves it as it was.

The collector is switched off around msgspec's decode (docs/architecture.md, "Limits and
pacing" for why pages are large): these tests hold the promise that it always comes back on,
after a decode that worked, one msgspec refused (json.loads then answers) and one nobody
could read, and that a collector someone else switched off stays off.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import pytest

from smscli.envelope import NOT_JSON, JsonFloat, parse_json

PAGE = json.dumps({"statusCode": 0, "messages": [
    {"index": i, "type": "Text", "from": {"type": "Customer", "nickname": f"n{i % 7}"},
     "text": f"message {i} \u00e9", "score": i / 8}
    for i in range(1, 3001)]}).encode()

BODIES = {
    "msgspec decodes it": PAGE,
    "a lone surrogate: json.loads decodes it": b'{"messages":[{"text":"\\ud800 alone"}]}',
    "NaN: json.loads decodes it": b'{"value": NaN}',
    "not JSON at all": b"<html>proxy error</html>",
    "nested past any limit": b"[" * 100_000,
}


@pytest.fixture
def collector() -> Iterator[None]:
    """Whatever a test does to the collector, the next test finds it on."""
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("body", BODIES.values(), ids=list(BODIES))
def test_the_collector_is_on_after_every_kind_of_body(collector: None, body: bytes) -> None:
    gc.enable()
    parse_json(body)
    assert gc.isenabled()


@pytest.mark.parametrize("body", BODIES.values(), ids=list(BODIES))
def test_a_collector_switched_off_elsewhere_stays_off(collector: None, body: bytes) -> None:
    gc.disable()
    parse_json(body)
    assert not gc.isenabled()


def test_the_values_are_those_of_json_loads(collector: None) -> None:
    decoded = parse_json(PAGE)
    assert decoded == json.loads(PAGE)
    assert all(type(m["score"]) is JsonFloat for m in decoded["messages"])
    assert parse_json(BODIES["a lone surrogate: json.loads decodes it"]) == {
        "messages": [{"text": "\ud800 alone"}]}
    assert parse_json(BODIES["not JSON at all"]) is NOT_JSON


def test_no_collection_runs_while_a_page_is_decoded(collector: None) -> None:
    collections: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.enable()
    gc.collect()
    gc.callbacks.append(seen)
    try:
        decoded = parse_json(PAGE)
    finally:
        gc.callbacks.remove(seen)
    assert len(decoded["messages"]) == 3000  # some 6,000 new dicts: 8 collections, with it on
    assert collections == []
