"""Background traffic: keeps the emulator's Chatting sessions moving with realistic SMS turns."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from typing import Any

from smscli.emulator.faults import SILENT, Faults
from smscli.emulator.operations import apply
from smscli.emulator.scenario import (
    DIALOGUE,
    VENDOR_SESSION_ID,
    arriving_session,
    dialogue_exchange,
)
from smscli.emulator.state import EmulatorState

log = logging.getLogger(__name__)

_MAX_LAG_S = 1.0  # after a stall, resume the rate instead of bursting to catch up
# A session arrives, one leaves the chat, one completes, in turn: often enough that a first
# try of `sessions watch` or `record` on the demo shows a change within seconds.
LIFECYCLE_EVERY_S = 5.0
_LIFECYCLE_USER = "demo"


class TrafficGenerator:
    """Appends ``rate`` messages per second, overall, to randomly chosen Chatting sessions."""

    def __init__(
        self,
        state: EmulatorState,
        rate: float,
        seed: int | None = None,
        name: str = "smscli-emulator-traffic",
        faults: Faults | None = None,
        lifecycle_every: float = LIFECYCLE_EVERY_S,
    ) -> None:
        if not rate > 0:  # also rejects NaN
            raise ValueError("traffic rate must be a positive number of messages per second")
        self._state = state
        self._interval = 1.0 / rate
        self._rng = random.Random(seed)
        self._faults = faults
        # Messages still to send per session, so a turn (typing, stop, text) stays in order
        # even though sessions take turns at random.
        self._pending: dict[str, deque[dict[str, Any]]] = {}
        self._asked: dict[str, tuple[str, str]] = {}  # the exchange awaiting an agent's answer
        # Sessions change state too: the thread brings a session in, moves one of those to
        # LeftChat, completes it (one step every ``lifecycle_every`` seconds, 0: never). Only
        # the sessions it brought in change state: the demo's fixed ids stay as documented.
        self._lifecycle_every = lifecycle_every
        self._lifecycle_rng = random.Random(seed)
        self._lifecycle_phase = 0
        self._arrived: list[str] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it; safe to call more than once."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        due = time.monotonic()
        lifecycle_due = due + self._lifecycle_every / 2 if self._lifecycle_every > 0 else None
        while not self._stopping.wait(max(0.0, due - time.monotonic())):
            try:
                self.step()
                if lifecycle_due is not None and time.monotonic() >= lifecycle_due:
                    lifecycle_due = time.monotonic() + self._lifecycle_every
                    self.lifecycle_step()
            except Exception:  # a demo must keep running whatever one step ran into
                log.debug("traffic step failed", exc_info=True)
            due += self._interval
            due = max(due, time.monotonic() - _MAX_LAG_S)

    def lifecycle_step(self) -> str | None:
        """One change of the sessions' lives, in turn: a new session arrives (and the vendor
        session's user data changes), the oldest arrival's agent leaves (LeftChat), the oldest
        LeftChat arrival is completed. Returns what it did, or None."""
        phase = self._lifecycle_phase
        self._lifecycle_phase = (phase + 1) % 3
        if phase == 0:
            number = len(self._arrived) + 1
            session, messages = arriving_session(number, self._lifecycle_rng,
                                                 self._state.base_url)
            self._state.add_session(session, messages)
            self._state.set_state(session["id"], "Chatting")  # announces it to listeners
            self._arrived.append(session["id"])
            apply(self._state, VENDOR_SESSION_ID, {
                "operationName": "UpdateUserData",
                "userData": {"lastActivity": f"demo traffic {number}"}}, _LIFECYCLE_USER)
            return "arrived"
        wanted, operation, done = (("Chatting", "Leave", "left") if phase == 1
                                   else ("LeftChat", "Complete", "completed"))
        for session_id in self._arrived:
            session = self._state.get_session(session_id) or {}
            if session.get("state") == wanted:
                self._pending.pop(session_id, None)
                self._asked.pop(session_id, None)
                status, _ = apply(self._state, session_id, {"operationName": operation},
                                  _LIFECYCLE_USER)
                return done if status == 200 else None
        return None

    def step(self) -> dict[str, Any] | None:
        """Append one message to a random Chatting session; returns it, or None if none fit.

        The thread calls this at the configured rate; tests may call it on a generator that
        was never started, to step through traffic deterministically.
        """
        session_ids = self._state.session_ids(state="Chatting")
        if not session_ids:
            return None
        session_id = self._rng.choice(session_ids)
        pending = self._pending.get(session_id)
        if not pending:
            pending = self._pending[session_id] = self._next_turn(session_id)
        if not pending:
            return None
        # A silent message reaches the transcript but no CometD client: a lost notification.
        silent = self._faults is not None and self._faults.roll(SILENT, record=False)
        try:
            stored = self._state.append_message(
                session_id, pending.popleft(), notify=not silent, if_state="Chatting"
            )
        except KeyError:  # the session vanished between choosing and appending
            stored = None
        if silent and stored is not None and self._faults is not None:
            self._faults.record(SILENT)
        if stored is None:
            self._pending.pop(session_id, None)
        return stored

    def _next_turn(self, session_id: str) -> deque[dict[str, Any]]:
        session = self._state.get_session(session_id) or {}
        people = {
            person.get("type"): person
            for person in session.get("participants", ())
            if isinstance(person, dict)
        }
        customer, agent = people.get("Customer"), people.get("Agent")
        # Customers ask and agents answer the same exchange, so each session reads as a chat.
        asked = self._asked.pop(session_id, None)
        if agent is not None and (asked is not None or customer is None):
            return deque(self._turn(agent, (asked or self._new_exchange())[1]))
        if customer is None:
            return deque()
        self._asked[session_id] = exchange = self._new_exchange()
        return deque(self._turn(customer, exchange[0]))

    def _new_exchange(self) -> tuple[str, str]:
        return dialogue_exchange(
            self._rng.randrange(len(DIALOGUE)),
            self._rng.randint(100000, 999999),
            self._rng.randint(1000, 9999),
        )

    def _turn(self, speaker: dict[str, Any], text: str) -> list[dict[str, Any]]:
        reply = {"type": "Text", "from": speaker, "text": text}
        if speaker.get("type") == "Agent" and self._rng.random() < 0.5:
            return [reply]  # agents often answer with a canned reply, without typing
        return [
            {"type": "TypingStarted", "from": speaker},
            {"type": "TypingStopped", "from": speaker},
            reply,
        ]
