"""A GWS stand-in for benchmarks that answers from bodies prepared in advance, as a static file.

The emulator builds a transcript page when it is asked for; its ``count=0`` answer (the whole
transcript) takes a while to build, which slows the ``curl | jq`` baseline and flatters any
ratio against it. This server prepares every body before it starts listening: the session
list, each session, the whole transcript (``count=0``) and exactly the pages smscli asks for
(``startIndex=1&count=N``, then ``startIndex=k*(N-1)+1...``: see ``page_requests``). A page
it was not prepared for is built once and kept, and counted in ``misses`` so the benchmark
can say so (``GET /bench/misses``). Stdlib only, loopback only, any user and password.

Usage: python bench/prepared.py [--big 10000 --big 100000] [--page-size 1000]
prints the base URL on its first line and serves until interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SESSIONS = "/api/v2/me/smssessions"


def page_requests(total: int, size: int) -> list[tuple[int, int]]:
    """The (startIndex, count) pairs smscli asks for a transcript whose indexes are 1..total.

    Each next page starts at the last index seen and asks for one more (the overlap), as
    smscli/paging.py does; the last page is the first one that comes back short.
    """
    pairs = [(1, size)]
    last = size
    while last <= total:
        pairs.append((last, size + 1))
        last += size
    return pairs


class Prepared:
    """Every body, as bytes, keyed by path and (startIndex, count)."""

    def __init__(self, sizes: tuple[int, ...], page_size: int) -> None:
        from smscli.emulator.scenario import add_big_session
        from smscli.emulator.state import EmulatorState

        state = EmulatorState()
        ids = [add_big_session(state, size) for size in sizes]
        self.sessions: list[dict] = [state.get_session(i) for i in ids]  # type: ignore[misc]
        self.bodies: dict[str, bytes] = {
            SESSIONS: _envelope("smssessions", self.sessions),
            "/api/v2/me": _envelope("user", {"userName": "bench", "id": "bench"}),
        }
        self.chunks: dict[str, list[bytes]] = {}
        self.pages: dict[tuple[str, int, int], bytes] = {}
        self.misses = 0
        self._lock = threading.Lock()
        for session_id, size, session in zip(ids, sizes, self.sessions):
            path = f"{SESSIONS}/{session_id}"
            self.bodies[path] = _envelope("smssession", session)
            chunks = self.chunks[path] = state.encoded_messages(session_id, 1, 0)
            self.pages[path, 1, 0] = _messages(chunks)
            for start, count in page_requests(size, page_size):
                self.pages[path, start, count] = _messages(chunks[start - 1:start - 1 + count])

    def page(self, path: str, start: int, count: int) -> bytes | None:
        session = path.removesuffix("/messages")
        key = (session, start, count)
        body = self.pages.get(key)
        if body is None and session in self.chunks:
            chunks = self.chunks[session]
            body = _messages(chunks[start - 1:] if count == 0 else
                             chunks[start - 1:start - 1 + count])
            with self._lock:
                self.misses += 1
                self.pages[key] = body
        return body


def _envelope(key: str, value: object) -> bytes:
    return json.dumps({"statusCode": 0, key: value}, separators=(",", ":")).encode()


def _messages(chunks: list[bytes]) -> bytes:
    return b'{"statusCode":0,"messages":[' + b",".join(chunks) + b"]}"


def make_server(prepared: Prepared) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: smscli pages over one connection

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            body = prepared.bodies.get(url.path)
            if url.path == "/bench/misses":
                body = str(prepared.misses).encode()
            if body is None and url.path.startswith(SESSIONS) and url.path.endswith("/messages"):
                query = parse_qs(url.query)
                try:
                    start = int(query.get("startIndex", ["1"])[0])
                    count = int(query.get("count", ["0"])[0])
                except ValueError:
                    start = count = -1
                if start >= 1 and count >= 0:
                    body = prepared.page(url.path, start, count)
            if body is None:
                self._send(404, b'{"statusCode":6,"statusMessage":"not prepared"}')
            else:
                self._send(200, body)

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", type=int, action="append", default=[])
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    prepared = Prepared(tuple(args.big or [10_000, 100_000]), args.page_size)
    server = make_server(prepared)
    size = sum(len(b) for b in prepared.pages.values()) / 2**20
    print(f"http://127.0.0.1:{server.server_address[1]} {size:.0f}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
