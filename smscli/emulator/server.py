"""HTTP side of the SMS emulator: keep-alive server, auth, cookies, CSRF, faults and the Emulator."""

from __future__ import annotations

import base64
import hmac
import re
import socket
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote

from smscli.emulator.cometd import (
    DEFAULT_MAX_INTERVAL_MS,
    DEFAULT_TIMEOUT_MS,
    EVENTS_FIRST,
    CometdHub,
)
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
from smscli.emulator.scenario import DEMO_PASSWORD, DEMO_USER, add_big_session, build_demo_state
from smscli.emulator.state import EmulatorState
from smscli.emulator.traffic import TrafficGenerator

MAX_BODY_BYTES = 1 << 20
CSRF_HEADER = "X-CSRF-TOKEN"
CSRF_REJECTION = "Missing or invalid Csrf token"
SESSION_EXPIRED = "Session expired"
NOTIFICATIONS_PATH = "/api/v2/notifications"
_MODIFYING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_MAX_QUERY_FIELDS = 100
_POLL_INTERVAL_S = 0.05  # how soon the accept loop notices stop()
_CONTENT_LENGTH = re.compile(r"[0-9]{1,15}")
SCENARIOS = ("demo", "hostile", "busy")  # what Emulator(scenario=...) builds when no state is given


class _Handler(BaseHTTPRequestHandler):
    """One client connection; every request gets a GWS-shaped answer, never a traceback."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # otherwise each small keep-alive reply waits ~40 ms
    server_version = "GWS-Emulator"
    sys_version = ""
    timeout = 300  # seconds an idle keep-alive connection may hold its thread
    server: _HttpServer

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
            app._report_error(f"{self.command} {self.path}")
            self.close_connection = True
            response = error_response(500, 4, "Internal server error")
        if app.faults.should_drop(path):
            self._send_cut_short(response)
        else:
            self._send(response)

    def _respond(self, app: Emulator, path: str) -> Response:
        body = self._read_body()
        if isinstance(body, Response):
            return body
        delay = app.faults.delay_for(path)
        if delay > 0:
            app._stopping.wait(delay)  # stop() must not wait for an injected delay
        injected = app.faults.error_status(path)
        if injected is not None:
            # Refused before any processing, as an overloaded or restarting server would.
            return _injected_error(injected, app.faults)
        cookie = _cookie(self.headers.get_all("Cookie", ()), "JSESSIONID")
        if app._http_sessions.is_expired(cookie):
            return _session_expired()
        user = app.authenticate(self.headers.get("Authorization", ""))
        http_session = app._http_sessions.get(cookie)
        response = self._route(app, user, http_session, body)
        if user is not None and (http_session is None or http_session.user != user):
            session_id, http_session = app._http_sessions.create(user)
            response.headers.append(("Set-Cookie", f"JSESSIONID={session_id}; Path=/; HttpOnly"))
        if app.csrf and http_session is not None:
            response.headers.append(("X-CSRF-HEADER", CSRF_HEADER))
            response.headers.append((CSRF_HEADER, http_session.csrf_token))
        return response

    def _route(
        self, app: Emulator, user: str | None, http_session: HttpSession | None, body: bytes
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
        match = app._routes.match(segments[2:])
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
        self, app: Emulator, user: str | None, http_session: HttpSession | None, body: bytes
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


class _HttpServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that counts connections and tracks them so stop() can close them."""

    daemon_threads = True
    request_queue_size = 256  # many clients connecting at once must not wait on SYN retries

    def __init__(self, address: tuple[str, int], app: Emulator, family: socket.AddressFamily):
        self.address_family = family
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

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
        self.app._report_error(f"connection from {client_address}")


class Emulator:
    """A GWS SMS server on a local port, backed by an EmulatorState.

    The socket is bound on construction, so ``url`` and ``port`` are known before serving.
    Without a ``state``, ``scenario`` picks the sessions: "demo" (build_demo_state) or
    "hostile" (smscli.emulator.hostile.build_hostile_state) or "busy" (50 Chatting sessions,
    smscli.emulator.busy); with one, it is ignored.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Mapping[str, str] | None = None,
        csrf: bool = False,
        seed: int | None = None,
        traffic_rate: float = 0.0,
        big_sizes: Iterable[int] = (),
        state: EmulatorState | None = None,
        verbose: bool = False,
        cometd_timeout_ms: int = DEFAULT_TIMEOUT_MS,
        cometd_max_interval_ms: int = DEFAULT_MAX_INTERVAL_MS,
        cometd_reply_order: str = EVENTS_FIRST,
        faults: Faults | None = None,
        scenario: str = "demo",
    ) -> None:
        if not traffic_rate >= 0:  # also rejects NaN
            raise ValueError("traffic_rate must be zero or a positive number")
        if scenario not in SCENARIOS:
            raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}, not {scenario!r}")
        self.faults = Faults(seed) if faults is None else faults
        self.users = dict({DEMO_USER: DEMO_PASSWORD} if users is None else users)
        self.csrf = csrf
        self.verbose = verbose
        self.stats = EmulatorStats()
        self._http_sessions = HttpSessions()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._server = _HttpServer((host, port), self, family)
        try:
            self.port: int = self._server.server_address[1]
            self.url = (
                f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
            )
            if state is not None:
                self.state = state
            elif scenario == "busy":
                from smscli.emulator.busy import build_busy_state

                self.state = build_busy_state(base_url=self.url, seed=seed)
            elif scenario == "hostile":
                # Imported here: only this scenario needs it, and it builds a 200 kB message.
                from smscli.emulator.hostile import build_hostile_state

                self.state = build_hostile_state(self.url)
            else:
                self.state = build_demo_state(seed, self.url)
            self.state.base_url = self.url
            for size in big_sizes:
                add_big_session(self.state, size)
        except BaseException:
            self._server.server_close()
            raise
        self._routes = Routes(self.state)
        try:
            self.cometd = CometdHub(
                self.state,
                self.faults,
                timeout_ms=cometd_timeout_ms,
                max_interval_ms=cometd_max_interval_ms,
                reply_order=cometd_reply_order,
            )
        except BaseException:
            self._server.server_close()
            raise
        self.faults.bind(
            forget_clients=self.cometd.forget_clients,
            expire_sessions=self._http_sessions.expire_all,
        )
        self._stopping = threading.Event()
        self._traffic = (
            TrafficGenerator(
                self.state,
                traffic_rate,
                seed,
                f"smscli-emulator-traffic-{self.port}",
                faults=self.faults,
            )
            if traffic_rate
            else None
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._serving = False
        self._stopped = False

    def start(self) -> Self:
        """Serve in a daemon thread; returns self."""
        with self._lock:
            self._begin_serving()
            thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL_S},
                name=f"smscli-emulator-{self.port}",
                daemon=True,
            )
            try:
                thread.start()
            except BaseException:
                self._serving = False  # no loop will run, so stop() must not wait for one
                raise
            self._thread = thread
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() or Ctrl-C."""
        with self._lock:
            self._begin_serving()
        try:
            self._server.serve_forever(poll_interval=_POLL_INTERVAL_S)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving, end the traffic thread and close every socket; idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            serving, thread = self._serving, self._thread
        self._stopping.set()
        self.cometd.close()  # held connects answer now instead of keeping their threads
        if self._traffic is not None:
            self._traffic.stop()
        if serving:
            # Safe even from the serving thread's own finally: the loop has already exited.
            self._server.shutdown()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._server.close_open_connections()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def authenticate(self, header: str) -> str | None:
        """The user named by a valid ``Authorization: Basic`` header value, else None."""
        scheme, _, encoded = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except ValueError:  # bad base64 (binascii.Error) or bad UTF-8 (UnicodeDecodeError)
            return None
        user, sep, password = decoded.partition(":")
        expected = self.users.get(user)
        if not sep or expected is None:
            return None
        if not hmac.compare_digest(password.encode(), expected.encode("utf-8", "replace")):
            return None
        return user

    def _report_error(self, context: str) -> None:
        """Report an unexpected error on stderr, in verbose mode only."""
        if self.verbose:
            sys.stderr.write(f"smscli emulator: error in {context}\n{traceback.format_exc()}")

    def _begin_serving(self) -> None:
        # Called with self._lock held. Once this returns, the accept loop is sure to run, so
        # stop() may rely on shutdown() returning.
        if self._stopped:
            raise RuntimeError("this emulator has been stopped; create a new one")
        if self._serving:
            raise RuntimeError("this emulator is already serving")
        if self._traffic is not None:
            self._traffic.start()
        self._serving = True
