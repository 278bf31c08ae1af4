"""What `--follow` and `sessions watch` share: the CometD channel, its topics, the backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from smscli.client import GwsClient
from smscli.errors import NetworkError, NotFoundError, ServerError
from smscli.follow.bayeux import BayeuxClient, BayeuxRefused, RehandshakeNeeded

SMS_TOPIC = "/v2/me/smssessions"
# What a failed cycle can raise that a resync recovers from.
RECOVERABLE = (RehandshakeNeeded, BayeuxRefused, NetworkError, ServerError)
WILDCARD_TOPIC = "/v2/me/*"
Note = Callable[[str], None]


class LiveNotifications:
    """A base for engines that listen on CometD and fall back to polling.

    The subclass sets ``client``, ``note`` and ``options`` (with ``interval``,
    ``max_retries``, ``backoff_base`` and ``backoff_cap``) before using these methods.
    """

    client: GwsClient
    note: Note
    options: Any

    def __init__(self) -> None:
        self.bayeux: BayeuxClient | None = None
        self.failures = 0
        self.quiet_fills = 0
        self.wildcard = False

    def close(self) -> None:
        """Tell the server we leave (best effort)."""
        if self.bayeux is not None:
            self.bayeux.disconnect()

    def _wait_for_events(self, live: bool) -> list[dict]:
        """One long-poll when live; when polling, one interval of sleep and no events."""
        if live:
            assert self.bayeux is not None
            return self.bayeux.connect()
        time.sleep(self.options.interval)
        return []

    def _pause_as_advised(self, live: bool) -> None:
        if live and self.bayeux and self.bayeux.advice.interval_ms:
            time.sleep(self.bayeux.advice.interval_ms / 1000)

    def _recover(self, exc: Exception, who: str) -> None:
        """After a failed cycle: note a forgotten client, or back off; a resync follows."""
        if isinstance(exc, RehandshakeNeeded):
            self.note(f"the server forgot this {who} ({exc}); subscribing again")
        elif isinstance(exc, BayeuxRefused):
            self._back_off(ServerError(f"notifications refused: {exc}"))
        else:
            assert isinstance(exc, (NetworkError, ServerError))
            self._back_off(exc)

    def _rejoin(self, live: bool) -> None:
        """A new handshake and subscription when the last failure cost us the client."""
        if live and self.bayeux is not None and self.bayeux.client_id is None:
            self.bayeux.handshake()
            self._subscribe()

    def _start_live(self) -> bool:
        """Handshake and subscribe; on failure say so once and return False (poll instead)."""
        self.bayeux = BayeuxClient(self.client)
        try:
            self.bayeux.handshake()
            self._subscribe()
            return True
        except (BayeuxRefused, RehandshakeNeeded, NotFoundError, ServerError,
                NetworkError) as exc:
            reason = getattr(exc, "message", None) or str(exc)
            self.note(f"live notifications unavailable ({reason}); "
                      f"polling every {self.options.interval:g}s instead")
            self.bayeux = None
            return False

    def _subscribe(self) -> None:
        """The SMS topic, or the wildcard when the server refuses it (gws-api.md 8.2)."""
        assert self.bayeux is not None
        wanted = [SMS_TOPIC, WILDCARD_TOPIC] if self.wildcard else [SMS_TOPIC]
        refused = self.bayeux.subscribe(wanted)
        if SMS_TOPIC in refused and not self.wildcard:
            self.wildcard = True
            refused = self.bayeux.subscribe([WILDCARD_TOPIC])
        if not self.bayeux.subscriptions:
            raise BayeuxRefused(f"subscriptions refused: {', '.join(refused)}")

    def _quiet_fill(self) -> None:
        """Messages keep turning up that no event announced: the topic may be named otherwise
        on this server, so listen on the wildcard too."""
        if self.wildcard or self.bayeux is None:
            return
        self.quiet_fills += 1
        if self.quiet_fills >= 2:
            self.wildcard = True
            self.bayeux.subscribe([WILDCARD_TOPIC])
            self.note(f"no events on {SMS_TOPIC}; listening on {WILDCARD_TOPIC} as well")

    def _back_off(self, exc: NetworkError | ServerError) -> None:
        """Wait before the next try, exponentially with jitter; give up past --max-retries."""
        self.failures += 1
        limit = self.options.max_retries
        if limit is not None and self.failures > limit:
            raise NetworkError(f"gave up after {self.failures} failed attempts: {exc.message}",
                               "check the server, or raise --max-retries") from None
        ceiling = min(self.options.backoff_cap,
                      self.options.backoff_base * 2 ** (self.failures - 1))
        delay = ceiling * random.uniform(0.5, 1.0)  # jitter: clients don't reconnect in step
        self.note(f"{exc.message}; retrying in {delay:.1f}s (attempt {self.failures + 1})")
        if self.bayeux is not None:
            self.bayeux.client_id = None  # a failed long-poll may have cost us the client
        time.sleep(delay)
