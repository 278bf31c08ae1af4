"""A small synchronous Bayeux (CometD) long-polling client on the GWS client's HTTP session."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from smscli.client import GwsClient
from smscli.errors import BadResponseError

NOTIFICATIONS_PATH = "/api/v2/notifications"
DEFAULT_TIMEOUT_MS = 30_000
WATCHDOG_MARGIN_S = 10.0  # a long-poll this much past the server's timeout is dead


class RehandshakeNeeded(Exception):
    """The server forgot us (``402::Unknown client``) or advised a new handshake."""


class BayeuxRefused(Exception):
    """The server refused the handshake or a subscription, or advised to stop."""


@dataclass
class Advice:
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    interval_ms: int = 0
    reconnect: str = "retry"

    def update(self, advice: Any) -> None:
        if not isinstance(advice, dict):
            return
        if isinstance(advice.get("timeout"), (int, float)) and advice["timeout"] >= 0:
            self.timeout_ms = int(advice["timeout"])
        if isinstance(advice.get("interval"), (int, float)) and advice["interval"] >= 0:
            self.interval_ms = int(advice["interval"])
        if advice.get("reconnect") in ("retry", "handshake", "none"):
            self.reconnect = advice["reconnect"]


class BayeuxClient:
    """Handshake, subscribe, connect (long-poll) and disconnect, with the server's advice.

    It rides on GwsClient so that every Bayeux POST carries the same cookies, Basic auth and
    CSRF header as the REST calls (gws-api.md 8.1).
    """

    def __init__(self, client: GwsClient, path: str = NOTIFICATIONS_PATH) -> None:
        self.client = client
        self.path = path
        self.client_id: str | None = None
        self.advice = Advice()
        self.subscriptions: list[str] = []
        self._ids = itertools.count(1)

    def _post(self, messages: list[dict], read_timeout: float | None = None) -> list:
        for message in messages:
            message["id"] = str(next(self._ids))
            if self.client_id and message["channel"] != "/meta/handshake":
                message["clientId"] = self.client_id
        timeout = read_timeout or self.client.options.read_timeout
        return [m for m in self.client.bayeux(self.path, messages, timeout)
                if isinstance(m, dict)]

    def handshake(self) -> None:
        self.client_id = None
        self.subscriptions.clear()
        replies = self._post([{
            "channel": "/meta/handshake", "version": "1.0", "minimumVersion": "1.0",
            "supportedConnectionTypes": ["long-polling"],
        }])
        reply = _reply_for(replies, "/meta/handshake")
        self.advice.update(reply.get("advice"))
        if not reply.get("successful") or not isinstance(reply.get("clientId"), str):
            raise BayeuxRefused(f"handshake refused: {reply.get('error') or 'no clientId'}")
        self.client_id = reply["clientId"]

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
            self._check(answer)
            if answer.get("successful"):
                self.subscriptions.append(channel)
            else:
                refused.append(channel)
        return refused

    def connect(self) -> list[dict]:
        """One long-poll: the events it brought, in the order the server sent them."""
        if self.client_id is None:
            raise RehandshakeNeeded("not connected")
        timeout = self.advice.timeout_ms / 1000 + WATCHDOG_MARGIN_S
        replies = self._post([{"channel": "/meta/connect", "connectionType": "long-polling"}],
                             read_timeout=timeout)
        events = []
        for message in replies:
            channel = str(message.get("channel", ""))
            if channel == "/meta/connect":
                self._check(message)
            elif not channel.startswith("/meta/"):
                events.append(message)
        return events

    def disconnect(self) -> None:
        """Tell the server we leave; best effort, it must never hold up an exit."""
        if self.client_id is None:
            return
        try:
            self._post([{"channel": "/meta/disconnect"}], read_timeout=2.0)
        except Exception:  # noqa: BLE001 - leaving anyway
            pass
        self.client_id = None

    def _check(self, reply: dict) -> None:
        self.advice.update(reply.get("advice"))
        if reply.get("successful"):
            return
        error = str(reply.get("error") or "")
        # CometD says 402::Unknown client; faye says 401:<id>:Unknown client, without advice.
        forgotten = error.startswith(("401:", "402:")) or "unknown client" in error.lower()
        if forgotten or self.advice.reconnect == "handshake":
            self.client_id = None
            raise RehandshakeNeeded(error or "server advised a new handshake")
        if self.advice.reconnect == "none":
            raise BayeuxRefused(f"server advised to stop: {error or 'no reason'}")


def _reply_for(replies: list[dict], channel: str) -> dict:
    for reply in replies:
        if reply.get("channel") == channel:
            return reply
    raise BadResponseError(f"the notification endpoint sent no {channel} reply")


def _subscription_of(reply: dict) -> Any:
    sub = reply.get("subscription")
    return sub[0] if isinstance(sub, list) and len(sub) == 1 else sub
