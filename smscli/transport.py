"""HTTP for the GWS client: one keep-alive session, hard limits on every response, plain reasons.

Every request gets a total deadline (connect, headers and the whole body, however slowly a
server trickles them), a cap on the body counted after decompression (a Content-Length over it
is refused before reading), no redirects, and failures turned into one readable line each.
docs/architecture.md ("Transport") explains where this sits.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smscli import threads
from smscli.errors import BadResponseError, NetworkError

READ_CHUNK = 64 * 1024
INFLATE_SLICE = 1024 * 1024
# Asked for explicitly: requests' default also offers br and zstd where their modules are
# installed, and those we would have to bound by hand as well.
ACCEPT_ENCODING = "gzip, deflate"


class LimitError(BadResponseError):
    """A response broke one of our limits (size, header size, redirect): retrying won't help."""


@dataclass(slots=True)
class Limits:
    deadline: float = 60.0  # seconds for one whole request, connect to last body byte
    max_bytes: int = 32 * 1024 * 1024  # body, after decompression


class _Watch:
    """The deadline of one request: when it passes, the connection's socket is shut down, so a
    read blocked on a server that sends a byte now and then returns at once. A Ctrl-C during
    the request does the same (``interrupt``), and the request then ends in KeyboardInterrupt
    raised by ``within_limits`` rather than somewhere inside requests or urllib3."""

    __slots__ = ("_lock", "due", "expired", "interrupted", "sock")

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.interrupted = False
        self.sock: Any = None
        self._lock = threading.Lock()
        self.due = time.monotonic() + seconds
        _watchdog.add(self)

    def attach(self, sock: Any) -> None:
        with self._lock:
            self.sock = sock
            if self.expired or self.interrupted:
                _shutdown(sock)

    def interrupt(self) -> None:
        """From the SIGINT handler, in the thread that sends the request: no lock taken (the
        handler may run while that thread holds it); ``attach`` sees the flag if it is first."""
        self.interrupted = True
        sock = self.sock
        if sock is not None:
            _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            if self.sock is not None:
                _shutdown(self.sock)

    def cancel(self) -> None:
        _watchdog.remove(self)


class _Watchdog:
    """One thread that expires every request's _Watch at its deadline, started on first use.

    A thread per request (threading.Timer) was started and stopped for every page of a long
    transcript; this one sleeps until the nearest deadline, woken only by a nearer one.
    """

    def __init__(self) -> None:
        # add and remove run in the main thread, where a Ctrl-C may strike: they take the
        # bare lock (`with` on a C lock cannot be interrupted between the acquire and the
        # block), not the Condition, whose Python __enter__ can leave it taken for ever.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._watches: set[_Watch] = set()
        self._thread: threading.Thread | None = None
        self._wakes_at = float("inf")  # when the thread wakes next by itself

    def add(self, watch: _Watch) -> None:
        with self._lock:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threads.start(self._run, "smscli-deadline")
            elif watch.due < self._wakes_at:  # else the thread wakes in time anyway
                self._cond.notify()

    def remove(self, watch: _Watch) -> None:
        with self._lock:
            self._watches.discard(watch)

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [w for w in self._watches if w.due <= now]
                self._watches.difference_update(due)
                if not due:
                    self._wakes_at = min((w.due for w in self._watches), default=float("inf"))
                    self._cond.wait(self._wakes_at - now if self._watches else None)
                    continue
            for watch in due:  # outside the lock: a shutdown may take a moment
                watch.expire()


_watchdog = _Watchdog()


def _shutdown(sock: Any) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_current = threading.local()  # the _Watch of the request this thread is sending


def _watched(base: type) -> type:
    """A urllib3 connection class that hands its socket to the current request's watch."""

    class Watched(base):  # type: ignore[misc, valid-type]
        def request(self, *args: Any, **kwargs: Any) -> Any:
            watch = getattr(_current, "watch", None)
            if watch is not None:
                if getattr(self, "sock", None) is None:
                    self.connect()
                watch.attach(self.sock)
            return super().request(*args, **kwargs)

    Watched.__name__ = f"Watched{base.__name__}"
    return Watched


def new_session() -> Any:
    """A requests.Session whose connections obey the per-request deadline."""
    from urllib.parse import urlsplit

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = _watched(HTTPConnection)

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _watched(HTTPSConnection)

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}

    class Session(requests.Session):
        """Reads the environment's proxies and CA bundle once per server and settings rather
        than for every request (requests walks the environment and parses NO_PROXY each
        time, for every page of a long transcript). The values are those requests finds: only
        the reading is shared, so a variable changed later is seen by the next session."""

        def __init__(self) -> None:
            super().__init__()
            self._settings: dict[tuple, dict] = {}

        def merge_environment_settings(self, url: Any, proxies: Any, stream: Any,
                                       verify: Any, cert: Any) -> dict:
            key = (urlsplit(url)[:2], frozenset((proxies or {}).items()), stream, verify, cert,
                   self.trust_env, frozenset(self.proxies.items()), self.stream, self.verify,
                   self.cert)
            settings = self._settings.get(key)
            if settings is None:
                settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
                self._settings[key] = settings
            return {**settings, "proxies": dict(settings["proxies"])}

    session = Session()
    session.mount("http://", Adapter())
    session.mount("https://", Adapter())
    session.headers["Accept-Encoding"] = ACCEPT_ENCODING
    return session


def send(session: Any, method: str, url: str, limits: Limits, *, where: str,
         timeout: tuple[float, float], deadline: float | None = None, **kwargs: Any) -> Any:
    """One request within the limits; the response comes back with its body read (.content).

    ``where`` names the server in error lines (already redacted). Raises NetworkError for what
    happened on the way (refused, reset, timed out) and LimitError for what the server sent.
    """
    def request() -> Any:
        return session.request(method, url, timeout=timeout, stream=True,
                               allow_redirects=False, **kwargs)

    return within_limits(request, limits, where, deadline)


def within_limits(request: Callable[[], Any], limits: Limits, where: str,
                   deadline: float | None = None) -> Any:
    """``request()`` (a requests.Response, or a Page) within the deadline, its body read."""
    seconds = deadline or limits.deadline
    watch = _Watch(seconds)
    # A Ctrl-C raised as KeyboardInterrupt inside requests or urllib3 can leave one of their
    # locks taken (Python checks for signals between a lock's acquire and the `with` that
    # would release it), and their clean-up then waits on it for ever. So while this request
    # is in flight, a Ctrl-C in this (the main) thread shuts its socket instead, and the
    # KeyboardInterrupt is raised below, outside those libraries. See smscli/threads.py.
    held = threads.interrupt_with(watch.interrupt)
    _current.watch = watch
    try:
        return _within_limits(request, limits, where, seconds, watch)
    finally:
        watch.cancel()
        threads.interrupt_with(held)
        if watch.interrupted:
            raise KeyboardInterrupt  # noqa: B012 - a Ctrl-C outranks how the request ended


def _within_limits(request: Callable[[], Any], limits: Limits, where: str, seconds: float,
                   watch: _Watch) -> Any:
    import requests
    import urllib3

    started = time.monotonic()
    try:
        try:
            response = request()
        finally:
            _current.watch = None
        try:
            response._content = _read_body(response, limits.max_bytes, watch)
            response._content_consumed = True  # so close() hands the connection back
        finally:
            response.close()
    except LimitError:
        raise
    except zlib.error:
        raise BadResponseError(f"{where} sent a corrupt compressed body",
                               "a proxy or the server is failing; try --debug") from None
    except requests.exceptions.SSLError as exc:
        if watch.expired:
            raise _timed_out(where, seconds) from None
        raise NetworkError(f"TLS error talking to {where}: {tls_reason(exc)}",
                           "check the certificate, or set ca_bundle in the profile "
                           "(or SMSCLI_CA_BUNDLE)") from None
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        if watch.expired or _is_timeout(exc):
            spent = time.monotonic() - started
            raise _timed_out(where, seconds if watch.expired else spent) from None
        raise failure(exc, where) from None
    return response


def _read_body(response: Any, cap: int, watch: _Watch) -> bytes:
    """The body, decompressed by us with a bound on what each chunk may inflate to."""
    mb = cap / (1024 * 1024)
    length = response.headers.get("Content-Length")
    size = int(length) if length is not None and length.strip().isdigit() else None
    if size is not None and size > cap:
        raise LimitError(f"response larger than {mb:g} MB (Content-Length {size})",
                         "raise max_response_mb (SMSCLI_MAX_RESPONSE_MB) if it is genuine")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    decoder = (zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, told by the header
               if encoding in ("gzip", "x-gzip", "deflate") else None)
    parts: list[bytes] = []
    total = 0

    def add(data: bytes) -> None:
        nonlocal total
        parts.append(data)
        total += len(data)
        if total > cap:
            raise LimitError(f"response larger than {mb:g} MB",
                             "raise max_response_mb (SMSCLI_MAX_RESPONSE_MB) if it is genuine")

    raw = response.raw
    if decoder is None and size and raw.length_remaining == size:
        # A body sent as it is, of a length known and under the cap (a transcript page): one
        # read into one buffer, which is the body (a join of one part is that part), instead
        # of 64 KB at a time, each copied twice. A body cut short gives the error it gave:
        # the loop below reads on and finds the end too early. A read blocked on a trickle
        # returns when the deadline shuts the socket down (_Watch) and is reported as such.
        add(raw.read(size, decode_content=False))
        if watch.expired:
            raise OSError(errno.ETIMEDOUT, "deadline passed")
    for chunk in raw.stream(READ_CHUNK, decode_content=False):
        if watch.expired:
            raise OSError(errno.ETIMEDOUT, "deadline passed")
        if decoder is None:
            add(chunk)
            continue
        # Inflated a slice at a time: 64 KB of a bomb would otherwise become 64 MB at once.
        while chunk:
            add(decoder.decompress(chunk, INFLATE_SLICE))
            chunk = decoder.unconsumed_tail
    if watch.expired:
        raise OSError(errno.ETIMEDOUT, "deadline passed")
    if decoder is not None:
        add(decoder.flush())
    return b"".join(parts)


def _timed_out(where: str, seconds: float) -> NetworkError:
    return DeadlineError(f"timed out after {seconds:.0f} s talking to {where}",
                        "the server or the network is too slow; raise the deadline "
                        "(SMSCLI_DEADLINE) or the timeout (SMSCLI_TIMEOUT)")


# -- why a request failed, in words ----------------------------------------------------------

def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (requests -> urllib3 -> http.client -> OSError)."""
    found: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo and len(found) < 30:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is f for f in found):
            continue
        found.append(item)
        todo.extend(item.args)
        todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
    return found


def _is_timeout(exc: BaseException) -> bool:
    import requests

    return any(isinstance(c, (TimeoutError, socket.timeout, requests.exceptions.Timeout))
               or type(c).__name__ in ("ReadTimeoutError", "ConnectTimeoutError")
               for c in _causes(exc))


def failure(exc: BaseException, where: str) -> NetworkError | LimitError:
    """One line for a request that failed on the way: what happened, not a chain of reprs."""
    import http.client

    causes = _causes(exc)
    names = {type(c).__name__ for c in causes}
    text = " ".join(str(c) for c in causes)
    if any(isinstance(c, http.client.LineTooLong) for c in causes) or "got more than" in text:
        return LimitError("response header too large",
                          "a proxy or the server is misbehaving; try --debug")
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return RefusedError(f"cannot connect to {where}: connection refused",
                            "check --server and that the server is up (or try --demo)")
    if any(isinstance(c, socket.gaierror) for c in causes) or "NameResolution" in text:
        return NetworkError(f"cannot connect to {where}: unknown host",
                            "check the host name in --server")
    if any(isinstance(c, (ConnectionResetError, BrokenPipeError)) for c in causes):
        return NetworkError(f"lost the connection to {where}: connection reset by the server",
                            "the server or a proxy dropped the connection; try again")
    if "RemoteDisconnected" in names or "IncompleteRead" in names or "ProtocolError" in names:
        return NetworkError(f"lost the connection to {where}: the server closed it mid-answer",
                            "the server or a proxy dropped the connection; try again")
    if any(isinstance(c, OSError) and c.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)
           for c in causes):
        return NetworkError(f"cannot connect to {where}: network unreachable")
    first = next((c for c in reversed(causes) if str(c)), exc)
    from smscli.safety import escape

    reason = escape(str(first).strip("()'\" ")[:120]) or type(first).__name__
    return NetworkError(f"request to {where} failed: {reason}")


class RefusedError(NetworkError):
    """Nothing listens there: on loopback, retrying is pointless."""


class DeadlineError(NetworkError):
    """The request took longer than its deadline, or than the read timeout between bytes."""


def tls_reason(exc: BaseException) -> str:
    import re

    from smscli.safety import escape

    text = " ".join(str(c) for c in _causes(exc))
    match = re.search(r"certificate verify failed: ([^(\]'\"]+)", text)
    if match:
        return f"certificate verify failed: {match.group(1).strip()}"
    match = re.search(r"(hostname '[^']*' doesn't match [^)\]\"]+)", text)
    if match:
        return escape(match.group(1))
    return escape(str(exc)[:160])
