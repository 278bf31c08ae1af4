"""The emulator's HTTP side: one keep-alive connection per client, Basic auth, the session
cookie, CSRF, injected faults, and the routing of each request to the REST operations
(routes.py) or the CometD hub (cometd.py). The Emulator (server.py) owns the state, the
threads and the lifecycle; see docs/architecture.md and docs/gws-notes.md.
"""

from __future__ import annotations

import hmac
import re
import socket
import sys
import threading
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

from smscli.emulator.cometd import CometdHub
from smscli.emulator.faults import Faults
from smscli.emulator.http_sessions import EmulatorStats, HttpSession, HttpSessions
from smscli.emulator.routes import (
    GWS_VERSION,
    Request,
    Response,
    Routes,
    error_response,
    json_response,
    not_found,
)

MAX_BODY_BYTES = 1 << 20
CSRF_HEADER = "X-CSRF-TOKEN"
CSRF_REJECTION = "Missing or invalid Csrf token"
SESSION_EXPIRED = "Session expired"
NOTIFICATIONS_PATH = "/api/v2/notifications"
_MODIFYING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_MAX_QUERY_FIELDS = 100
_CONTENT_LENGTH = re.compile(r"[0-9]{1,15}")


class App(Protocol):
    """What the handler needs of the Emulator (server.py), which passes itself."""

    verbose: bool
    csrf: bool
    stats: EmulatorStats
    faults: Faults
    stopping: threading.Event
    http_sessions: HttpSessions
    routes: Routes
    cometd: CometdHub

    def authenticate(self, header: str) -> str | None: ...

    def report_error(self, context: str) -> None: ...


class Handler(BaseHTTPRequestHandler):
    """One client connection; every request gets a GWS-shaped answer, never a traceback."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # otherwise each small keep-alive reply waits ~40 ms
    server_version = "GWS-Emulator"
    sys_version = ""
    timeout = 300  # seconds an idle keep-alive connection may hold its thread
    server: HttpServer

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client vanished mid-request; nobody is left to answer
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The standard library calls this for requests it cannot parse; answer in GWS style.
        self.server.app.stats.count_request()
        self.close_connection = True  # after a malformed request the stream cannot be trusted
        if self.request_version not in ("HTTP/1.0", "HTTP/1.1"):
            # The base class omits the status line and headers for what it takes to be HTTP/0.9,
            # which for garbage input would leave the client with a bare, unexplained body.
            self.request_version = self.protocol_version
        if code == 501:  # what the base class sends for a method with no do_* handler
            response = error_response(405, 3, f"Method {self.command} is not allowed")
        else:
            response = error_response(code, 4 if code >= 500 else 1, message or "Bad request")
        self._send(response)

    def _handle(self) -> None:
        app = self.server.app
        app.stats.count_request()
        path = self.path.partition("?")[0]
        try:
            response = self._respond(app, path)
        except Exception:  # noqa: BLE001 - answer; never leave a client hanging or print a trace
            app.report_error(f"{self.command} {self.path}")
            self.close_connection = True
            response = error_response(500, 4, "Internal server error")
        if app.faults.should_drop(path):
            self._send_cut_short(response)
        else:
            self._send(response)

    def _respond(self, app: App, path: str) -> Response:
        body = self._read_body()
        if isinstance(body, Response):
            return body
        delay = app.faults.delay_for(path)
        if delay > 0:
            app.stopping.wait(delay)  # stop() must not wait for an injected delay
        injected = app.faults.error_status(path)
        if injected is not None:
            # Refused before any processing, as an overloaded or restarting server would.
            return _injected_error(injected, app.faults)
        cookie = _cookie(self.headers.get_all("Cookie", ()), "JSESSIONID")
        if app.http_sessions.is_expired(cookie):
            return _session_expired()
        user = app.authenticate(self.headers.get("Authorization", ""))
        http_session = app.http_sessions.get(cookie)
        response = self._route(app, user, http_session, body)
        if user is not None and (http_session is None or http_session.user != user):
            session_id, http_session = app.http_sessions.create(user)
            response.headers.append(("Set-Cookie", f"JSESSIONID={session_id}; Path=/; HttpOnly"))
        if app.csrf and http_session is not None:
            response.headers.append(("X-CSRF-HEADER", CSRF_HEADER))
            response.headers.append((CSRF_HEADER, http_session.csrf_token))
        return response

    def _route(
        self, app: App, user: str | None, http_session: HttpSession | None, body: bytes
    ) -> Response:
        path, _, query = self.path.partition("#")[0].partition("?")
        segments = [unquote(part, errors="replace") for part in path.split("/") if part]
        if segments[:3] == ["api", "v2", "notifications"]:
            return self._notifications(app, user, http_session, body)
        # Like GWS's servlet filters, the CSRF check comes before authentication.
        if app.csrf and self.command in _MODIFYING_METHODS and not self._csrf_ok(http_session):
            return Response(403, CSRF_REJECTION.encode(), "text/plain; charset=UTF-8")
        if segments[:2] != ["api", "v2"]:
            return not_found()
        if segments[2:] == ["diagnostics", "version"]:
            return self._version()
        if user is None:
            return _access_denied()
        match = app.routes.match(segments[2:])
        if match is None:
            return not_found()
        method = "GET" if self.command == "HEAD" else self.command
        route = match.methods.get(method)
        if route is None:
            return _not_allowed(self.command, match.methods)
        try:
            query_values = parse_qs(query, errors="replace", max_num_fields=_MAX_QUERY_FIELDS)
        except ValueError:
            return error_response(400, 10, "Too many query parameters")
        return route(Request(user, query_values, body, match.session_id))

    def _notifications(
        self, app: App, user: str | None, http_session: HttpSession | None, body: bytes
    ) -> Response:
        # CSRF is not checked here: CometD clients differ in whether they send the token.
        if self.command != "POST":
            return _not_allowed(self.command, {"POST": None})
        # Browsers' CometD clients authenticate with the session cookie alone.
        user = user or (http_session.user if http_session is not None else None)
        if user is None:
            return _access_denied()
        return app.cometd.handle(body, user)

    def _version(self) -> Response:
        if self.command not in ("GET", "HEAD"):
            return _not_allowed(self.command, {"GET": None})
        return json_response({"statusCode": 0, "version": GWS_VERSION})

    def _csrf_ok(self, http_session: HttpSession | None) -> bool:
        sent = self.headers.get(CSRF_HEADER, "")
        if http_session is None or not sent:
            return False
        return hmac.compare_digest(
            sent.encode("utf-8", "replace"), http_session.csrf_token.encode()
        )

    def _read_body(self) -> bytes | Response:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return error_response(411, 1, "Chunked bodies are not supported; send Content-Length")
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        if not _CONTENT_LENGTH.fullmatch(declared.strip()):
            self.close_connection = True
            return error_response(400, 1, "Invalid Content-Length")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would be taken for the next request
            return error_response(413, 10, f"Request body exceeds {MAX_BODY_BYTES} bytes")
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return error_response(400, 1, "Request body ended early")
        return body

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _send_cut_short(self, response: Response) -> None:
        # An injected drop: either nothing at all, or the head and part of the body under a
        # Content-Length that promises all of it; then the connection closes.
        self.close_connection = True
        if self.command == "HEAD" or not self.server.app.faults.choice(2):
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body[: len(response.body) // 2])


def _access_denied() -> Response:
    response = error_response(401, 20, "Access denied")
    response.headers.append(("WWW-Authenticate", 'Basic realm="GWS"'))
    return response


def _session_expired() -> Response:
    response = error_response(401, 20, SESSION_EXPIRED)
    response.headers.append(("Set-Cookie", "JSESSIONID=; Path=/; Max-Age=0; HttpOnly"))
    return response


def _injected_error(status: int, faults: Faults) -> Response:
    if status == 500:
        return error_response(500, 4, "Internal server error")
    response = error_response(503, 4, "Service temporarily unavailable")
    if faults.choice(2):  # some servers and proxies send it, some do not
        response.headers.append(("Retry-After", "0"))
    return response


def _not_allowed(method: str, allowed: Mapping[str, Any]) -> Response:
    methods = set(allowed) | ({"HEAD"} if "GET" in allowed else set())
    response = error_response(405, 3, f"Method {method} is not allowed for this resource")
    response.headers.append(("Allow", ", ".join(sorted(methods))))
    return response


def _cookie(headers: Iterable[str], name: str) -> str | None:
    # Parsed by hand: http.cookies gives up on a whole header over one malformed cookie.
    for header in headers:
        for pair in header.split(";"):
            key, sep, value = pair.strip().partition("=")
            if sep and key == name:
                return value.strip().strip('"')
    return None


class HttpServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that counts connections and tracks them so stop() can close them."""

    daemon_threads = True
    request_queue_size = 256  # many clients connecting at once must not wait on SYN retries

    def __init__(self, address: tuple[str, int], app: App, family: socket.AddressFamily):
        self.address_family = family
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.app.stats.count_connection()
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Wake every handler blocked on a keep-alive read so its thread ends."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # the client closed it first
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.app.report_error(f"connection from {client_address}")
