"""The "busy" scenario: many Chatting sessions at once, for `smscli tail` and its benchmark."""

from __future__ import annotations

import random

from smscli.emulator.scenario import DEFAULT_SEED, DIALOGUE, dialogue_exchange, participant
from smscli.emulator.state import EmulatorState
from smscli.emulator.timestamps import TimestampStyle, fixed_offset, now_ms

BUSY_SESSIONS = 50
CUSTOMERS = ("Amira", "Lukas", "Priya", "Tomás", "Ngozi", "Kenji", "Chloé", "Mateo", "Aisha",
             "Olu", "Sven", "Mei")
AGENTS = ("Sam", "Alex", "Jo")


def busy_session_id(number: int) -> str:
    """The id of busy session ``number`` (from 1), 16 characters like GWS's."""
    return f"0000Bs9Y{number % 100_000_000:08d}"


def build_busy_state(count: int = BUSY_SESSIONS, base_url: str = "",
                     seed: int | None = None) -> EmulatorState:
    """``count`` Chatting sessions, each with a customer, an agent and a short opening; the
    emulator's traffic (``--rate``) then keeps them all talking."""
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10_000:
        raise ValueError("the number of busy sessions must be an integer from 0 to 10000")
    rng = random.Random(DEFAULT_SEED if seed is None else seed)
    state = EmulatorState(base_url)
    style = TimestampStyle(fixed_offset(0))
    started = now_ms() - 60_000
    for number in range(1, count + 1):
        session_id = busy_session_id(number)
        customer = participant("Customer", CUSTOMERS[number % len(CUSTOMERS)],
                               f"{session_id[4:]}C1", base_url)
        agent = participant("Agent", AGENTS[number % len(AGENTS)], f"{session_id[4:]}A1",
                            base_url)
        asked, answer = dialogue_exchange(rng.randrange(len(DIALOGUE)), rng.randint(100000, 999999),
                                          rng.randint(1000, 9999))
        opening = [("ParticipantJoined", customer, None), ("Text", customer, asked),
                   ("ParticipantJoined", agent, None), ("Text", agent, answer)]
        messages = []
        for offset, (kind, sender, text) in enumerate(opening):
            millis = started + number * 10 + offset * 1000
            message = {"type": kind, "from": sender, "timestamp": style.format(millis),
                       "timestampSeconds": millis}
            if text is not None:
                message["text"] = text
            messages.append(message)
        state.add_session({"id": session_id, "state": "Chatting",
                           "participants": [agent, customer], "userData": {},
                           "receivedDate": style.format(started + number * 10)}, messages)
    return state
