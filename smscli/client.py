"""The GWS API v2 client: auth, cookies, CSRF, retries and the endpoints. No printing.

HTTP itself (limits, deadlines, reasons for failures) is in transport.py, the JSON envelope
and status codes in envelope.py, paging in paging.py; docs/architecture.md draws the layers.
"""

from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from smscli import __version__, envelope, transport
from smscli.errors import BadResponseError, NetworkError, NotFoundError
from smscli.paging import iter_pages, iter_transcript
from smscli.replay import Replay
from smscli.safety import escape, preview_bytes

SESSIONS_PATH = "/api/v2/me/smssessions"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 30.0
MIN_RETRY_DELAY = 0.1
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-csrf-token"})

Notify = Callable[[str], None]


@dataclass(slots=True)
class ClientOptions:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    verify: bool | str = True  # False, True or a CA bundle path
    page_size: int = 1000
    deadline: float = 60.0  # one whole request, connect to the last byte of the body
    max_response_mb: float = 32.0  # a body, after decompression


@dataclass(frozen=True, slots=True)
class Diagnostics:
    cookie_names: list[str]  # names only: values are secrets
    csrf_header: str | None  # the header the server asked CSRF tokens in, if any
    server_date: str | None  # the Date header of the last answer, for the clock check


def redact_url(url: str) -> str:
    """The URL with any ``user:password@`` removed; never raises on a malformed URL."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url.split("@", 1)[-1] if "@" in url else url
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def redact_headers(headers: Any, also: str | None = None) -> dict[str, str]:
    """Headers with secrets replaced; ``also`` names the server's own CSRF header."""
    secret = SECRET_HEADERS | ({also.lower()} if also else set())
    return {k: ("<redacted>" if k.lower() in secret else v) for k, v in headers.items()}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class GwsClient:
    """One HTTP session to one GWS server, reused for every call (keep-alive, cookies, CSRF)."""

    def __init__(self, server: str, user: str | None, password: str | None,
                 options: ClientOptions | None = None, *, on_retry: Notify | None = None,
                 trace: Notify | None = None) -> None:
        self.server = server.rstrip("/")
        self.options = options or ClientOptions()
        self.limits = transport.Limits(self.options.deadline,
                                       int(self.options.max_response_mb * 1024 * 1024))
        self._on_retry = on_retry
        self._trace = trace
        self._csrf: tuple[str, str] | None = None
        self._closed = False
        # The live engines (follow, watch) do their own retrying, across every kind of request.
        self.retry_gets = True
        self.on_success: Callable[[], None] | None = None  # after each answer that worked
        self._last_date: str | None = None  # the Date header of the last answer
        # Transcript paths whose pages after the first go out as the first did (Replay).
        self._replayable: set[str] = set()
        self._replays: dict[str, Replay | None] = {}
        self.http = transport.new_session()  # ~200 ms of imports that --help never pays
        self.http.headers["User-Agent"] = f"smscli/{__version__}"
        self.http.headers["Accept"] = "application/json"
        if user is not None:
            self.http.auth = (user, password or "")
        self.http.verify = self.options.verify
        self.user = user
        try:
            host = urlsplit(self.server).hostname or ""
        except ValueError:
            host = ""
        self._loopback = is_loopback(host)

    def close(self) -> None:
        self._closed = True  # a prefetch still running says nothing more and stops retrying
        self.http.close()

    def __enter__(self) -> GwsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints ---------------------------------------------------------------------------

    def version(self) -> str:
        body = self.get("/api/v2/diagnostics/version")
        return str(body.get("version", "unknown"))

    def me(self, subresources: str | None = None) -> dict:
        params = {"subresources": subresources} if subresources else None
        return envelope.member(self.get("/api/v2/me", params), "user", dict)

    def list_sessions(self) -> list:
        return envelope.member(self.get(SESSIONS_PATH, {"fields": "*"}), "smssessions", list)

    def get_session(self, session_id: str) -> dict:
        """One session; GWS does not document the singular GET, so fall back to the list."""
        try:
            return envelope.member(self.get(_session_path(session_id)), "smssession", dict)
        except NotFoundError:
            for session in self.list_sessions():
                if isinstance(session, dict) and session.get("id") == session_id:
                    return session
            raise NotFoundError(
                f"no SMS session {escape(session_id)} for this user",
                "list the sessions with: smscli sessions list", status=404, status_code=6,
            ) from None

    def iter_messages(self, session_id: str, start: int = 1,
                      page_size: int | None = None,
                      prefetch: bool = False, pages: bool = False
                      ) -> Generator[Any, None, None]:
        """The transcript page by page, as the server sent each message, in server order
        (paging.py). With ``prefetch``, the next page is fetched while this one is consumed
        (long dumps); only that one thread uses the HTTP session meanwhile. With ``pages``,
        the messages come a page (a list) at a time (``paging.iter_pages``)."""
        path = _session_path(session_id) + "/messages"
        self._replayable.add(path)

        def fetch(start_index: int, count: int) -> list:
            body = self.get(path, {"startIndex": start_index, "count": count})
            return envelope.member(body, "messages", list)

        walk = iter_pages if pages else iter_transcript
        return walk(fetch, start, page_size or self.options.page_size, prefetch)

    def operation(self, session_id: str, name: str, **params: Any) -> dict:
        return self.request("POST", _session_path(session_id),
                            json_body={"operationName": name, **params})

    # -- transport ---------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None) -> dict:
        return self.request("GET", path, params=params)

    def request(self, method: str, path: str, *, params: dict | None = None,
                json_body: Any = None) -> dict:
        """Send one request with retries, check HTTP status and ``statusCode``, return the body."""
        retry = self.retry_gets and method in ("GET", "HEAD")
        response, attempts = self._exchange(method, path, params=params, json_body=json_body,
                                            retry=retry)
        body = envelope.decode(response, self.user, attempts)
        if self.on_success:
            self.on_success()
        return body

    def bayeux(self, path: str, messages: list[dict], read_timeout: float) -> list:
        """POST Bayeux messages and return the reply array; the live engines do the retrying."""
        response, _ = self._exchange("POST", path, json_body=messages, retry=False,
                                     read_timeout=read_timeout)
        body = envelope.parse_json(response.content)
        if body is envelope.NOT_JSON or response.status_code >= 400:
            if isinstance(body, dict):
                raise envelope.gws_error(response.status_code, body, self.user, 1)
            raise envelope.not_json_error(response, 1)
        if isinstance(body, dict):
            body = [body]
        if not isinstance(body, list):
            raise BadResponseError(f"the notification endpoint answered {type(body).__name__}, "
                                   "not a Bayeux message array", status=response.status_code)
        if self.on_success:
            self.on_success()
        return body

    def _exchange(self, method: str, path: str, *, params: dict | None = None,
                  json_body: Any = None, retry: bool,
                  read_timeout: float | None = None) -> tuple[Any, int]:
        """The response after retries (GETs only), a CSRF refresh and one re-login if needed."""
        attempts = 1 + (self.options.retries if retry else 0)
        csrf_refreshed = relogged = False
        attempt = 0
        while True:
            attempt += 1
            had_session = bool(self.http.cookies)
            try:
                response = self._send(method, path, params, json_body, read_timeout)
            except NetworkError as exc:
                if attempt < attempts and self._worth_retrying(exc):
                    self._wait(attempt, attempts, None, exc.message)
                    continue
                raise
            status = response.status_code
            if status in RETRY_STATUSES and attempt < attempts and not self._closed:
                self._wait(attempt, attempts, response.headers.get("Retry-After"),
                           f"server answered HTTP {status}")
                continue
            if status == 401 and had_session and not relogged:
                # The HTTP session expired: drop its cookie and token, log in again by Basic.
                relogged = True
                self.http.cookies.clear()
                self._csrf = None
                attempt -= 1
                continue
            if (status == 403 and method not in ("GET", "HEAD") and not csrf_refreshed
                    and b"csrf" in response.content[:200].lower()):
                csrf_refreshed = True
                self._csrf = None
                self.get("/api/v2/me")  # a fresh token comes with any GET
                attempt -= 1
                continue
            if 300 <= status < 400:
                raise _redirect_error(response, self.server)
            return response, attempt

    def _send(self, method: str, path: str, params: dict | None, json_body: Any,
              read_timeout: float | None = None) -> Any:
        url = self.server + path
        headers = {}
        if method not in ("GET", "HEAD") and self._csrf:
            headers[self._csrf[0]] = self._csrf[1]
        read = read_timeout or self.options.read_timeout
        # A long-poll may take as long as the server holds it (its read timeout), not longer.
        deadline = read if read_timeout else None
        timeout = (self.options.connect_timeout, read)
        page = (path in self._replayable and method == "GET" and params is not None
                and json_body is None and read_timeout is None and self._trace is None)
        replay = self._replays.get(path) if page else None
        if replay is not None:  # a transcript's next page, sent as the first was
            response = replay.send(params or {}, self.limits, where=redact_url(self.server),
                                   timeout=timeout)
        else:
            response = transport.send(
                self.http, method, url, self.limits, where=redact_url(self.server),
                params=params, json=json_body, headers=headers,
                # Explicit, or REQUESTS_CA_BUNDLE in the environment would override ca_bundle.
                verify=self.options.verify, timeout=timeout, deadline=deadline,
            )
            if page and path not in self._replays and 200 <= response.status_code < 300:
                self._replays[path] = Replay.of(self.http, response, url,
                                                          params or {}, self.options.verify)
        self._remember_csrf(response)
        self._last_date = response.headers.get("Date")
        if self._trace:
            self._trace_exchange(response)
        return response

    def _worth_retrying(self, exc: NetworkError) -> bool:
        """Not after the deadline (a server that slow won't be faster), nor when nothing listens
        on this machine, nor once the client is closed (a prefetch outliving its reader)."""
        if self._closed or isinstance(exc, transport.DeadlineError):
            return False
        return not (self._loopback and isinstance(exc, transport.RefusedError))

    def diagnostics(self) -> Diagnostics:
        """What `doctor` reports of this HTTP session, without reaching into it."""
        return Diagnostics(sorted(self.http.cookies.keys()), self.csrf_header, self._last_date)

    @property
    def csrf_header(self) -> str | None:
        """The name of the CSRF header the server asked for, if it uses CSRF protection."""
        return self._csrf[0] if self._csrf else None

    def _remember_csrf(self, response: Any) -> None:
        name = response.headers.get("X-CSRF-HEADER")
        token = response.headers.get("X-CSRF-TOKEN")
        if name and token:
            self._csrf = (name, token)
        elif token:
            self._csrf = ("X-CSRF-TOKEN", token)

    def _trace_exchange(self, response: Any) -> None:
        assert self._trace is not None
        req = response.request
        self._trace(f"> {req.method} {redact_url(req.url)}")
        for key, value in redact_headers(req.headers, self.csrf_header).items():
            self._trace(f"> {key}: {value}")
        self._trace(f"< HTTP {response.status_code} {escape(response.reason or '')} "
                    f"({response.elapsed.total_seconds() * 1000:.0f} ms)")
        for key, value in redact_headers(response.headers, self.csrf_header).items():
            self._trace(f"< {key}: {escape(value)}")
        self._trace(f"< {preview_bytes(response.content, 300)}")

    def _wait(self, attempt: int, attempts: int, retry_after: str | None, why: str) -> None:
        delay = _retry_after_seconds(retry_after)  # the server's word, even 0, is kept
        if delay is None:
            delay = self.options.backoff * (2 ** (attempt - 1))
            delay = delay / 2 + random.uniform(0, delay / 2)  # jitter: clients don't stampede
            delay = max(delay, MIN_RETRY_DELAY)
        if self._on_retry and not self._closed:
            when = f"in {delay:.1f}s" if delay >= 0.05 else "now"
            self._on_retry(f"{why}; retrying {when} (attempt {attempt + 1} of {attempts})")
        time.sleep(delay)


def _redirect_error(response: Any, server: str) -> BadResponseError:
    from smscli.transport import LimitError

    location = escape(str(response.headers.get("Location") or "(no Location)")[:200])
    return LimitError(
        f"the server redirected (HTTP {response.status_code}) to {location}; smscli does not "
        "follow redirects, so cookies and tokens never reach another address",
        f"if that is the right server, use it as --server instead of {redact_url(server)}",
        status=response.status_code)


def _session_path(session_id: str) -> str:
    return f"{SESSIONS_PATH}/{quote(session_id, safe='')}"


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
