"""Misbehaving servers on 127.0.0.1 for network tests, each counting what it receives.

Everything here is stdlib and threads. The servers parse HTTP by hand on raw sockets so that
they can do what http.server will not: trickle, lie about lengths, send endless or bombing
bodies, oversized headers, redirects, and Bayeux answers no well-behaved CometD server gives.

- ``RawServer``: the accept loop, request parsing, the request log (``hits``) and a switch
  that cuts every open connection. Subclasses answer in ``handle``.
- ``GwsServer``: one SMS session with a mutable transcript and state, GWS REST envelopes and
  a scriptable Bayeux endpoint; any path can be given a hostile handler with ``on``.
- Body attacks (``gzip_bomb``, ``endless_chunked``, ``huge_content_length``, ``trickle``,
  ``big_header``, ``many_headers``, ``redirect``, ``reset``, ``silent``): handlers for ``on``.
- ``FaultProxy``: a TCP proxy that kills a seeded share of connections, at accept or part way
  through a response, and can cut every open connection on demand.
- ``Child``: smscli as a subprocess, reaped with wait4 so its own peak RSS is known.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parent.parent
SESSION = "0000HOSTILENET01"
NOTIFICATIONS = "/api/v2/notifications"
SESSIONS = "/api/v2/me/smssessions"
SMS_TOPIC = "/v2/me/smssessions"
WILDCARD = "/v2/me/*"
CUSTOMER = {"type": "Customer", "nickname": "Cleo", "participantId": "00AA00000000C001"}


# -- the request log -----------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    """One request as a server received it."""

    method: str
    path: str  # without the query
    query: str
    time: float  # time.monotonic()
    headers: dict[str, str]
    body: bytes = b""

    def bayeux_channels(self) -> list[str]:
        """The channels of the Bayeux messages in the body, if any."""
        try:
            messages = json.loads(self.body)
        except ValueError:
            return []
        if isinstance(messages, dict):
            messages = [messages]
        return [str(m.get("channel")) for m in messages if isinstance(m, dict)]


class Hits:
    """A thread-safe list of Hits, with counts by path and over time windows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: list[Hit] = []

    def add(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def all(self) -> list[Hit]:
        with self._lock:
            return list(self._hits)

    def __len__(self) -> int:
        with self._lock:
            return len(self._hits)

    def count(self, path: str | None = None, start: float = 0.0,
              end: float = float("inf")) -> int:
        return sum(1 for h in self.all() if (path is None or h.path == path)
                   and start <= h.time < end)

    def channel_times(self, channel: str) -> list[float]:
        """When each Bayeux message on ``channel`` was received."""
        return [h.time for h in self.all() for c in h.bayeux_channels() if c == channel]

    def max_in_window(self, seconds: float, start: float = 0.0,
                      end: float = float("inf")) -> int:
        """The most requests received in any window of ``seconds`` within [start, end)."""
        times = sorted(h.time for h in self.all() if start <= h.time < end)
        best = 0
        first = 0
        for last, t in enumerate(times):
            while t - times[first] >= seconds:
                first += 1
            best = max(best, last - first + 1)
        return best


# -- the raw server ------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]  # keys lower-cased
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


def _read_request(reader: Any) -> Request | None:
    line = reader.readline(65537)
    while line in (b"\r\n", b"\n"):  # stray blank lines between requests
        line = reader.readline(65537)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        return None
    headers: dict[str, str] = {}
    while True:
        header = reader.readline(65537)
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = reader.read(length) if length else b""
    return Request(parts[0], parts[1], headers, body)


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN: the peer sees 'connection reset'."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.shutdown(socket.SHUT_RD)  # wakes a thread blocked in recv on it; sends nothing
    except OSError:
        pass
    try:
        conn.close()
    except OSError:
        pass


def send_response(conn: socket.socket, status: int, body: bytes = b"",
                  headers: list[tuple[str, str]] | None = None,
                  content_type: str = "application/json") -> None:
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers or []]
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


def send_json(conn: socket.socket, payload: Any, status: int = 200,
              headers: list[tuple[str, str]] | None = None) -> None:
    send_response(conn, status, json.dumps(payload).encode(), headers)


_REASONS = {200: "OK", 302: "Found", 307: "Temporary Redirect", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 500: "Internal Server Error",
            503: "Service Unavailable"}

# A handler answers one request on conn; it returns whether the connection may carry more.
Handler = Callable[[Request, socket.socket], bool]


class RawServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 built on raw sockets; logs every request."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.listener = socket.create_server((host, 0), backlog=128)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.hits = Hits()
        self.connections = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"netkit-{self.port}")

    def start(self) -> RawServer:
        self._thread.start()
        return self

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self.listener.close()
        self.cut_all()

    def cut_all(self) -> int:
        """Reset every open client connection now; returns how many there were."""
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(conns)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._open.add(conn)
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self._stopping.is_set():
                if not self.on_accept(conn):
                    return
                request = _read_request(reader)
                if request is None:
                    return
                split = urlsplit(request.target)
                self.hits.add(Hit(request.method, split.path, split.query, time.monotonic(),
                                  dict(request.headers), request.body))
                if not self.handle(request, conn):
                    return
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._open.discard(conn)
            try:
                reader.close()
                conn.close()
            except OSError:
                pass

    def on_accept(self, conn: socket.socket) -> bool:
        """Before each request is read; False drops the connection (the default keeps it)."""
        return True

    def handle(self, request: Request, conn: socket.socket) -> bool:
        send_json(conn, {"statusCode": 6, "statusMessage": "not found"}, 404)
        return True


class CountingServer(RawServer):
    """Answers everything 200 with a GWS-looking empty envelope; the point is the count."""

    def handle(self, request: Request, conn: socket.socket) -> bool:
        send_json(conn, {"statusCode": 0, "smssessions": [], "messages": []})
        return True


# -- a scriptable GWS --------------------------------------------------------------------

@dataclass
class _BayeuxClient:
    client_id: str
    subscriptions: set[str] = field(default_factory=set)
    queue: list[dict] = field(default_factory=list)


def channel_matches(pattern: str, channel: str) -> bool:
    if pattern.endswith("/**"):
        return channel.startswith(pattern[:-2])
    if pattern.endswith("/*"):
        head, _, tail = channel.rpartition("/")
        return head == pattern[:-2] and bool(tail)
    return pattern == channel


class GwsServer(RawServer):
    """One SMS session over GWS-like REST, with a Bayeux endpoint that does what it is told.

    Bayeux behaviour (attributes, changeable at any time):
      ``connect_mode``: "hold" (held up to ``timeout_ms`` for events, the normal case),
        "empty" (answered at once with the body ``[]``), "idle" (answered at once with a
        successful reply and no events), "none" (unsuccessful, advice reconnect none),
        "unknown" (``402::Unknown client``), "multiple" (successful, at once, advice
        ``multiple-clients: true`` and interval ``multiple_interval_ms``).
      ``handshake_status``: an HTTP status other than 200 refuses the handshake with it.
      ``notifications_status``: an HTTP status for every request to the endpoint (404, 405).
      ``refuse_topics``: subscriptions refused; ``event_channel``: where events are published.
      ``piggyback``: {"handshake" or "subscribe": [events]} sent once with that reply.
    Every subscribe and unsubscribe is logged in ``subscription_log``; ``both_held`` tells
    whether a client ever held both the SMS topic and the wildcard at once.
    """

    def __init__(self, history: int = 3, session_id: str = SESSION) -> None:
        super().__init__()
        self.session_id = session_id
        self.state = "Chatting"
        self.transcript: list[dict] = []
        self.cond = threading.Condition()
        self.routes: dict[str, Handler] = {}
        self.same_page = False
        self.connect_mode = "hold"
        self.timeout_ms = 30_000
        self.interval_ms = 0
        self.multiple_interval_ms = 2000
        self.handshake_status = 200
        self.notifications_status = 200
        self.refuse_topics: set[str] = set()
        self.event_channel = SMS_TOPIC
        self.piggyback: dict[str, list[dict]] = {}
        self.clients: dict[str, _BayeuxClient] = {}
        self.subscription_log: list[tuple[float, str, str, str]] = []  # time, op, client, ch
        self.both_held = False
        self._ids = 0
        for n in range(history):
            self.say(f"history {n}", notify=False)

    # -- the test's side --------------------------------------------------------------------

    def on(self, path: str, handler: Handler) -> None:
        """Answer ``path`` (any method) with ``handler`` instead of the normal resource."""
        self.routes[path] = handler

    def make_message(self, text: str) -> dict:
        with self.cond:
            index = len(self.transcript) + 1
        return {"index": index, "type": "Text", "text": text, "from": dict(CUSTOMER),
                "visibility": "ALL", "timestamp": 1_700_000_000_000 + index * 1000}

    def say(self, text: str, notify: bool = True) -> dict:
        return self.append(self.make_message(text), notify)

    def append(self, message: dict, notify: bool = True) -> dict:
        with self.cond:
            self.transcript.append(message)
        if notify:
            self.publish(self.log_event([message]))
        return message

    def complete(self, notify: bool = True) -> None:
        with self.cond:
            self.state = "Completed"
        if notify:
            self.publish({"messageType": "SmsSessionStateChangeMessage",
                          "notificationType": "StatusChange", "smssession": self.session()})

    def log_event(self, messages: list[dict]) -> dict:
        return {"messageType": "MessageLogUpdated",
                "smssessionUri": f"{self.url}{SESSIONS}/{self.session_id}",
                "messages": messages}

    def publish(self, data: dict) -> None:
        """Queue an event for every subscription matching ``event_channel`` (so a client
        subscribed twice gets it twice, as some servers do)."""
        event = {"channel": self.event_channel, "data": data}
        with self.cond:
            for client in self.clients.values():
                for pattern in client.subscriptions:
                    if channel_matches(pattern, self.event_channel):
                        client.queue.append(event)
            self.cond.notify_all()

    def forget_clients(self) -> None:
        with self.cond:
            self.clients.clear()
            self.cond.notify_all()

    def session(self) -> dict:
        with self.cond:
            return {"id": self.session_id, "state": self.state, "participants": [CUSTOMER],
                    "capabilities": ["SendMessage", "Complete"], "userData": {},
                    "uri": f"{self.url}{SESSIONS}/{self.session_id}"}

    def messages(self) -> list[dict]:
        with self.cond:
            return json.loads(json.dumps(self.transcript))

    # -- REST ---------------------------------------------------------------------------------

    def handle(self, request: Request, conn: socket.socket) -> bool:
        path = request.path
        if path in self.routes:
            return self.routes[path](request, conn)
        if path == NOTIFICATIONS:
            return self._bayeux(request, conn)
        base = f"{SESSIONS}/{self.session_id}"
        if path == "/api/v2/me":
            send_json(conn, {"statusCode": 0, "user": {"id": "u1", "userName": "u"}})
        elif path == "/api/v2/diagnostics/version":
            send_json(conn, {"statusCode": 0, "version": "8.5.200.50"})
        elif path == SESSIONS:
            send_json(conn, {"statusCode": 0, "smssessions": [self.session()]})
        elif path == base:
            send_json(conn, {"statusCode": 0, "smssession": self.session()})
        elif path == base + "/messages":
            send_json(conn, {"statusCode": 0, "messages": self._page(request)})
        else:
            send_json(conn, {"statusCode": 6, "statusMessage": "Resource not found"}, 404)
        return True

    def _page(self, request: Request) -> list[dict]:
        start = int(request.param("startIndex", "1") or 1)
        count = int(request.param("count", "0") or 0)
        with self.cond:
            messages = list(self.transcript)
        if self.same_page:  # the same full page whatever startIndex says
            return messages[:count] if count else messages
        page = [m for m in messages if m["index"] >= start]
        return page[:count] if count else page

    # -- Bayeux -------------------------------------------------------------------------------

    def _bayeux(self, request: Request, conn: socket.socket) -> bool:
        if self.notifications_status != 200:
            send_response(conn, self.notifications_status, b"<html>no such thing</html>",
                          content_type="text/html")
            return True
        try:
            messages = json.loads(request.body)
        except ValueError:
            send_json(conn, {"statusCode": 1}, 400)
            return True
        if isinstance(messages, dict):
            messages = [messages]
        replies: list[dict] = []
        for message in messages:
            channel = message.get("channel")
            if channel == "/meta/handshake":
                if self.handshake_status != 200:
                    send_response(conn, self.handshake_status, b"<html>refused</html>",
                                  content_type="text/html")
                    return True
                replies += self._handshake(message)
            elif channel == "/meta/connect":
                replies += self._connect(message)
            elif channel in ("/meta/subscribe", "/meta/unsubscribe"):
                replies += self._subscription(message)
            elif channel == "/meta/disconnect":
                replies.append({"channel": channel, "id": message.get("id"),
                                "successful": True})
        if self.connect_mode == "empty" and any(
                m.get("channel") == "/meta/connect" for m in messages):
            replies = [r for r in replies if r.get("channel") != "/meta/connect"]
        send_json(conn, replies)
        return True

    def _advice(self) -> dict:
        return {"reconnect": "retry", "timeout": self.timeout_ms, "interval": self.interval_ms}

    def _handshake(self, message: dict) -> list[dict]:
        with self.cond:
            self._ids += 1
            client_id = f"client{self._ids}"
            self.clients[client_id] = _BayeuxClient(client_id)
        reply = {"channel": "/meta/handshake", "id": message.get("id"), "successful": True,
                 "version": "1.0", "clientId": client_id,
                 "supportedConnectionTypes": ["long-polling"], "advice": self._advice()}
        return [reply, *self.piggyback.pop("handshake", [])]

    def _subscription(self, message: dict) -> list[dict]:
        channel = str(message.get("channel"))
        topic = message.get("subscription")
        op = channel.rsplit("/", 1)[-1]
        reply = {"channel": channel, "id": message.get("id"), "subscription": topic}
        with self.cond:
            client = self.clients.get(str(message.get("clientId")))
            self.subscription_log.append((time.monotonic(), op, str(message.get("clientId")),
                                          str(topic)))
            if client is None:
                return [{**reply, "successful": False, "error": "402::Unknown client",
                         "advice": {"reconnect": "handshake", "interval": 0}}]
            if op == "subscribe" and topic in self.refuse_topics:
                return [{**reply, "successful": False, "error": f"403:{topic}:denied"}]
            if op == "subscribe":
                client.subscriptions.add(str(topic))
            else:
                client.subscriptions.discard(str(topic))
            if {SMS_TOPIC, WILDCARD} <= client.subscriptions:
                self.both_held = True
        extra = self.piggyback.pop("subscribe", []) if op == "subscribe" else []
        return [{**reply, "successful": True}, *extra]

    def _connect(self, message: dict) -> list[dict]:
        reply = {"channel": "/meta/connect", "id": message.get("id")}
        client_id = str(message.get("clientId"))
        mode = self.connect_mode
        with self.cond:
            client = self.clients.get(client_id)
        if client is None or mode == "unknown":
            return [{**reply, "successful": False, "error": "402::Unknown client",
                     "advice": {"reconnect": "handshake", "interval": 0}}]
        if mode == "none":
            return [{**reply, "successful": False, "error": "server is shutting down",
                     "advice": {"reconnect": "none", "interval": 0}}]
        if mode == "multiple":
            return [{**reply, "successful": True,
                     "advice": {"reconnect": "retry", "timeout": self.timeout_ms,
                                "interval": self.multiple_interval_ms,
                                "multiple-clients": True}}]
        events: list[dict] = []
        if mode == "hold":
            deadline = time.monotonic() + self.timeout_ms / 1000
            with self.cond:
                while (not client.queue and self.clients.get(client_id) is client
                       and not self._stopping.is_set() and time.monotonic() < deadline):
                    self.cond.wait(min(0.2, max(0.0, deadline - time.monotonic())))
                events, client.queue = client.queue, []
                if self.clients.get(client_id) is not client:
                    return [{**reply, "successful": False, "error": "402::Unknown client",
                             "advice": {"reconnect": "handshake", "interval": 0}}]
        return [*events, {**reply, "successful": True, "advice": self._advice()}]


# -- body and header attacks: handlers for GwsServer.on ----------------------------------

def _gzip_blocks(total_mb: int) -> Iterator[bytes]:
    """A gzip stream of ``total_mb`` MiB of zeros, about 1 KiB per MiB, made as it is sent.

    Each MiB is compressed after a full flush, so one compressed block serves for all of
    them. The trailer's CRC is not computed: no client should read that far.
    """
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(bytes(1 << 20)) + raw.flush(zlib.Z_FULL_FLUSH)
    yield header
    for _ in range(total_mb):
        yield block
    yield raw.flush(zlib.Z_FINISH) + struct.pack("<II", 0, (total_mb << 20) & 0xFFFFFFFF)


def gzip_bomb(total_mb: int = 4096) -> Handler:
    """A 200 JSON-typed body, ``Content-Encoding: gzip``, inflating to ``total_mb`` MiB."""

    length = sum(len(b) for b in _gzip_blocks(total_mb)) if total_mb <= 1 else (
        sum(len(b) for b in _gzip_blocks(1)) + (total_mb - 1) * _gzip_block_size())

    def handler(request: Request, conn: socket.socket) -> bool:
        conn.sendall((f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      f"Content-Encoding: gzip\r\nContent-Length: {length}\r\n\r\n").encode())
        for block in _gzip_blocks(total_mb):
            conn.sendall(block)
        return True

    return handler


def _gzip_block_size() -> int:
    return len(list(_gzip_blocks(1))[1])


def endless_chunked(chunk_kb: int = 64, limit_mb: int = 4096) -> Handler:
    """A chunked JSON body that never ends (until ``limit_mb`` or the client leaves)."""

    def handler(request: Request, conn: socket.socket) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        item = b'{"id":"' + b"x" * (chunk_kb * 1024 - 10) + b'"},'
        first = b'{"statusCode":0,"smssessions":['
        conn.sendall(b"%x\r\n%s\r\n" % (len(first), first))
        for _ in range(limit_mb * 1024 // chunk_kb):
            conn.sendall(b"%x\r\n%s\r\n" % (len(item), item))
        return False

    return handler


def huge_content_length(length: int = 1_500_000_000, rate_kb_s: int = 1024) -> Handler:
    """Content-Length ``length`` (1.5 GB), the body then sent at ``rate_kb_s`` KiB/s."""

    def handler(request: Request, conn: socket.socket) -> bool:
        conn.sendall((f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {length}\r\n\r\n").encode())
        conn.sendall(b'{"statusCode":0,"messages":[')
        piece = b" " * 16384
        sent = 0
        while sent < length:
            conn.sendall(piece)
            sent += len(piece)
            time.sleep(len(piece) / (rate_kb_s * 1024))
        return False

    return handler


def trickle(body: bytes | None = None, every: float = 1.0) -> Handler:
    """The whole response, status line included, one byte every ``every`` seconds."""

    def handler(request: Request, conn: socket.socket) -> bool:
        payload = body or json.dumps({"statusCode": 0, "smssessions": []}).encode()
        whole = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
        for i in range(len(whole)):
            conn.sendall(whole[i:i + 1])
            time.sleep(every)
        return False

    return handler


def big_header(size: int = 200_000) -> Handler:
    """A 200 response with one header line of ``size`` bytes."""

    def handler(request: Request, conn: socket.socket) -> bool:
        body = b'{"statusCode":0,"smssessions":[]}'
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Big: "
                     + b"a" * size + b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        return False

    return handler


def many_headers(count: int = 200) -> Handler:
    """A 200 response with ``count`` headers."""

    def handler(request: Request, conn: socket.socket) -> bool:
        body = b'{"statusCode":0,"smssessions":[]}'
        lines = b"".join(b"X-H%d: v\r\n" % n for n in range(count))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + lines
                     + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return False

    return handler


def redirect(status: int, location: str) -> Handler:
    def handler(request: Request, conn: socket.socket) -> bool:
        send_response(conn, status, b"", [("Location", location),
                                          ("Set-Cookie", "JSESSIONID=abc; Path=/")])
        return True

    return handler


def envelope(payload: Any, status: int = 200) -> Handler:
    """Always this JSON body."""

    def handler(request: Request, conn: socket.socket) -> bool:
        send_response(conn, status, json.dumps(payload).encode())
        return True

    return handler


def reset_handler(request: Request, conn: socket.socket) -> bool:
    """Read the request, then reset the connection."""
    reset(conn)
    return False


def silent(request: Request, conn: socket.socket) -> bool:
    """Read the request and never answer (until the client gives up)."""
    try:
        conn.settimeout(60)
        conn.recv(1)
    except OSError:
        pass
    return False


def gzip_ok(payload: Any) -> bytes:
    return gzip.compress(json.dumps(payload).encode())


# -- the fault proxy -----------------------------------------------------------------------

class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of ``upstream`` (host, port) that kills connections.

    Each accepted connection is killed with probability ``rate`` (seeded): with mode "accept"
    it is reset right after accept, with "mid" part way through its first response, "mixed"
    picks one of the two. With ``lifetime`` N, connections that survive are still killed part
    way through a response after 1 to N requests, so kills go on all along. ``cut_all()``
    resets every open connection now.
    """

    def __init__(self, upstream: tuple[str, int], rate: float = 0.0, seed: int = 1,
                 mode: str = "mixed", lifetime: int | None = None) -> None:
        self.upstream = upstream
        self.rate = rate
        self.mode = mode
        self.lifetime = lifetime
        self.rng = random.Random(seed)
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = 0
        self.killed = {"accept": 0, "mid": 0, "cut": 0}
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self.listener.close()
        self.cut_all()

    def cut_all(self) -> int:
        with self._lock:
            conns = list(self._open)
            self.killed["cut"] += len(conns)
        for conn in conns:
            try:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(conns)

    def _decide(self) -> tuple[str | None, int]:
        """What happens to a new connection: (kill kind or None, response number to kill)."""
        with self._lock:
            self.accepted += 1
            if self.rng.random() < self.rate:
                kind = self.mode if self.mode != "mixed" else self.rng.choice(["accept", "mid"])
                return kind, 1
            if self.lifetime:
                return "mid", 1 + self.rng.randint(1, self.lifetime)
            return None, 0

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            kind, kill_at = self._decide()
            if kind == "accept":
                with self._lock:
                    self.killed["accept"] += 1
                reset(client)
                continue
            threading.Thread(target=self._pipe, args=(client, kill_at), daemon=True).start()

    def _pipe(self, client: socket.socket, kill_at: int) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            reset(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._open.update((client, upstream))
        requests_seen = [0]

        def up() -> None:  # client -> upstream, counting request lines
            try:
                while data := client.recv(65536):
                    requests_seen[0] += data.count(b" HTTP/1.")
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        thread = threading.Thread(target=up, daemon=True)
        thread.start()
        try:
            while data := upstream.recv(65536):
                if kill_at and requests_seen[0] >= kill_at:
                    client.sendall(data[:max(1, len(data) // 2)])
                    with self._lock:
                        self.killed["mid"] += 1
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.difference_update((client, upstream))
            reset(client)
            reset(upstream)


# -- smscli as a child process -------------------------------------------------------------

AS_LIMIT = 1536 << 20  # address space of a child: a runaway fails there, not the machine


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


class Child:
    """``python -m smscli ARGS`` with pipes read by threads; reaped with wait4 for its RSS."""

    def __init__(self, args: list[str], env: dict[str, str], limit_memory: bool = True) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smscli", *args], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, cwd=REPO,
            preexec_fn=_limit_memory if limit_memory else None)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.code: int | None = None
        self.elapsed = 0.0
        self.maxrss_kib = 0
        self.killed = False

    @staticmethod
    def _read(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.decode("utf-8", "replace").rstrip("\n"))
            if len(lines) > 200_000:  # a runaway printer: keep the test's memory bounded
                del lines[:100_000]

    @property
    def stdout(self) -> str:
        return "\n".join(self.out)

    @property
    def stderr(self) -> str:
        return "\n".join(self.err)

    def signal(self, sig: int = signal.SIGINT) -> None:
        if self.code is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float) -> int:
        """The exit code; past ``timeout`` the child is killed and -9 returned."""
        deadline = time.monotonic() + timeout
        while self.code is None:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self._reaped(status, usage)
                break
            if time.monotonic() > deadline:
                self.killed = True
                os.kill(self.proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(self.proc.pid, 0)
                self._reaped(status, usage)
                break
            time.sleep(0.02)
        for reader in self._readers:
            reader.join(5)
        assert self.code is not None
        return self.code

    def _reaped(self, status: int, usage: Any) -> None:
        self.elapsed = time.monotonic() - self.started
        self.maxrss_kib = usage.ru_maxrss
        self.code = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.code  # Popen must not try to reap it again

    def wait_for_line(self, predicate: Callable[[str], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(predicate(line) for line in list(self.out)):
                return True
            if os.waitid(os.P_PID, self.proc.pid,
                         os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                break  # exited (left unreaped for wait4)
            time.sleep(0.05)
        return any(predicate(line) for line in list(self.out))

    def close(self) -> None:
        if self.code is None:
            self.signal(signal.SIGKILL)
            self.wait(5)


def run_smscli(args: list[str], env: dict[str, str], timeout: float) -> Child:
    child = Child(args, env)
    child.wait(timeout)
    return child


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
