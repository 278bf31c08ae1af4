"""Background traffic: keeps the emulator's Chatting sessions moving with realistic SMS turns."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from typing import Any

from smscli.emulator.scenario import AGENT_LINES, CUSTOMER_LINES
from smscli.emulator.state import EmulatorState

log = logging.getLogger(__name__)

_MAX_LAG_S = 1.0  # after a stall, resume the rate instead of bursting to catch up


class TrafficGenerator:
    """Appends ``rate`` messages per second, overall, to randomly chosen Chatting sessions."""

    def __init__(self, state: EmulatorState, rate: float, seed: int | None = None) -> None:
        if not rate > 0:  # also rejects NaN
            raise ValueError("traffic rate must be a positive number of messages per second")
        self._state = state
        self._interval = 1.0 / rate
        self._rng = random.Random(seed)
        # Messages still to send per session, so a turn (typing, stop, text) stays in order
        # even though sessions take turns at random.
        self._pending: dict[str, deque[dict[str, Any]]] = {}
        self._last_speaker: dict[str, str] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="smscli-emulator-traffic", daemon=True
        )

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it; safe to call more than once."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def running(self) -> bool:
        """Whether the background thread is alive."""
        return self._thread.is_alive()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stopping.wait(max(0.0, due - time.monotonic())):
            try:
                self.step()
            except Exception:  # a demo must keep running whatever one step ran into
                log.debug("traffic step failed", exc_info=True)
            due += self._interval
            due = max(due, time.monotonic() - _MAX_LAG_S)

    def step(self) -> dict[str, Any] | None:
        """Append one message to a random Chatting session; returns it, or None if none fit."""
        session_ids = self._state.session_ids(state="Chatting")
        if not session_ids:
            return None
        session_id = self._rng.choice(session_ids)
        pending = self._pending.get(session_id)
        if not pending:
            pending = self._pending[session_id] = self._next_turn(session_id)
        if not pending:
            return None
        try:
            stored = self._state.append_message(session_id, pending.popleft(), if_state="Chatting")
        except KeyError:  # the session vanished between choosing and appending
            stored = None
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
        agent_replies = agent is not None and (
            customer is None or self._last_speaker.get(session_id) == "Customer"
        )
        speaker = agent if agent_replies else customer
        if speaker is None:
            return deque()
        self._last_speaker[session_id] = str(speaker.get("type"))
        return deque(self._turn(speaker, AGENT_LINES if agent_replies else CUSTOMER_LINES))

    def _turn(self, speaker: dict[str, Any], lines: tuple[str, ...]) -> list[dict[str, Any]]:
        text = self._rng.choice(lines).format(
            n=self._rng.randint(100000, 999999), n4=self._rng.randint(1000, 9999)
        )
        reply = {"type": "Text", "from": speaker, "text": text}
        if speaker.get("type") == "Agent" and self._rng.random() < 0.5:
            return [reply]  # agents often answer with a canned reply, without typing
        return [
            {"type": "TypingStarted", "from": speaker},
            {"type": "TypingStopped", "from": speaker},
            reply,
        ]
