"""The live channel that `--follow` and `sessions watch` hold: CometD or polling, and recovery.

One object owns what both engines share: joining CometD (handshake, subscription, the wildcard
fallback), waiting for events or for the poll interval, pacing idle checks, and one recovery
policy for every failure of every request (backoff with jitter, capped; ``--max-retries``
counts consecutive failed attempts and only a completed cycle resets it). A server without
CometD (404/405, 400/401/403 on the handshake, a refused topic, ``reconnect: none``) moves the
channel to polling for good; a transient failure never does. docs/architecture.md, "Live".
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from smscli.client import GwsClient
from smscli.errors import BadResponseError, NetworkError, ServerError, SmscliError
from smscli.follow.bayeux import (
    WATCHDOG_MARGIN_S,
    BayeuxClient,
    BayeuxRefused,
    BayeuxStop,
    RehandshakeNeeded,
)
from smscli.paging import NoProgressError
from smscli.transport import LimitError

SMS_TOPIC = "/v2/me/smssessions"
WILDCARD_TOPIC = "/v2/me/*"
# What a failed cycle can raise that a resync recovers from; FATAL ones end the run.
RECOVERABLE = (RehandshakeNeeded, BayeuxRefused, NetworkError, ServerError)
FATAL = (LimitError, NoProgressError)
IDLE_CHECK_S = 3.0  # REST checks after empty replies, at most this often (unless held long)
MIN_DELAY_S = 0.1
Note = Callable[[str], None]


@dataclass
class RetryPolicy:
    poll: bool = False  # poll from the start, no CometD
    interval: float = 1.0  # seconds between polls
    max_retries: int | None = None  # consecutive failed attempts before giving up (exit 6)
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    watchdog_margin: float = WATCHDOG_MARGIN_S  # a long-poll this long past the advice is dead


class LiveChannel:
    """CometD when the server has it, polling when it has not; one recovery for every failure."""

    def __init__(self, client: GwsClient, policy: RetryPolicy, note: Note, who: str) -> None:
        self.client = client
        self.policy = policy
        self.note = note
        self.who = who
        self.live = not policy.poll
        self.bayeux: BayeuxClient | None = (
            BayeuxClient(client, watchdog_margin=policy.watchdog_margin) if self.live else None)
        self.failures = 0
        self.wildcard = False
        self.quiet_fills = 0
        self._last_check = time.monotonic()
        self._said_multiple = False
        client.retry_gets = False  # every request is retried here, and counted once

    # -- joining ------------------------------------------------------------------------------

    @property
    def joined(self) -> bool:
        return self.bayeux is not None and self.bayeux.client_id is not None and bool(
            self.bayeux.subscriptions)

    def join(self) -> None:
        """Handshake and subscribe when live and not yet (or no longer) joined.

        A server that has no CometD for us moves the channel to polling, said once; a
        transient failure is raised for the caller's recovery.
        """
        if not self.live or self.joined:
            return
        assert self.bayeux is not None
        try:
            if self.bayeux.client_id is None:
                self.bayeux.handshake()
            self._subscribe()
        except BayeuxStop as exc:
            self._to_polling(str(exc))
        except BayeuxRefused as exc:
            self._to_polling(str(exc))
        except (NetworkError, RehandshakeNeeded):
            raise
        except SmscliError as exc:
            if isinstance(exc, FATAL) or not _means_no_cometd(exc):
                raise
            self._to_polling(exc.message)

    def join_at_start(self) -> None:
        """The first join: a transient failure is noted and retried later, not fatal, so the
        history is shown meanwhile (the resync after the join fills what came in between)."""
        try:
            self.join()
        except RECOVERABLE as exc:
            if isinstance(exc, FATAL):
                raise
            self.failures += 1
            self.note(f"live notifications not ready yet ({_reason(exc)}); "
                      "reading the transcript meanwhile")

    def _subscribe(self) -> None:
        """The SMS topic, or the wildcard when the server refuses it (docs/gws-notes.md)."""
        assert self.bayeux is not None
        topic = WILDCARD_TOPIC if self.wildcard else SMS_TOPIC
        refused = self.bayeux.subscribe([topic])
        if topic in refused and not self.wildcard:
            self.wildcard = True
            refused = self.bayeux.subscribe([WILDCARD_TOPIC])
        if not self.bayeux.subscriptions:
            raise BayeuxRefused(f"subscriptions refused: {', '.join(refused)}")

    def _to_polling(self, reason: str) -> None:
        if self.bayeux is not None:
            self.bayeux.disconnect()
        self.bayeux = None
        self.live = False
        self.note(f"live notifications unavailable ({reason}); "
                  f"polling every {self.policy.interval:g}s instead")

    # -- waiting --------------------------------------------------------------------------------

    def wait(self) -> list[dict]:
        """One long-poll when live; when polling, one interval of sleep and no events."""
        if not self.live:
            time.sleep(self.policy.interval)
            return []
        assert self.bayeux is not None
        try:
            events = self.bayeux.connect()
        except BayeuxStop as exc:
            self._to_polling(str(exc))
            return []
        if self.bayeux.advice.multiple_clients and not self._said_multiple:
            self._said_multiple = True
            self.note("the server still holds another long-poll of this client "
                      f"(multiple-clients); waiting {self.bayeux.advice.interval_ms / 1000:g}s "
                      "between polls")
        return events

    def idle_check_due(self) -> bool:
        """After an empty reply: whether to read the truth from REST now. Always after a
        long-poll that was held, at most every IDLE_CHECK_S after quick empty ones."""
        now = time.monotonic()
        held = self.bayeux.last_connect_held if (self.live and self.bayeux) else IDLE_CHECK_S
        if held >= IDLE_CHECK_S or now - self._last_check >= IDLE_CHECK_S:
            self._last_check = now
            return True
        return False

    def checked(self) -> None:
        """A REST read of the truth just happened (a resync): the next idle one can wait."""
        self._last_check = time.monotonic()

    def quiet_fill(self) -> None:
        """Messages keep turning up that no event announced: the topic may be named otherwise
        on this server, so listen on the wildcard instead."""
        if self.wildcard or self.bayeux is None or not self.live:
            return
        self.quiet_fills += 1
        if self.quiet_fills >= 2:
            self.wildcard = True
            self.bayeux.subscribe([WILDCARD_TOPIC])
            self.bayeux.unsubscribe([SMS_TOPIC])  # else every event would come twice
            self.note(f"no events on {SMS_TOPIC}; listening on {WILDCARD_TOPIC} instead")

    # -- recovery -------------------------------------------------------------------------------

    def recover(self, exc: Exception) -> None:
        """After a failed attempt: count it, give up past --max-retries, else wait and say so.

        A forgotten client is handshaken again at once the first time (a server restart); a
        failed long-poll keeps its clientId, as the protocol asks, until the server says
        it does not know it.
        """
        if isinstance(exc, FATAL):
            raise exc
        self.failures += 1
        limit = self.policy.max_retries
        reason = _reason(exc)
        if limit is not None and self.failures > limit:
            raise NetworkError(f"gave up after {self.failures} failed attempts: {reason}",
                               "check the server, or raise --max-retries") from None
        if isinstance(exc, RehandshakeNeeded) and self.failures == 1:
            self.note(f"the server forgot this {self.who} ({reason}); subscribing again")
            return
        ceiling = min(self.policy.backoff_cap,
                      self.policy.backoff_base * 2 ** (self.failures - 1))
        delay = max(MIN_DELAY_S, ceiling * random.uniform(0.5, 1.0))  # jitter: no stampede
        of = f" of {limit + 1}" if limit is not None else "; no limit"
        self.note(f"{reason}; retrying in {delay:.1f}s (attempt {self.failures + 1}{of})")
        time.sleep(delay)

    def succeeded(self, filled: int | None = None) -> None:
        """A cycle completed: the failures in a row are over."""
        if self.failures:
            tail = f"; filled {filled} missed message(s)" if filled is not None else ""
            self.note(f"reconnected after {self.failures} failed attempt(s){tail}")
        self.failures = 0

    def close(self) -> None:
        """Tell the server we leave (best effort)."""
        if self.bayeux is not None:
            self.bayeux.disconnect()


def _means_no_cometd(exc: SmscliError) -> bool:
    """Answers that say this server has no CometD for us, as opposed to a passing failure."""
    status = exc.http_status
    if status is None:
        return False
    if isinstance(exc, BadResponseError) and status < 400:
        return True  # a page, not Bayeux: something else answers at that path
    return 400 <= status < 500 and status not in (408, 429)


def _reason(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__
