"""A dump raises the garbage collector's first threshold while the transcript streams and puts
it back afterwards, however the dump ends (paging.fewer_collections).

The CLI runs in this process against a GWS stand-in whose page handler, running in this
process too, notes the threshold at each page request: what the dump set while it fetched.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest
from netkit import SESSION, SESSIONS, GwsServer, Request, send_json

MESSAGES = f"{SESSIONS}/{SESSION}/messages"


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    try:
        yield before
    finally:
        gc.set_threshold(*before)


def serve_pages(gws: GwsServer, seen: list[int], fail_after: int | None = None) -> None:
    def page(request: Request, conn: Any) -> bool:
        seen.append(gc.get_threshold()[0])
        if fail_after is not None and len(seen) > fail_after:
            send_json(conn, {"statusCode": 4, "statusMessage": "gone"}, 500)
            return True
        start = int(request.param("startIndex", "1") or 1)
        count = int(request.param("count", "0") or 0)
        found = [m for m in gws.messages() if m["index"] >= start][:count]
        send_json(conn, {"statusCode": 0, "messages": found})
        return True

    gws.on(MESSAGES, page)


def test_raised_while_pages_stream_and_put_back_after(cli: Any, thresholds: tuple) -> None:
    seen: list[int] = []
    with GwsServer(history=250) as gws:
        serve_pages(gws, seen)
        result = cli("--server", gws.url, "--user", "u", "messages", SESSION, "-o", "ndjson",
                     "--page-size", "100", env={"SMSCLI_PASSWORD": "pw"})
        assert result.code == 0, result.stderr
        assert [json.loads(line)["index"] for line in result.stdout.splitlines()] == \
            list(range(1, 251))
    assert len(seen) == 3
    assert seen == [20 * 100] * 3  # ten pages' worth of containers, two a message
    assert gc.get_threshold() == thresholds


def test_put_back_when_a_page_fails(cli: Any, thresholds: tuple) -> None:
    seen: list[int] = []
    with GwsServer(history=250) as gws:
        serve_pages(gws, seen, fail_after=1)
        result = cli("--server", gws.url, "--user", "u", "messages", SESSION, "-o", "plain",
                     "--page-size", "100", env={"SMSCLI_PASSWORD": "pw"})
        assert result.code != 0
        assert "gone" in result.stderr
        assert len(result.stdout.splitlines()) == 100
    assert seen[0] == 20 * 100
    assert gc.get_threshold() == thresholds


def test_a_higher_threshold_set_elsewhere_is_kept(cli: Any, thresholds: tuple) -> None:
    gc.set_threshold(50_000, *thresholds[1:])
    seen: list[int] = []
    with GwsServer(history=5) as gws:
        serve_pages(gws, seen)
        result = cli("--server", gws.url, "--user", "u", "messages", SESSION, "-o", "ndjson",
                     env={"SMSCLI_PASSWORD": "pw"})
        assert result.code == 0, result.stderr
    assert seen == [50_000]
    assert gc.get_threshold() == (50_000, *thresholds[1:])
