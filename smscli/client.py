"""The GWS API v2 client: auth, cookies, CSRF, envelopes, errors, retries and paging. No printing."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from smscli import __version__
from smscli.errors import (
    AuthError,
    BadResponseError,
    NetworkError,
    NotFoundError,
    ServerError,
    SmscliError,
)
from smscli.models import message_key, positive_index
from smscli.safety import escape, preview_bytes

SESSIONS_PATH = "/api/v2/me/smssessions"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 30.0
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


def redact_url(url: str) -> str:
    """The URL with any ``user:password@`` removed."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def redact_headers(headers: Any) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


class GwsClient:
    """One HTTP session to one GWS server, reused for every call (keep-alive, cookies, CSRF)."""

    def __init__(self, server: str, user: str | None, password: str | None,
                 options: ClientOptions | None = None, *, on_retry: Notify | None = None,
                 trace: Notify | None = None) -> None:
        import requests  # deferred: ~200 ms that commands without a server never pay

        self._requests = requests
        self.server = server.rstrip("/")
        self.options = options or ClientOptions()
        self._on_retry = on_retry
        self._trace = trace
        self._csrf: tuple[str, str] | None = None
        self.last_response: Any = None
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"smscli/{__version__}"
        self.http.headers["Accept"] = "application/json"
        if user is not None:
            self.http.auth = (user, password or "")
        self.http.verify = self.options.verify
        self.user = user

    def close(self) -> None:
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
        return _member(self.get("/api/v2/me", params), "user", dict)

    def list_sessions(self) -> list:
        return _member(self.get(SESSIONS_PATH, {"fields": "*"}), "smssessions", list)

    def get_session(self, session_id: str) -> dict:
        """One session; GWS does not document the singular GET, so fall back to the list."""
        try:
            return _member(self.get(_session_path(session_id)), "smssession", dict)
        except NotFoundError:
            for session in self.list_sessions():
                if isinstance(session, dict) and session.get("id") == session_id:
                    return session
            raise NotFoundError(
                f"no SMS session {escape(session_id)} for this user",
                "list the sessions with: smscli sessions list", status=404, status_code=6,
            ) from None

    def iter_messages(self, session_id: str, start: int = 1,
                      page_size: int | None = None, prefetch: bool = False) -> Iterator[Any]:
        """The transcript page by page, as the server sent each message, in server order.

        Indexes may repeat, jump, or be -1 (TranscriptSaveDone), so each next page starts at
        the last index seen rather than after it, and asks for as many more messages as it
        re-reads; what was already yielded is recognised by message identity and skipped.
        With ``prefetch``, the next page is fetched while this one is consumed (long dumps);
        only that one thread uses the HTTP session meanwhile.
        """
        pages = self._pages(session_id, max(start, 1), max(1, page_size or self.options.page_size))
        for page, overlap in (_prefetched(pages) if prefetch else pages):
            # Only the head of a page can repeat what was yielded: identify just those.
            head = len(overlap)
            for raw in page[:head]:
                if message_key(raw) not in overlap:
                    yield raw
            yield from page[head:]

    def _pages(self, session_id: str, start: int, size: int) -> Iterator[tuple[list, set]]:
        """Each page with the identities, yielded before, that its head may repeat."""
        path = _session_path(session_id) + "/messages"
        overlap: set[tuple] = set()
        while True:
            want = size + len(overlap)
            page = _member(self.get(path, {"startIndex": start, "count": want}), "messages", list)
            yield page, overlap
            if len(page) < want:
                return
            start, overlap = _tail_of_page(page, start)

    def operation(self, session_id: str, name: str, **params: Any) -> dict:
        return self.request("POST", _session_path(session_id),
                            json_body={"operationName": name, **params})

    # -- transport ---------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None) -> dict:
        return self.request("GET", path, params=params)

    def request(self, method: str, path: str, *, params: dict | None = None,
                json_body: Any = None) -> dict:
        """Send one request with retries, check HTTP status and ``statusCode``, return the body."""
        response, attempts = self._exchange(method, path, params=params, json_body=json_body,
                                            retry=method in ("GET", "HEAD"))
        return self._decode(response, attempts_made=attempts)

    def bayeux(self, path: str, messages: list[dict], read_timeout: float) -> list:
        """POST Bayeux messages and return the reply array; the follow engine does the retrying."""
        response, _ = self._exchange("POST", path, json_body=messages, retry=False,
                                     read_timeout=read_timeout)
        body = _parse_json(response.content)
        if body is _NOT_JSON or response.status_code >= 400:
            if isinstance(body, dict):
                raise _gws_error(response.status_code, body, self, 1)
            raise _not_json_error(response, 1)
        if isinstance(body, dict):
            return [body]
        if not isinstance(body, list):
            raise BadResponseError(f"the notification endpoint answered {type(body).__name__}, "
                                   "not a Bayeux message array", status=response.status_code)
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
                if attempt < attempts:
                    self._wait(attempt, None, exc.message)
                    continue
                raise
            status = response.status_code
            if status in RETRY_STATUSES and attempt < attempts:
                self._wait(attempt, response.headers.get("Retry-After"),
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
            return response, attempt

    def _send(self, method: str, path: str, params: dict | None, json_body: Any,
              read_timeout: float | None = None) -> Any:
        url = self.server + path
        headers = {}
        if method not in ("GET", "HEAD") and self._csrf:
            headers[self._csrf[0]] = self._csrf[1]
        req = self._requests
        try:
            response = self.http.request(
                method, url, params=params, json=json_body, headers=headers,
                # Explicit, or REQUESTS_CA_BUNDLE in the environment would override ca_bundle.
                verify=self.options.verify,
                timeout=(self.options.connect_timeout, read_timeout or self.options.read_timeout),
            )
        except req.exceptions.SSLError as exc:
            raise NetworkError(
                f"TLS error talking to {redact_url(self.server)}: {_tls_reason(exc)}",
                "check the certificate, or set ca_bundle in the profile (or SMSCLI_CA_BUNDLE)",
            ) from None
        except req.exceptions.Timeout:
            raise NetworkError(
                f"timed out talking to {redact_url(self.server)}",
                "check the server address, or raise the timeout (SMSCLI_TIMEOUT)",
            ) from None
        except req.exceptions.ConnectionError as exc:
            raise NetworkError(
                f"cannot connect to {redact_url(self.server)}: {_reason(exc)}",
                "check --server and that the server is up (or try --demo)",
            ) from None
        except req.exceptions.RequestException as exc:
            raise NetworkError(f"request to {redact_url(url)} failed: {_reason(exc)}") from None
        self._remember_csrf(response)
        self.last_response = response  # for `doctor`: the Date header, cookies, CSRF pair
        if self._trace:
            self._trace_exchange(response)
        return response

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
        for key, value in redact_headers(req.headers).items():
            self._trace(f"> {key}: {value}")
        self._trace(f"< HTTP {response.status_code} {escape(response.reason or '')} "
                    f"({response.elapsed.total_seconds() * 1000:.0f} ms)")
        for key, value in redact_headers(response.headers).items():
            self._trace(f"< {key}: {escape(value)}")
        self._trace(f"< {preview_bytes(response.content, 300)}")

    def _wait(self, attempt: int, retry_after: str | None, why: str) -> None:
        delay = _retry_after_seconds(retry_after)
        if delay is None:
            delay = self.options.backoff * (2 ** (attempt - 1))
            delay = delay / 2 + random.uniform(0, delay / 2)  # jitter: clients don't stampede
        if self._on_retry:
            self._on_retry(f"{why}; retrying in {delay:.1f}s "
                           f"(attempt {attempt + 1} of {1 + self.options.retries})")
        time.sleep(delay)

    def _decode(self, response: Any, attempts_made: int) -> dict:
        status = response.status_code
        body = _parse_json(response.content)
        if body is _NOT_JSON:
            raise _not_json_error(response, attempts_made)
        if not isinstance(body, dict):
            raise BadResponseError(
                f"server answered HTTP {status} with JSON that is not an object "
                f"({type(body).__name__}): {preview_bytes(response.content)}",
                "is --server the GWS base URL (without /api/v2)?", status=status,
            )
        code = body.get("statusCode")
        if status < 400 and code in (0, None, "0"):
            return body
        raise _gws_error(status, body, self, attempts_made)


_NOT_JSON = object()


def _parse_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _NOT_JSON


def _member(body: dict, key: str, kind: type) -> Any:
    """The envelope's payload under ``key``; a missing or mistyped payload is a clear error."""
    value = body.get(key)
    if isinstance(value, kind):
        return value
    keys = ", ".join(sorted(escape(str(k)) for k in body)) or "none"
    found = "missing" if value is None else f"a {type(value).__name__}"
    raise BadResponseError(
        f"the server's answer has no '{key}' {kind.__name__} ({found}; keys: {keys})",
        "this server may not speak GWS API v2 as smscli expects; try --debug",
    )


_DONE = object()


def _prefetched(pages: Iterator[tuple[list, set]], depth: int = 2) -> Iterator[tuple[list, set]]:
    """Pages fetched by a background thread, at most ``depth`` ahead: the network and the
    server's work overlap with the rendering (bench/dump.py measures what it saves)."""
    import queue
    import threading

    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for item in pages:
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            ready.put(exc)

    thread = threading.Thread(target=fetch, name="smscli-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the consumer stopped (limit, head, Ctrl-C): the fetcher stops too


def _tail_of_page(page: list, start: int) -> tuple[int, set[tuple]]:
    """Where the next page starts (the highest index seen) and the messages already at it.

    A message without a positive index counts as part of the positive index before it, as the
    emulator does and as GWS's "index of the first returned message" suggests. Indexes rise
    through a page, so the tail is found walking back from its end.
    """
    last = max((i for i in map(positive_index, reversed(page)) if i is not None), default=None)
    if last is None or last <= start:
        # Nothing moved the index: the whole page sits at the start index.
        return start, {message_key(raw) for raw in page}
    tail = []
    for raw in reversed(page):
        index = positive_index(raw)
        if index is not None and index < last:
            break
        tail.append(raw)
    return last, {message_key(raw) for raw in tail}


def _session_path(session_id: str) -> str:
    return f"{SESSIONS_PATH}/{quote(session_id, safe='')}"


def _reason(exc: Exception) -> str:
    """A short reason from a requests exception, without its nested reprs."""
    text = str(exc)
    for marker in ("Failed to establish a new connection: ", "Caused by ", "] "):
        if marker in text:
            text = text.split(marker, 1)[1]
    text = text.split("'))")[0].strip("()'\" ")
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return escape(text[:160])


def _tls_reason(exc: Exception) -> str:
    text = str(exc)
    match = re.search(r"certificate verify failed: ([^(\]'\"]+)", text)
    if match:
        return f"certificate verify failed: {match.group(1).strip()}"
    match = re.search(r"(hostname '[^']*' doesn't match [^)\]\"]+)", text)
    return escape(match.group(1)) if match else _reason(exc)


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


def _not_json_error(response: Any, attempts_made: int) -> SmscliError:
    status = response.status_code
    ctype = escape(response.headers.get("Content-Type", "no content type"))
    if not response.content:
        what = "an empty body"
    else:
        what = f"{ctype}, not JSON: {preview_bytes(response.content)!s}"
    tried = f" after {attempts_made} attempts" if attempts_made > 1 else ""
    if status == 401:
        return AuthError(f"authentication failed (HTTP 401, {what})",
                         "check --user and SMSCLI_PASSWORD", status=status)
    if status == 403:
        return AuthError(f"access denied (HTTP 403, {what})",
                         "the user may lack permission, or the CSRF token was refused",
                         status=status)
    if status == 404:
        return NotFoundError(f"not found (HTTP 404, {what})",
                             "is --server the GWS base URL (without /api/v2)?", status=status)
    return BadResponseError(f"server answered HTTP {status}{tried} with {what}",
                            "a proxy or the server is failing; try again later or use --debug",
                            status=status)


_GWS_CODES = {
    1: "required parameter missing", 2: "not valid for the current state",
    3: "operation forbidden", 4: "internal server error", 5: "permission denied",
    6: "not found", 7: "partial success", 10: "invalid input", 20: "not authenticated",
}


def _gws_error(status: int, body: dict, client: GwsClient, attempts_made: int) -> SmscliError:
    code = body.get("statusCode")
    message = escape(str(body.get("statusMessage") or _GWS_CODES.get(code, "no message")))  # type: ignore[arg-type]
    where = f"HTTP {status}, statusCode {escape(str(code))}"
    if status == 401 or code == 20:
        user = escape(client.user or "(none)")
        return AuthError(f"authentication failed for user {user}: {message} ({where})",
                         "check --user and SMSCLI_PASSWORD", status=status, status_code=code)
    if status == 403 or code in (3, 5):
        return AuthError(f"permission denied: {message} ({where})",
                         "the user needs the SMS (api-multimedia) feature for this",
                         status=status, status_code=code)
    if status == 404 or code == 6:
        return NotFoundError(f"not found: {message} ({where})", status=status, status_code=code)
    if status >= 500 or code == 4:
        tried = f" after {attempts_made} attempts" if attempts_made > 1 else ""
        return ServerError(f"server error{tried}: {message} ({where})",
                           "the GWS server or one of its back ends is failing; try again later",
                           status=status, status_code=code)
    return SmscliError(f"request rejected: {message} ({where})", status=status, status_code=code)
