"""A transcript's pages after the first go out as requests sent the first (replay.Replay),
and everything the transport guarantees holds for them as for any request: the same
headers, the session's cookies (a Set-Cookie on a page is sent with the next one),
no redirects (the same error), failures in the same words, --debug tracing every page, and
TLS verified against the same CA bundle on every new connection.

Each test runs the real CLI (a process, or in this process where noted) against a server on
127.0.0.1 written here or in tests/netkit.py.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from netkit import SESSION, SESSIONS, GwsServer, Request, run_smscli, send_json, send_response

MESSAGES = f"{SESSIONS}/{SESSION}/messages"


@pytest.fixture
def env(clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, "SMSCLI_DEADLINE": "5", "SMSCLI_PASSWORD": "pw"}


def page_of(messages: list[dict], target: str) -> list[dict]:
    query = parse_qs(urlsplit(target).query)
    start = int(query.get("startIndex", ["1"])[0])
    count = int(query.get("count", ["0"])[0])
    page = [m for m in messages if m["index"] >= start]
    return page[:count] if count else page


def as_lines(messages: list[dict]) -> list[str]:
    return [json.dumps(m, ensure_ascii=False, separators=(",", ":")) for m in messages]


def errors(err: list[str]) -> list[str]:
    return [line for line in err if line.startswith("smscli: error:")]


def test_every_page_carries_the_same_headers_and_the_latest_cookies(
        env: dict[str, str]) -> None:
    """The first answer sets a session cookie, the second page's answer replaces it and adds
    another: each page is sent with the cookies the jar holds by then."""
    with GwsServer(history=10) as gws:
        answered = 0

        def page(request: Request, conn: Any) -> bool:
            nonlocal answered
            answered += 1
            cookies = {1: [("Set-Cookie", "JSESSIONID=first; Path=/")],
                       2: [("Set-Cookie", "JSESSIONID=second; Path=/"),
                           ("Set-Cookie", "ROUTE=r2; Path=/api")]}.get(answered, [])
            send_response(conn, 200, json.dumps({"statusCode": 0, "messages": page_of(
                gws.messages(), request.target)}).encode(), cookies)
            return True

        gws.on(MESSAGES, page)
        child = run_smscli(["--server", gws.url, "--user", "u", "messages", SESSION, "-o",
                            "ndjson", "--page-size", "3"], env, timeout=60)
        assert child.code == 0, child.stderr
        assert child.out == as_lines(gws.messages())
        hits = [h for h in gws.hits.all() if h.path == MESSAGES]
    assert len(hits) == 4
    sent = [set((h.headers.get("cookie") or "").split("; ")) - {""} for h in hits]
    assert sent == [set(), {"JSESSIONID=first"}, {"JSESSIONID=second", "ROUTE=r2"},
                    {"JSESSIONID=second", "ROUTE=r2"}]
    first = {k: v for k, v in hits[0].headers.items() if k != "cookie"}
    assert first["authorization"].startswith("Basic ")
    assert first["accept-encoding"] == "gzip, deflate"
    assert first["user-agent"].startswith("smscli/")
    for hit in hits[1:]:
        assert {k: v for k, v in hit.headers.items() if k != "cookie"} == first
    assert [parse_qs(h.query)["startIndex"] for h in hits] == [["1"], ["3"], ["6"], ["9"]]


@pytest.mark.parametrize("on_page", [1, 2])
def test_a_redirected_page_is_refused_with_the_same_error(env: dict[str, str],
                                                          on_page: int) -> None:
    with GwsServer(history=6) as gws:
        answered = 0

        def page(request: Request, conn: Any) -> bool:
            nonlocal answered
            answered += 1
            if answered == on_page:
                send_response(conn, 302, b"", [("Location", "http://127.0.0.1:9/elsewhere")])
            else:
                send_json(conn, {"statusCode": 0, "messages": page_of(gws.messages(),
                                                                      request.target)})
            return True

        gws.on(MESSAGES, page)
        child = run_smscli(["--server", gws.url, "--user", "u", "messages", SESSION, "-o",
                            "ndjson", "--page-size", "3"], env, timeout=60)
        lines = errors(child.err)
        assert child.code == 5, child.stderr
        assert lines == ["smscli: error: the server redirected (HTTP 302) to "
                         "http://127.0.0.1:9/elsewhere; smscli does not follow redirects, so "
                         "cookies and tokens never reach another address; if that is the "
                         f"right server, use it as --server instead of {gws.url}"], child.stderr
        assert child.out == as_lines(gws.messages()[:3 * (on_page - 1)])
        assert gws.hits.count(MESSAGES) == on_page


def test_a_replayed_page_cut_short_is_a_lost_connection(env: dict[str, str]) -> None:
    with GwsServer(history=6) as gws:

        def page(request: Request, conn: Any) -> bool:
            body = json.dumps({"statusCode": 0, "messages": page_of(gws.messages(),
                                                                    request.target)}).encode()
            if request.param("startIndex") == "1":
                send_response(conn, 200, body)
                return True
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body) + 100, body))
            return False

        gws.on(MESSAGES, page)
        child = run_smscli(["--server", gws.url, "--user", "u", "messages", SESSION, "-o",
                            "ndjson", "--page-size", "3"], env, timeout=60)
        lines = errors(child.err)
        assert child.code == 6, child.stderr
        assert len(lines) == 1 and "the server closed it mid-answer" in lines[0], child.stderr
        assert child.out == as_lines(gws.messages()[:3])
        assert gws.hits.count(MESSAGES) == 1 + 4  # the page tried again, three times


def test_debug_traces_every_page(env: dict[str, str]) -> None:
    with GwsServer(history=10) as gws:
        child = run_smscli(["--debug", "--server", gws.url, "--user", "u", "messages",
                            SESSION, "-o", "ndjson", "--page-size", "3"], env, timeout=60)
        assert child.code == 0, child.stderr
        traced = [line for line in child.err if "> GET" in line and "/messages?" in line]
        assert len(traced) == gws.hits.count(MESSAGES) == 4


# -- TLS: every new connection of a replayed page is verified with the same bundle ----------

def self_signed(where: Path, name: str) -> tuple[Path, Path]:
    cert, key = where / f"{name}.pem", where / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class TlsPages:
    """HTTPS on 127.0.0.1, one request a connection (Connection: close), so every page is a
    new TLS handshake: the first connection shows certificate ``first``, later ones
    ``later``."""

    def __init__(self, first: tuple[Path, Path], later: tuple[Path, Path],
                 messages: list[dict]) -> None:
        self.contexts = []
        for cert, key in (first, later):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.contexts.append(context)
        self.messages = messages
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.handshakes = 0
        self.targets: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            context = self.contexts[0 if self.handshakes == 0 else 1]
            self.handshakes += 1
            try:
                conn.settimeout(10)
                with context.wrap_socket(conn, server_side=True) as tls:
                    self._answer(tls)
            except (OSError, ssl.SSLError):
                pass

    def _answer(self, tls: Any) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(4096)
            if not chunk:
                return
            data += chunk
        target = data.split(b" ", 2)[1].decode()
        self.targets.append(target)
        body = json.dumps({"statusCode": 0,
                           "messages": page_of(self.messages, target)}).encode()
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close"
                    b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def certs(tmp_path: Path) -> Iterator[tuple[tuple[Path, Path], tuple[Path, Path]]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    yield self_signed(tmp_path, "trusted"), self_signed(tmp_path, "stranger")


MESSAGES_10 = [{"index": n, "type": "Text", "text": f"m{n}", "visibility": "All",
                "from": {"type": "Customer", "nickname": "Cleo"}} for n in range(1, 11)]


def dump_over_tls(first: tuple[Path, Path], later: tuple[Path, Path],
                  env: dict[str, str]) -> tuple[Any, Any]:
    """A 10-message transcript in pages of 3, trusting only ``first``'s certificate; the
    server shows ``first`` on its first connection and ``later`` on the next ones."""
    server = TlsPages(first, later, MESSAGES_10)
    try:
        child = run_smscli(["--ca-bundle", str(first[0]), "--server", server.url, "--user",
                            "u", "messages", SESSION, "-o", "ndjson", "--page-size", "3"],
                           env, timeout=60)
    finally:
        server.close()
    return server, child


def test_pages_over_new_tls_connections_are_verified(env: dict[str, str], certs: Any) -> None:
    trusted, _ = certs
    server, child = dump_over_tls(trusted, trusted, env)
    assert child.code == 0, child.stderr
    assert child.out == as_lines(MESSAGES_10)
    assert server.handshakes == len(server.targets) == 4


def test_a_page_from_a_certificate_not_in_the_bundle_is_refused(env: dict[str, str],
                                                                certs: Any) -> None:
    """The first page comes from the trusted certificate; the next connection shows another:
    the replayed page must fail verification as any request would."""
    trusted, stranger = certs
    server, child = dump_over_tls(trusted, stranger, env)
    lines = errors(child.err)
    assert child.code == 6, child.stderr
    assert len(lines) == 1 and "TLS error" in lines[0], child.stderr
    assert "certificate verify failed" in lines[0]
    assert child.out == as_lines(MESSAGES_10[:3])
    assert len(server.targets) == 1
