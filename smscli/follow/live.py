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
from dataclasses import dataclass, field
from typing import Any

from smscli import threads
from smscli.client import GwsClient
from smscli.errors import BadResponseError, NetworkError, ServerError, SmscliError
from smscli.follow.bayeux import (
    MIN_IDLE_S,
    WATCHDOG_MARGIN_S,
    BayeuxClient,
    BayeuxRefused,
    BayeuxStop,
    RehandshakeNeeded,
)
from smscli.paging import NoProgressError
from smscli.transport import LimitError, RefusedError

SMS_TOPIC = "/v2/me/smssessions"
WILDCARD_TOPIC = "/v2/me/*"
# What a failed cycle can raise that a resync recovers from; FATAL ones end the run.
RECOVERABLE = (RehandshakeNeeded, BayeuxRefused, NetworkError, ServerError)
FATAL = (LimitError, NoProgressError)
IDLE_CHECK_S = 3.0  # REST checks after empty replies, at most this often (unless held long)
MIN_DELAY_S = 0.1
Note = Callable[[str], None]


@dataclass(frozen=True)
class Pacing:
    """The floors that keep a misbehaving server from being flooded (tests shorten them to
    cycle through faults quickly; users have no reason to)."""

    min_idle: float = MIN_IDLE_S  # after a quick empty or failed long-poll, before the next
    idle_check: float = IDLE_CHECK_S  # REST re-reads after such replies, at most this often
    watchdog_margin: float = WATCHDOG_MARGIN_S  # a long-poll this long past the advice is dead


# Backoff after a failure: 0.5 s, doubling to at most 30 s (reached after six failures in
# a row), jittered. The defaults of every engine's options (follow, watch, tail).
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0


@dataclass
class RetryPolicy:
    poll: bool = False  # poll from the start, no CometD
    interval: float = 1.0  # seconds between polls
    max_retries: int | None = None  # consecutive failed attempts before giving up (exit 6)
    backoff_base: float = BACKOFF_BASE_S
    backoff_cap: float = BACKOFF_CAP_S
    pacing: Pacing = field(default_factory=Pacing)

    @classmethod
    def of(cls, options: Any) -> RetryPolicy:
        """The policy out of a FollowOptions or WatchOptions (they carry the same fields)."""
        return cls(poll=options.poll, interval=options.interval,
                   max_retries=options.max_retries, backoff_base=options.backoff_base,
                   backoff_cap=options.backoff_cap, pacing=options.pacing)


class LiveChannel:
    """CometD when the server has it, polling when it has not; one recovery for every failure."""

    def __init__(self, client: GwsClient, policy: RetryPolicy, note: Note, who: str) -> None:
        self.client = client
        self.policy = policy
        self.note = note
        self.who = who
        self.live = not policy.poll
        pacing = policy.pacing
        self.idle_check = pacing.idle_check
        self.bayeux: BayeuxClient | None = (
            BayeuxClient(client, watchdog_margin=pacing.watchdog_margin,
                         min_idle=pacing.min_idle) if self.live else None)
        self.failures = 0  # failed attempts in a row (what --max-retries counts)
        self.failed_in_cycle = 0  # failures since the last completed cycle, for the note
        self.protocol_trouble = False  # the server, not the network, is failing us
        self.ever_worked = False  # whether any request of this run got an answer
        self.rehandshakes = 0  # forgotten-client answers since the last completed cycle
        self.wildcard = False
        self.quiet_fills = 0
        self._last_check = time.monotonic()
        self._said_multiple = False
        # Called each time the engine is about to wait: before a long-poll or a poll's sleep,
        # and before the pause ahead of a retry (the recorder stores its burst there).
        self.before_waiting: Callable[[], None] | None = None
        client.retry_gets = False  # every request is retried here, and counted once
        client.on_success = self._request_worked

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
        except BayeuxRefused as exc:  # a refused handshake or topic, or reconnect: none
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
            if isinstance(exc, FATAL) or self._nobody_there(exc):
                raise
            self.failures += 1
            if not isinstance(exc, NetworkError):  # a network fault is the next read's to tell
                self.note(f"live notifications not ready yet ({_reason(exc)}); "
                          "reading the transcript meanwhile")

    def _nobody_there(self, exc: Exception) -> bool:
        """Refused before the server ever answered: a wrong address or a server that is down,
        not a fault to sit out."""
        return isinstance(exc, RefusedError) and not self.ever_worked

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
        self._about_to_wait()
        if not self.live:
            time.sleep(self.policy.interval)
            return []
        assert self.bayeux is not None
        try:
            events = self.bayeux.connect()
        except BayeuxStop as exc:
            self.bayeux.client_id = None  # the server is done with us: no disconnect to send
            self._to_polling(str(exc))
            time.sleep(self.policy.interval)
            return []
        if self.bayeux.advice.multiple_clients and not self._said_multiple:
            self._said_multiple = True
            self.note("the server still holds another long-poll of this client "
                      f"(multiple-clients); waiting {self.bayeux.advice.interval_ms / 1000:g}s "
                      "between polls")
        return events

    def _about_to_wait(self) -> None:
        threads.check_ctrl_c()  # a Ctrl-C that Python dropped ends the loop here
        if self.before_waiting is not None:
            self.before_waiting()

    def idle_check_due(self) -> bool:
        """After an empty reply: whether to read the truth from REST now. Always after a
        long-poll that was held, at most every ``idle_check`` s after quick empty ones."""
        now = time.monotonic()
        held = self.bayeux.last_connect_held if (self.live and self.bayeux) else self.idle_check
        if held >= self.idle_check or now - self._last_check >= self.idle_check:
            self._last_check = now
            return True
        return False

    def resync_check_due(self) -> bool:
        """After a failure: whether to read the truth from REST now. Always after the first
        failure of a run; while failures go on, at most every ``idle_check`` s."""
        now = time.monotonic()
        if self.failures <= 1 or now - self._last_check >= self.idle_check:
            self._last_check = now
            return True
        return False

    def quiet_fill(self) -> None:
        """Messages keep turning up that no event announced: the topic may be named otherwise
        on this server, so listen on the wildcard instead."""
        if self.wildcard or self.bayeux is None or not self.live:
            return
        self.quiet_fills += 1
        if self.quiet_fills >= 2:
            self.wildcard = True
            self.bayeux.switch(SMS_TOPIC, WILDCARD_TOPIC)  # not both, or events come twice
            self.note(f"no events on {SMS_TOPIC}; listening on {WILDCARD_TOPIC} instead")

    # -- recovery -------------------------------------------------------------------------------

    def _request_worked(self) -> None:
        """A request got through. After network failures that ends the run; after the server
        itself failed us (an unknown client forever, refusals, nonsense) only a whole cycle
        does, or a server that forgets us at every connect would never be given up on."""
        self.ever_worked = True
        if not self.protocol_trouble:
            self.failures = 0

    def recover(self, exc: Exception) -> None:
        """After a failed attempt: count it, give up past --max-retries, else wait and say so.

        A failed long-poll keeps its clientId, as the protocol asks, until the server says it
        does not know it; then the channel joins again.
        """
        self._about_to_wait()
        if isinstance(exc, FATAL) or self._nobody_there(exc):
            raise exc
        if isinstance(exc, RehandshakeNeeded):
            # Once is what a network fault or a server restart costs; twice in a row without
            # a completed cycle is the server failing us.
            self.rehandshakes += 1
            self.protocol_trouble = self.protocol_trouble or self.rehandshakes >= 2
        elif not isinstance(exc, NetworkError):
            self.protocol_trouble = True
        self.failures += 1
        self.failed_in_cycle += 1
        limit = self.policy.max_retries
        reason = _reason(exc)
        if limit is not None and self.failures > limit:
            raise NetworkError(f"gave up after {self.failures} failed attempts: {reason}",
                               "check the server, or raise --max-retries") from None
        if isinstance(exc, RehandshakeNeeded) and self.failures == 1:
            self.note(f"the server forgot this {self.who} ({reason}); subscribing again")
        ceiling = min(self.policy.backoff_cap,
                      self.policy.backoff_base * 2 ** (self.failures - 1))
        delay = max(MIN_DELAY_S, ceiling * random.uniform(0.5, 1.0))  # jitter: no stampede
        of = f" of {limit + 1}" if limit is not None else "; no limit"
        if not (isinstance(exc, RehandshakeNeeded) and self.failures == 1):
            self.note(f"{reason}; retrying in {delay:.1f}s (attempt {self.failures + 1}{of})")
        time.sleep(delay)

    def succeeded(self, filled: int | None = None) -> None:
        """A cycle completed: the failures in a row are over."""
        if self.failed_in_cycle:
            tail = f"; filled {filled} missed message(s)" if filled else ""
            self.note(f"reconnected after {self.failed_in_cycle} failed attempt(s){tail}")
        self.failures = self.failed_in_cycle = self.rehandshakes = 0
        self.protocol_trouble = False

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
