"""What the transport shares between requests (transport.py): the environment's proxy settings,
read once per server, still send every request of a paged dump through the proxy (or past
it, for NO_PROXY); one deadline thread still ends each request at its own deadline."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from smscli.client import ClientOptions, GwsClient
from smscli.emulator import Emulator
from smscli.transport import DeadlineError

SESSION = "0000Na9B26EF002G"


class ForwardingProxy:
    """A plain HTTP proxy on 127.0.0.1 that forwards to the one server it is given and keeps
    the request targets it received (absolute URLs, as a client sends them to a proxy)."""

    def __init__(self, upstream: str) -> None:
        self.targets: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy.targets.append(self.path)
                if not self.path.startswith(upstream + "/"):
                    self._send(502, {}, b"not for this proxy")
                    return
                request = urllib.request.Request(self.path, headers={
                    k: v for k, v in self.headers.items()
                    if k.lower() in ("authorization", "cookie", "accept")})
                with urllib.request.urlopen(request, timeout=30) as answer:  # loopback
                    self._send(answer.status, dict(answer.headers), answer.read())

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() in ("content-type", "set-cookie", "x-csrf-token"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(emulator: Emulator) -> Iterator[ForwardingProxy]:
    running = ForwardingProxy(emulator.url)
    yield running
    running.close()


def test_every_page_of_a_dump_goes_through_the_proxy(run_cli, server_args, password_env,
                                                      emulator: Emulator,
                                                      proxy: ForwardingProxy) -> None:
    direct = run_cli(*server_args, "messages", SESSION, "-o", "ndjson", env=password_env)
    assert direct.code == 0, direct.stderr
    assert proxy.targets == []
    pages = 3
    size = max(1, len(direct.stdout.splitlines()) // pages)
    env = {**password_env, "HTTP_PROXY": proxy.url, "NO_PROXY": ""}
    via = run_cli(*server_args, "messages", SESSION, "-o", "ndjson", "--page-size", str(size),
                  env=env)
    assert via.code == 0, via.stderr
    assert via.stdout == direct.stdout
    page_gets = [t for t in proxy.targets if t.startswith(
        f"{emulator.url}/api/v2/me/smssessions/{SESSION}/messages?")]
    assert len(page_gets) >= pages, proxy.targets


def test_no_proxy_sends_every_request_past_the_proxy(run_cli, server_args, password_env,
                                                     proxy: ForwardingProxy) -> None:
    env = {**password_env, "HTTP_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"}
    result = run_cli(*server_args, "messages", SESSION, "-o", "ndjson", "--page-size", "2",
                     env=env)
    assert result.code == 0, result.stderr
    assert len(result.stdout.splitlines()) > 2
    assert proxy.targets == []


class Trickle:
    """A server on 127.0.0.1 that accepts and then sends one byte of a status line a second."""

    def __init__(self) -> None:
        self.stop = threading.Event()

        trickle = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                for byte in b"HTTP/1.1 200 OK\r\n":
                    if trickle.stop.wait(1.0):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_short_deadline_behind_a_long_one_still_ends_its_request() -> None:
    """The deadline thread sleeps until the nearest deadline: one that comes later but is
    due sooner must wake it."""
    server = Trickle()
    options: dict[str, Any] = {"retries": 0, "connect_timeout": 2, "read_timeout": 30}
    slow = GwsClient(server.url, "u", "p", ClientOptions(deadline=40, **options))
    quick = GwsClient(server.url, "u", "p", ClientOptions(deadline=1, **options))
    outcome: list[BaseException] = []

    def long_request() -> None:
        try:
            slow.list_sessions()
        except Exception as exc:  # noqa: BLE001 - ended by the server closing, whatever it is
            outcome.append(exc)

    first = threading.Thread(target=long_request, daemon=True)
    try:
        first.start()
        time.sleep(0.5)  # the 40 s deadline is the thread's nearest now
        started = time.monotonic()
        with pytest.raises(DeadlineError):
            quick.list_sessions()
        assert time.monotonic() - started < 15  # not 40 s: bounded with slack, not timed
    finally:
        server.close()
        slow.close()
        quick.close()
        first.join(10)
