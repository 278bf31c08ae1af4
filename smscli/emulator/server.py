"""The Emulator: a GWS SMS server on a local port, its state, users, faults, traffic and
threads. How each request is answered (auth, cookies, CSRF, routing) is in handler.py."""

from __future__ import annotations

import base64
import hmac
import socket
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping
from typing import Self

from smscli.emulator.cometd import (
    DEFAULT_MAX_INTERVAL_MS,
    DEFAULT_TIMEOUT_MS,
    EVENTS_FIRST,
    CometdHub,
)
from smscli.emulator.faults import Faults
from smscli.emulator.handler import HttpServer
from smscli.emulator.http_sessions import EmulatorStats, HttpSessions
from smscli.emulator.routes import (
    Routes,
)
from smscli.emulator.scenario import DEMO_PASSWORD, DEMO_USER, add_big_session, build_demo_state
from smscli.emulator.state import EmulatorState
from smscli.emulator.traffic import TrafficGenerator

_POLL_INTERVAL_S = 0.05  # how soon the accept loop notices stop()
SCENARIOS = ("demo", "hostile", "busy")  # what Emulator(scenario=...) builds when no state is given


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
        self.http_sessions = HttpSessions()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._server = HttpServer((host, port), self, family)
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
        self.routes = Routes(self.state)
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
            expire_sessions=self.http_sessions.expire_all,
        )
        self.stopping = threading.Event()
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
        self.stopping.set()
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

    def report_error(self, context: str) -> None:
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
