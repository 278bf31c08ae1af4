"""A small synchronous Bayeux (CometD) long-polling client on the GWS client's HTTP session.

By the book (docs/gws-notes.md, "CometD"): the advised interval is waited before every
/meta/connect; ``reconnect`` is obeyed (retry, handshake, none); ``multiple-clients`` means
another connect of this browser is still held, so we wait; events are taken from every reply,
handshake and subscribe included; and whatever a server does, a connect that comes back at
once with nothing is never followed by another in under ``min_idle`` seconds.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smscli.client import GwsClient
from smscli.errors import BadResponseError

NOTIFICATIONS_PATH = "/api/v2/notifications"
DEFAULT_TIMEOUT_MS = 30_000
WATCHDOG_MARGIN_S = 10.0  # a long-poll this much past the server's timeout is dead
MIN_IDLE_S = 1.0  # the least time between an empty connect reply and the next connect
QUICK_S = 1.0  # an empty reply sooner than this was not held: the server is not long-polling


class RehandshakeNeeded(Exception):
    """The server forgot us (``402::Unknown client``) or advised a new handshake."""


class BayeuxRefused(Exception):
    """The server refused the handshake or a subscription, or advised to stop."""


class BayeuxStop(BayeuxRefused):
    """The server advised ``reconnect: none``: CometD is over for this run."""


MAX_TIMEOUT_MS = 10 * 60 * 1000  # advice beyond this is taken as this
MAX_INTERVAL_MS = 60 * 1000


@dataclass
class Advice:
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    interval_ms: int = 0
    reconnect: str = "retry"
    multiple_clients: bool = False

    def update(self, advice: Any) -> None:
        if not isinstance(advice, dict):
            return
        timeout, interval = advice.get("timeout"), advice.get("interval")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout >= 0:
            self.timeout_ms = int(min(timeout, MAX_TIMEOUT_MS))
        if (isinstance(interval, (int, float)) and not isinstance(interval, bool)
                and interval >= 0):
            self.interval_ms = int(min(interval, MAX_INTERVAL_MS))
        if advice.get("reconnect") in ("retry", "handshake", "none"):
            self.reconnect = advice["reconnect"]
        self.multiple_clients = advice.get("multiple-clients") is True


class BayeuxClient:
    """Handshake, subscribe, connect (long-poll) and disconnect, with the server's advice.

    It rides on GwsClient so that every Bayeux POST carries the same cookies, Basic auth and
    CSRF header as the REST calls (docs/gws-notes.md, "CometD").
    """

    def __init__(self, client: GwsClient, path: str = NOTIFICATIONS_PATH, *,
                 watchdog_margin: float = WATCHDOG_MARGIN_S, min_idle: float = MIN_IDLE_S,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.path = path
        self.client_id: str | None = None
        self.advice = Advice()
        self.subscriptions: list[str] = []
        self.watchdog_margin = watchdog_margin
        self.min_idle = min_idle
        self.pending: list[dict] = []  # events that came with a handshake or subscribe reply
        self.last_connect_held = 0.0  # seconds the last connect was held before its reply
        self._sleep = sleep
        self._next_connect = 0.0  # time.monotonic() before which no connect is sent
        self._ids = itertools.count(1)

    def _post(self, messages: list[dict], read_timeout: float | None = None) -> list:
        for message in messages:
            message["id"] = str(next(self._ids))
            if self.client_id and message["channel"] != "/meta/handshake":
                message["clientId"] = self.client_id
        timeout = read_timeout or self.client.options.read_timeout
        replies = [m for m in self.client.bayeux(self.path, messages, timeout)
                   if isinstance(m, dict)]
        # A server may deliver events with any reply (CometD piggybacks them): keep them all.
        self.pending.extend(m for m in replies
                            if not str(m.get("channel", "")).startswith("/meta/"))
        return replies

    def handshake(self) -> None:
        self.client_id = None
        self.subscriptions.clear()
        self.advice.reconnect = "retry"
        replies = self._post([{
            "channel": "/meta/handshake", "version": "1.0", "minimumVersion": "1.0",
            "supportedConnectionTypes": ["long-polling"],
        }])
        reply = _reply_for(replies, "/meta/handshake")
        self.advice.update(reply.get("advice"))
        if not reply.get("successful") or not isinstance(reply.get("clientId"), str):
            raise BayeuxRefused(f"handshake refused: {reply.get('error') or 'no clientId'}")
        self.client_id = reply["clientId"]
        self._next_connect = 0.0  # a new client connects at once; its failures are paced by
        # the caller's backoff, which grows while the server keeps forgetting us

    def subscribe(self, channels: list[str]) -> list[str]:
        """Subscribe; returns the channels the server refused (those it accepted are kept)."""
        replies = self._post([{"channel": "/meta/subscribe", "subscription": channel}
                              for channel in channels])
        refused = []
        answers = [r for r in replies if r.get("channel") == "/meta/subscribe"]
        for channel in channels:
            answer = next((r for r in answers if _subscription_of(r) == channel), None)
            answer = answer or (answers[0] if len(answers) == 1 else None)
            if answer is None:
                raise BadResponseError(f"no reply to the subscription of {channel}")
            self._check(answer, refusal_is_error=False)
            if answer.get("successful"):
                self.subscriptions.append(channel)
            else:
                refused.append(channel)
        return refused

    def switch(self, old: str, new: str) -> None:
        """Leave ``old`` and join ``new`` in one request, in that order: never both at once (a
        message published in between is found by the REST check that follows)."""
        batch = [{"channel": "/meta/unsubscribe", "subscription": old}] if (
            old in self.subscriptions) else []
        batch.append({"channel": "/meta/subscribe", "subscription": new})
        replies = self._post(batch)
        self.subscriptions = [c for c in self.subscriptions if c != old]
        answer = next((r for r in replies if r.get("channel") == "/meta/subscribe"), None)
        if answer is None:
            raise BadResponseError(f"no reply to the subscription of {new}")
        self._check(answer, refusal_is_error=False)
        if not answer.get("successful"):
            raise BayeuxRefused(f"subscription refused: {new}")
        self.subscriptions.append(new)

    def connect(self) -> list[dict]:
        """One long-poll: the events it brought, in the order the server sent them.

        Events already delivered with another reply come back first, without a request.
        """
        if self.pending:
            events, self.pending = self.pending, []
            return events
        if self.client_id is None:
            raise RehandshakeNeeded("not connected")
        wait = self._next_connect - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        timeout = self.advice.timeout_ms / 1000 + self.watchdog_margin
        sent = time.monotonic()
        try:
            replies = self._post([{"channel": "/meta/connect",
                                   "connectionType": "long-polling"}], read_timeout=timeout)
        except Exception:
            self._hold_off(time.monotonic())
            raise
        now = time.monotonic()
        self.last_connect_held = now - sent
        events, self.pending = self.pending, []
        reply = next((m for m in replies if m.get("channel") == "/meta/connect"), None)
        if reply is not None:
            self.advice.update(reply.get("advice"))
        pause = self.advice.interval_ms / 1000
        if not events and self.last_connect_held < QUICK_S:
            pause = max(pause, self.min_idle)  # answered at once with nothing: not holding
        self._next_connect = now + pause
        if reply is None or not reply.get("successful"):
            self._hold_off(now)  # a connect that failed: the next one waits too
        if reply is None:
            raise BadResponseError("the notification endpoint sent no /meta/connect reply")
        self._check(reply)
        if self.advice.reconnect == "none":
            raise BayeuxStop("the server advised not to reconnect (reconnect: none)")
        return events

    def _hold_off(self, now: float) -> None:
        self._next_connect = now + max(self.advice.interval_ms / 1000, self.min_idle)

    def disconnect(self) -> None:
        """Tell the server we leave; best effort, it must never hold up an exit."""
        if self.client_id is None:
            return
        try:
            self._post([{"channel": "/meta/disconnect"}], read_timeout=2.0)
        except Exception:  # noqa: BLE001 - leaving anyway
            pass
        self.client_id = None

    def _check(self, reply: dict, refusal_is_error: bool = True) -> None:
        self.advice.update(reply.get("advice"))
        if reply.get("successful"):
            return
        error = str(reply.get("error") or "")[:200]
        # CometD says 402::Unknown client (or 402::session_unknown); faye says
        # 401:<id>:Unknown client, without advice.
        lowered = error.lower()
        forgotten = (error.startswith(("401:", "402:")) or "unknown client" in lowered
                     or "session_unknown" in lowered)
        if self.advice.reconnect == "none":
            raise BayeuxStop(f"the server advised not to reconnect: {error or 'no reason'}")
        if forgotten or self.advice.reconnect == "handshake":
            self.client_id = None
            raise RehandshakeNeeded(error or "the server advised a new handshake")
        if refusal_is_error:
            raise BayeuxRefused(f"the server refused the request: {error or 'no reason'}")


def _reply_for(replies: list[dict], channel: str) -> dict:
    for reply in replies:
        if reply.get("channel") == channel:
            return reply
    raise BadResponseError(f"the notification endpoint sent no {channel} reply")


def _subscription_of(reply: dict) -> Any:
    sub = reply.get("subscription")
    return sub[0] if isinstance(sub, list) and len(sub) == 1 else sub
