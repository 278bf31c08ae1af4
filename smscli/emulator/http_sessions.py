"""The emulator's bookkeeping apart from its HTTP handler: request and connection counts, and
the HTTP sessions (JSESSIONID cookies, CSRF tokens) it hands out."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass

MAX_HTTP_SESSIONS = 10_000  # clients that never send cookies back must not exhaust memory


class EmulatorStats:
    """Thread-safe counts of accepted TCP connections and handled HTTP requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections = 0
        self._requests = 0

    @property
    def connections(self) -> int:
        """TCP connections accepted so far."""
        with self._lock:
            return self._connections

    @property
    def requests(self) -> int:
        """HTTP requests answered so far, malformed ones included."""
        with self._lock:
            return self._requests

    def count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def count_request(self) -> None:
        with self._lock:
            self._requests += 1

    def __repr__(self) -> str:
        return f"EmulatorStats(connections={self.connections}, requests={self.requests})"


@dataclass(frozen=True)
class HttpSession:
    user: str
    csrf_token: str


class HttpSessions:
    """JSESSIONID -> owner and CSRF token; the least recently used is evicted first."""

    def __init__(self, limit: int = MAX_HTTP_SESSIONS) -> None:
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, HttpSession] = OrderedDict()
        # Ids expired by the faults, remembered (boundedly) so each use of one is refused.
        self._expired: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def expire_all(self) -> int:
        """Expire every current session; returns how many there were."""
        with self._lock:
            count = len(self._sessions)
            for session_id in self._sessions:
                self._expired[session_id] = None
            self._sessions.clear()
            while len(self._expired) > self._limit:
                self._expired.popitem(last=False)
            return count

    def is_expired(self, session_id: str | None) -> bool:
        if not session_id:
            return False
        with self._lock:
            return session_id in self._expired

    def get(self, session_id: str | None) -> HttpSession | None:
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                self._sessions.move_to_end(session_id)
            return session

    def create(self, user: str) -> tuple[str, HttpSession]:
        session_id = secrets.token_hex(16).upper()
        session = HttpSession(user, str(uuid.uuid4()))
        with self._lock:
            self._sessions[session_id] = session
            while len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)
        return session_id, session
