"""How transport.py reads a body: a body of known length sent as it is comes in one read
(a long dump's pages), anything else 64 KB at a time, inflated a slice at a time. Either way
the bytes are the body, and a body that lies, stops or stalls fails as it always did.

Each test runs the real CLI as a process against a hand-written server on 127.0.0.1
(tests/netkit.py) and checks what it printed, its exit code and its one error line.
"""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import pytest
from netkit import SESSION, SESSIONS, GwsServer, Request, run_smscli, send_response

MESSAGES = f"{SESSIONS}/{SESSION}/messages"
LONG = "x" * 400 + " caf\u00e9 \u2603"  # pages of 300 messages are well over 64 KB


@pytest.fixture
def env(clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, "SMSCLI_DEADLINE": "3", "SMSCLI_PASSWORD": "pw"}


def cli(server: GwsServer, *args: str) -> list[str]:
    return ["--server", server.url, "--user", "u", *args]


def page_of(server: GwsServer, request: Request) -> list[dict]:
    start = int(request.param("startIndex", "1") or 1)
    count = int(request.param("count", "0") or 0)
    page = [m for m in server.messages() if m["index"] >= start]
    return page[:count] if count else page


def body_of(server: GwsServer, request: Request) -> bytes:
    return json.dumps({"statusCode": 0, "messages": page_of(server, request)}).encode()


def as_lines(messages: list[dict]) -> list[str]:
    return [json.dumps(m, ensure_ascii=False, separators=(",", ":")) for m in messages]


def errors(err: list[str]) -> list[str]:
    return [line for line in err if line.startswith("smscli: error:")]


def test_long_pages_over_one_connection_are_printed_whole(env: dict[str, str]) -> None:
    with GwsServer(history=0) as gws:
        for n in range(1000):
            gws.say(f"{n} {LONG}", notify=False)
        child = run_smscli(cli(gws, "messages", SESSION, "-o", "ndjson", "--page-size", "300"),
                           env, timeout=60)
        assert child.code == 0, child.stderr
        assert child.out == as_lines(gws.messages())
        assert gws.connections == 1  # every page read to its end: the connection was reused
        assert gws.hits.count(MESSAGES) == 4


def test_a_gzip_page_with_a_content_length_is_inflated(env: dict[str, str]) -> None:
    with GwsServer(history=0) as gws:
        for n in range(300):
            gws.say(f"{n} {LONG}", notify=False)

        def gzipped(request: Request, conn: Any) -> bool:
            send_response(conn, 200, gzip.compress(body_of(gws, request)),
                          [("Content-Encoding", "gzip")])
            return True

        gws.on(MESSAGES, gzipped)
        child = run_smscli(cli(gws, "messages", SESSION, "-o", "ndjson", "--page-size", "200"),
                           env, timeout=60)
        assert child.code == 0, child.stderr
        assert child.out == as_lines(gws.messages())


def test_a_body_shorter_than_its_content_length_is_a_lost_connection(
        env: dict[str, str]) -> None:
    with GwsServer(history=5) as gws:

        def cut_short(request: Request, conn: Any) -> bool:
            body = body_of(gws, request)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body) + 500, body))
            return False  # then close

        gws.on(MESSAGES, cut_short)
        child = run_smscli(cli(gws, "messages", SESSION, "-o", "ndjson"), env, timeout=60)
        lines = errors(child.err)
        assert len(lines) == 1, child.stderr
        assert "the server closed it mid-answer" in lines[0]
        assert child.code == 6, child.stderr
        assert child.out == []
        assert "Traceback" not in child.stderr
        assert gws.hits.count(MESSAGES) == 4  # a GET is tried again, three times


def test_bytes_past_the_content_length_are_not_part_of_the_body(env: dict[str, str]) -> None:
    with GwsServer(history=5) as gws:

        def with_trailer(request: Request, conn: Any) -> bool:
            body = body_of(gws, request)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s]]garbage" % (len(body), body))
            return False

        gws.on(MESSAGES, with_trailer)
        child = run_smscli(cli(gws, "messages", SESSION, "-o", "ndjson"), env, timeout=60)
        assert child.code == 0, child.stderr
        assert child.out == as_lines(gws.messages())


def test_a_page_that_stalls_half_way_ends_at_the_deadline(env: dict[str, str]) -> None:
    """The first page whole, the second's headers and half its body, then nothing: the dump
    prints the first page and stops at the deadline with one line, without a retry."""
    with GwsServer(history=6) as gws:

        def stall_second(request: Request, conn: Any) -> bool:
            body = body_of(gws, request)
            if request.param("startIndex") == "1":
                send_response(conn, 200, body)
                return True
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body[:len(body) // 2]))
            time.sleep(20)
            return False

        gws.on(MESSAGES, stall_second)
        started = time.monotonic()
        child = run_smscli(cli(gws, "messages", SESSION, "-o", "ndjson", "--page-size", "3"),
                           {**env, "SMSCLI_DEADLINE": "2"}, timeout=30)
        assert not child.killed, child.stderr
        lines = errors(child.err)
        assert len(lines) == 1 and "timed out after 2 s" in lines[0], child.stderr
        assert child.code == 6
        assert child.out == as_lines(gws.messages()[:3])
        assert time.monotonic() - started < 2 + 10
        assert gws.hits.count(MESSAGES) == 2
