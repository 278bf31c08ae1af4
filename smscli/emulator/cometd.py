"""The emulator's CometD endpoint: Bayeux 1.0 long-polling over the EmulatorState's notifications."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smscli.emulator.faults import DUPLICATE, REORDER, Faults
from smscli.emulator.routes import Response, error_response
from smscli.emulator.state import EmulatorState, Notification
from smscli.emulator.transcript import encode_json, join_json_array

# Where a connect reply goes among the events it delivers; real CometD servers vary.
EVENTS_FIRST = "events-first"
REPLY_FIRST = "reply-first"
REPLY_MIDDLE = "middle"
REPLY_ORDERS = (EVENTS_FIRST, REPLY_FIRST, REPLY_MIDDLE)

DEFAULT_TIMEOUT_MS = 30_000
DEFAULT_MAX_INTERVAL_MS = 10_000
MAX_QUEUED_EVENTS = 10_000  # per client; beyond it the oldest events are dropped
MAX_CLIENTS = 10_000  # handshakes that never connect must not exhaust memory
UNKNOWN_CLIENT = "402::Unknown client"
BAYEUX_VERSION = "1.0"
LONG_POLLING = "long-polling"


@dataclass(frozen=True)
class _Event:
    channel: str
    encoded: bytes  # the whole {"channel":...,"data":...} message, encoded once for all clients
    is_copy: bool = False  # a duplicate injected by the faults; never duplicated again


@dataclass(eq=False)
class _Client:
    client_id: str
    user: str
    wakeup: threading.Condition
    last_seen: float
    subscriptions: set[str] = field(default_factory=set)
    queue: deque[_Event] = field(default_factory=deque)
    generation: int = 0  # bumped by each connect, so a newer connect releases an older one
    holding: bool = False  # a connect is waiting for events right now
    gone: bool = False  # disconnected or forgotten while a connect may still hold

    def wants(self, channel: str) -> bool:
        return any(channel_matches(pattern, channel) for pattern in self.subscriptions)


def channel_matches(pattern: str, channel: str) -> bool:
    """Bayeux matching: exact, ``/a/*`` (one more segment) or ``/a/**`` (any depth)."""
    if pattern == channel:
        return True
    prefix, _, last = pattern.rpartition("/")
    if last not in ("*", "**") or not channel.startswith(prefix + "/"):
        return False
    rest = channel[len(prefix) + 1 :]
    return bool(rest) and (last == "**" or "/" not in rest)


def valid_subscription(pattern: Any) -> bool:
    """A non-meta channel name, with ``*`` or ``**`` allowed only as the whole last segment."""
    if not isinstance(pattern, str) or not pattern.startswith("/") or pattern.startswith("/meta/"):
        return False
    segments = pattern[1:].split("/")
    if not all(segments) or any("*" in segment for segment in segments[:-1]):
        return False
    return "*" not in segments[-1] or segments[-1] in ("*", "**")


class CometdHub:
    """Bayeux clients, their subscriptions and event queues, and the held ``/meta/connect``s.

    One lock guards every client; each client has its own Condition on that lock so an event
    wakes only the connects that want it.
    """

    def __init__(
        self,
        state: EmulatorState,
        faults: Faults | None = None,
        *,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        max_interval_ms: int = DEFAULT_MAX_INTERVAL_MS,
        reply_order: str = EVENTS_FIRST,
        queue_limit: int = MAX_QUEUED_EVENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (("timeout_ms", timeout_ms), ("max_interval_ms", max_interval_ms)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")
        if isinstance(queue_limit, bool) or not isinstance(queue_limit, int) or queue_limit < 1:
            raise ValueError("queue_limit must be a positive integer")
        self.timeout_ms = timeout_ms
        self.max_interval_ms = max_interval_ms
        self.faults = faults if faults is not None else Faults()
        self._queue_limit = queue_limit
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._reply_order = EVENTS_FIRST
        self.reply_order = reply_order
        self._dropped = 0
        self._connects = 0
        self._closed = False
        self._unsubscribe = state.subscribe(self._on_notification)

    # -- settings and figures ---------------------------------------------------------------

    @property
    def reply_order(self) -> str:
        """Where a connect reply goes among its events: one of REPLY_ORDERS."""
        with self._lock:
            return self._reply_order

    @reply_order.setter
    def reply_order(self, value: str) -> None:
        if value not in REPLY_ORDERS:
            raise ValueError(f"reply_order must be one of {', '.join(REPLY_ORDERS)}")
        with self._lock:
            self._reply_order = value

    @property
    def connects(self) -> int:
        """/meta/connect requests received so far (a follower sends its first after reading
        the history: tests wait on this instead of sleeping)."""
        with self._lock:
            return self._connects

    @property
    def dropped_events(self) -> int:
        """Events discarded because a client's queue was full."""
        with self._lock:
            return self._dropped

    @property
    def client_count(self) -> int:
        """Clients currently known (expired ones are swept lazily)."""
        with self._lock:
            self._sweep()
            return len(self._clients)

    # -- lifecycle --------------------------------------------------------------------------

    def forget_clients(self) -> int:
        """Forget every client, as a server restart does; returns how many there were."""
        with self._lock:
            forgotten = list(self._clients.values())
            self._clients.clear()
            for client in forgotten:
                self._release(client)
            return len(forgotten)

    def close(self) -> None:
        """Stop taking events and answer every held connect now; idempotent."""
        self._unsubscribe()
        with self._lock:
            self._closed = True
            for client in self._clients.values():
                client.wakeup.notify_all()

    # -- the HTTP entry point ---------------------------------------------------------------

    def handle(self, body: bytes, user: str) -> Response:
        """Answer one POST to /api/v2/notifications[/...] for an authenticated ``user``."""
        messages = _parse_messages(body)
        if messages is None:
            return error_response(
                400, 1, "Request body must be a JSON array of Bayeux messages with a channel"
            )
        replies: list[bytes] = []
        for message in messages:
            replies.extend(self._dispatch(message, user))
        return Response(200, join_json_array(replies))

    def _dispatch(self, message: dict[str, Any], user: str) -> list[bytes]:
        channel = message["channel"]
        if channel == "/meta/handshake":
            return [self._handshake(message, user)]
        if channel == "/meta/connect":
            return self._connect(message, user)
        if channel in ("/meta/subscribe", "/meta/unsubscribe"):
            return [self._subscription(message, user, add=channel == "/meta/subscribe")]
        if channel == "/meta/disconnect":
            return [self._disconnect(message, user)]
        if channel.startswith("/meta/"):
            return [_failure(message, "400::Unknown meta channel")]
        # Agents only listen on GWS; publishing to a topic is not something it accepts.
        return [_failure(message, "403::Publishing is not allowed")]

    # -- meta channels ----------------------------------------------------------------------

    def _handshake(self, message: dict[str, Any], user: str) -> bytes:
        client_id = secrets.token_hex(12)
        with self._lock:
            self._sweep()
            while len(self._clients) >= MAX_CLIENTS:
                _, oldest = self._clients.popitem(last=False)
                self._release(oldest)
            self._clients[client_id] = _Client(
                client_id, user, threading.Condition(self._lock), self._clock()
            )
        return _reply(
            message,
            clientId=client_id,
            version=BAYEUX_VERSION,
            supportedConnectionTypes=[LONG_POLLING],
            advice=self._advice(),
        )

    def _subscription(self, message: dict[str, Any], user: str, *, add: bool) -> bytes:
        wanted = message.get("subscription")
        listed: list[Any] = wanted if isinstance(wanted, list) else [wanted]
        if not listed or not all(valid_subscription(pattern) for pattern in listed):
            return _failure(message, "400::Invalid subscription")
        patterns: list[str] = listed
        with self._lock:
            client = self._find(message, user)
            if client is None:
                return _unknown_client(message)
            if add:
                client.subscriptions.update(patterns)
            else:
                client.subscriptions.difference_update(patterns)
        return _reply(message, clientId=client.client_id, subscription=wanted)

    def _disconnect(self, message: dict[str, Any], user: str) -> bytes:
        with self._lock:
            client = self._find(message, user)
            if client is None:
                return _unknown_client(message)
            del self._clients[client.client_id]
            self._release(client)
        return _reply(message, clientId=client.client_id)

    def _connect(self, message: dict[str, Any], user: str) -> list[bytes]:
        hold_s = self._hold_ms(message) / 1000
        with self._lock:
            self._connects += 1
            client = self._find(message, user)
            if client is None:
                return [_unknown_client(message)]
            client.generation += 1
            generation = client.generation
            client.holding = True
            client.wakeup.notify_all()  # a connect already held for this client returns now
            client.wakeup.wait_for(
                lambda: (
                    bool(client.queue)
                    or client.gone
                    or self._closed
                    or client.generation != generation
                ),
                timeout=hold_s,
            )
            if client.gone:
                return [_unknown_client(message)]
            events: list[_Event] = []
            if client.generation == generation:  # not superseded by a newer connect
                events = self._take_events(client)
                client.holding = False
                client.last_seen = self._clock()
            order = self._reply_order
        reply = _reply(message, clientId=client.client_id, advice=self._advice())
        return _arrange([event.encoded for event in events], reply, order)

    # -- events -----------------------------------------------------------------------------

    def _on_notification(self, notification: Notification) -> None:
        # Runs inside the state's lock: only enqueue and wake, never block or call back.
        channel = notification.get("channel")
        if not isinstance(channel, str):
            return
        with self._lock:
            self._sweep()
            targets = [client for client in self._clients.values() if client.wants(channel)]
            if not targets:
                return
            event = _Event(channel, encode_json(notification))
            for client in targets:
                self._enqueue(client, event)

    def _enqueue(self, client: _Client, event: _Event, *, first: bool = False) -> None:
        if len(client.queue) >= self._queue_limit:
            client.queue.popleft()
            self._dropped += 1
        if first:
            client.queue.appendleft(event)
        else:
            client.queue.append(event)
        client.wakeup.notify_all()

    def _take_events(self, client: _Client) -> list[_Event]:
        # Called with the lock held; applies the delivery faults to what leaves the queue.
        originals = list(client.queue)
        client.queue.clear()
        later: dict[int, list[_Event]] = {}  # position of an original -> copies to follow it
        carried: list[_Event] = []
        for position, event in enumerate(originals):
            if event.is_copy or not self.faults.roll(DUPLICATE):
                continue
            copy = _Event(event.channel, event.encoded, is_copy=True)
            if self.faults.choice(2):  # again in the next connect reply
                carried.append(copy)
            else:  # again later in this one, after the original
                after = position + self.faults.choice(len(originals) - position)
                later.setdefault(after, []).append(copy)
        events: list[_Event] = []
        for position, event in enumerate(originals):
            events.append(event)
            events.extend(later.get(position, ()))
        for copy in reversed(carried):
            self._enqueue(client, copy, first=True)
        if len(events) >= 2 and self.faults.roll(REORDER):
            i = self.faults.choice(len(events) - 1)
            events[i], events[i + 1] = events[i + 1], events[i]
        return events

    # -- helpers (called with the lock held unless noted) ------------------------------------

    def _find(self, message: dict[str, Any], user: str) -> _Client | None:
        self._sweep()
        client_id = message.get("clientId")
        client = self._clients.get(client_id) if isinstance(client_id, str) else None
        # A clientId belongs to the user who shook hands; another user's is simply unknown.
        return client if client is not None and client.user == user else None

    def _sweep(self) -> None:
        limit_s = self.max_interval_ms / 1000
        now = self._clock()
        expired = [
            client
            for client in self._clients.values()
            if not client.holding and now - client.last_seen > limit_s
        ]
        for client in expired:
            del self._clients[client.client_id]
            self._release(client)

    def _release(self, client: _Client) -> None:
        client.gone = True
        client.queue.clear()
        client.wakeup.notify_all()

    def _hold_ms(self, message: dict[str, Any]) -> int:
        # No lock needed. CometD clients send advice.timeout 0 on their first connect to get an
        # immediate answer; a shorter wait than the server's is honoured, never a longer one.
        advice = message.get("advice")
        asked = advice.get("timeout") if isinstance(advice, dict) else None
        if isinstance(asked, int | float) and not isinstance(asked, bool) and asked >= 0:
            return int(min(asked, self.timeout_ms))
        return self.timeout_ms

    def _advice(self) -> dict[str, Any]:
        return {"reconnect": "retry", "interval": 0, "timeout": self.timeout_ms}


def _parse_messages(body: bytes) -> list[dict[str, Any]] | None:
    try:
        parsed = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # ValueError covers bad UTF-8 too
        return None
    messages = parsed if isinstance(parsed, list) else [parsed]
    if not all(isinstance(m, dict) and isinstance(m.get("channel"), str) for m in messages):
        return None
    return messages


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _reply(message: dict[str, Any], successful: bool = True, **fields: Any) -> bytes:
    reply: dict[str, Any] = {"channel": message["channel"], "successful": successful, **fields}
    if "id" in message:
        reply["id"] = message["id"]
    return encode_json(reply)


def _failure(message: dict[str, Any], error: str) -> bytes:
    return _reply(message, False, error=error)


def _unknown_client(message: dict[str, Any]) -> bytes:
    extra = {"clientId": message["clientId"]} if isinstance(message.get("clientId"), str) else {}
    return _reply(
        message,
        False,
        **extra,
        error=UNKNOWN_CLIENT,
        advice={"reconnect": "handshake", "interval": 0},
    )


def _arrange(events: list[bytes], reply: bytes, order: str) -> list[bytes]:
    if order == REPLY_FIRST:
        position = 0
    elif order == REPLY_MIDDLE:
        position = (len(events) + 1) // 2
    else:
        position = len(events)
    return [*events[:position], reply, *events[position:]]
