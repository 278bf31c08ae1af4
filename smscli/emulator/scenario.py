"""Demo data for the emulator: the vendor sample, every message type, long and big transcripts."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smscli.emulator.state import (
    CONFERENCE_CAPABILITIES,
    EmulatorState,
    capabilities_for,
    user_id_for,
)
from smscli.emulator.timestamps import TimestampStyle, fixed_offset, now_ms
from smscli.emulator.transcript import encode_json

DEFAULT_SEED = 20131227
DEMO_USER = "demo"
DEMO_PASSWORD = "demo"

VENDOR_SESSION_ID = "0000Na9B26EF002G"  # the vendor's own sample session
INVITED_SESSION_ID = "0000Ra9C41KD0013"
EVERY_TYPE_SESSION_ID = "0000Wa9CAM6W00FN"
LEFT_CHAT_SESSION_ID = "0000Ka9D7QXP004B"
COMPLETED_SESSION_ID = "0000Wa9CAM6W00FF"
LONG_SESSION_ID = "0000La9E3HVT00ZR"
DEMO_SESSION_IDS = (
    VENDOR_SESSION_ID,
    INVITED_SESSION_ID,
    EVERY_TYPE_SESSION_ID,
    LEFT_CHAT_SESSION_ID,
    COMPLETED_SESSION_ID,
    LONG_SESSION_ID,
)
LONG_SESSION_LENGTH = 2400
BIG_SESSION_MAX = 999_999_999  # the widest size that still fits a 16-character id

# (customer, agent) exchanges in conversational order; {n} and {n4} are filled per exchange.
DIALOGUE = (
    ("Hi, my parcel still says 'in transit' after five days", "Sorry about that, let me look"),
    ("The tracking number is GB{n:06d}", "I can see order {n} here, one moment please"),
    ("Can you check whether it left the depot?", "It left this morning and is out for delivery"),
    ("Can it go to my office instead?", "Sure, could you confirm the postcode on the order?"),
    ("Same postcode, unit {n4}", "Done, the address is updated for this delivery"),
    ("Can I add a gift note too?", "I've added the gift note to the order"),
    ("Also, I was charged twice for order {n}", "I'm sorry; which card did you pay with?"),
    ("The card ending in {n4}", "I've refunded the duplicate charge; allow 3-5 working days"),
    ("My phone number changed, can you update it?", "Of course, what is the new number?"),
    ("It's 07700 90{n4}", "Your phone number is updated"),
    ("The link in your email says it expired", "I've sent a fresh link, valid for 24 hours"),
    ("Perfect, it works now. Do you open on Sundays?", "We're open 9:00-17:00 on Sundays"),
    ("Thanks again, you've been really helpful!", "You're welcome, have a lovely day!"),
)
FOLLOW_UPS = ("?", "Hello?", "Still there?", "Thanks", "ok")


def dialogue_exchange(position: int, n: int, n4: int) -> tuple[str, str]:
    """Exchange ``position`` (cycling) of DIALOGUE with its numbers filled in."""
    customer, agent = DIALOGUE[position % len(DIALOGUE)]
    return customer.format(n=n, n4=n4), agent.format(n=n, n4=n4)


# -- participants ----------------------------------------------------------------------------


def participant(
    kind: str, nickname: str, participant_id: str, base_url: str = ""
) -> dict[str, Any]:
    """A participant in the shape GWS uses in resources and in message ``from`` fields."""
    person: dict[str, Any] = {
        "type": kind,
        "nickname": nickname,
        "participantId": participant_id,
        "id": participant_id,
        "visibility": "All",
    }
    if kind == "Agent":
        user_id = user_id_for(DEMO_USER)
        person["path"] = f"/users/{user_id}"
        if base_url:  # a relative uri would be worse than none
            person["uri"] = f"{base_url}/api/v2/users/{user_id}"
    return person


def _vendor_participant(kind: str, nickname: str, participant_id: str) -> dict[str, Any]:
    # The vendor sample carries only these three keys; keeping it exact tests lenient parsing.
    return {"type": kind, "nickname": nickname, "participantId": participant_id}


# -- transcript building ---------------------------------------------------------------------


@dataclass
class _Chat:
    """Collects messages with relative times, then pins them to the real clock at the end."""

    rng: random.Random
    style: TimestampStyle
    _entries: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    _elapsed_ms: int = 0
    _next_index: int = 1

    def add(
        self,
        kind: str,
        sender: dict[str, Any] | None,
        *,
        gap: tuple[float, float] = (2.0, 20.0),
        index: int | None = None,
        **fields: Any,
    ) -> None:
        """Append one message ``gap`` seconds (a random range) after the previous one."""
        self._elapsed_ms += int(self.rng.uniform(*gap) * 1000)
        if index is None:
            index, self._next_index = self._next_index, self._next_index + 1
        elif index > 0:
            self._next_index = index + 1
        message: dict[str, Any] = {"index": index, "type": kind}
        if sender is not None:
            message["from"] = dict(sender)
        message.update(fields)
        message.setdefault("visibility", "All")
        self._entries.append((self._elapsed_ms, message))

    def __len__(self) -> int:
        return len(self._entries)

    def truncate(self, length: int) -> None:
        """Keep only the first ``length`` messages."""
        del self._entries[length:]

    def finish(
        self, ended_ago_s: float, received_before_s: float = 4.0
    ) -> tuple[str, list[dict[str, Any]]]:
        """Pin the chat so it ended ``ended_ago_s`` ago; returns (receivedDate, messages)."""
        last_elapsed = self._entries[-1][0] if self._entries else 0
        start_ms = now_ms() - int(ended_ago_s * 1000) - last_elapsed
        messages = []
        for elapsed, message in self._entries:
            millis = start_ms + elapsed
            messages.append(
                {**message, "timestamp": self.style.format(millis), "timestampSeconds": millis}
            )
        received = start_ms - int(received_before_s * 1000)
        return self.style.format(received), messages


def _exchange(rng: random.Random, position: int) -> tuple[str, str]:
    return dialogue_exchange(position, rng.randint(100000, 999999), rng.randint(1000, 9999))


# -- the demo sessions -----------------------------------------------------------------------


def _vendor_session(rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    agent = _vendor_participant("Agent", "Agent1", "009052BDEE4A003E")
    customer = _vendor_participant("Customer", "PersonP", "009052BDEE39003C")
    # The vendor sample uses the ISO "T" separator and a -0800 offset; so does this session.
    chat = _Chat(rng, TimestampStyle(fixed_offset(-8), "T"))
    chat.add("ParticipantJoined", customer)
    chat.add("ParticipantJoined", agent, gap=(1.0, 3.0))
    chat.add("TypingStarted", customer, gap=(0.1, 0.2))
    chat.add("Text", customer, gap=(0.001, 0.002), text="dddd")
    chat.add("TypingStarted", agent, gap=(1.0, 3.0))
    chat.add("TypingStopped", agent)
    chat.add("Text", agent, gap=(0.1, 0.5), text="Hello PersonP, how can I help you today?")
    chat.add("TypingStarted", customer, gap=(2.0, 6.0))
    chat.add("TypingStopped", customer)
    chat.add("Text", customer, gap=(0.1, 0.5), text="Sorry, typo. My SIM stopped working today")
    chat.add("TypingStarted", agent, gap=(2.0, 6.0))
    chat.add("TypingStopped", agent)
    chat.add("Text", agent, gap=(0.1, 0.5), text="Let me check your line, one moment please")
    received, messages = chat.finish(ended_ago_s=120)
    capabilities = [
        "AttachUserData", "UpdateUserData", "DeleteUserData", "Leave", "LeaveAndComplete",
        "Transfer", "Invite", "Consult",
        "SendMessage", "SendStartTypingNotification", "SendStopTypingNotification", "Complete",
    ]  # fmt: skip
    session = {
        "state": "Chatting",
        "id": VENDOR_SESSION_ID,
        "participants": [agent, customer],
        "capabilities": capabilities,
        "userData": {},
        "receivedDate": received,
    }
    return session, messages


def _invited_session(rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    customer = participant("Customer", "+1 555 0100", "00A1F3C2BB10002A")
    service = participant("External", "PoD service", "00A1F3C2BB10002B")
    chat = _Chat(rng, TimestampStyle(fixed_offset(0)))
    chat.add("ParticipantJoined", customer)
    chat.add("Text", customer, text="Hi, is my appointment on Friday still on?")
    chat.add("ParticipantJoined", service, gap=(0.2, 1.0))
    chat.add("Text", service, gap=(0.2, 1.0), text="agent will be with you shortly ...")
    received, messages = chat.finish(ended_ago_s=30)
    session = _session(INVITED_SESSION_ID, "Invited", [customer, service], received)
    session["userData"] = {"ContactId": "0000XaB5RF5008Q1", "Subject": "Appointment"}
    return session, messages


def _every_type_session(
    rng: random.Random, base_url: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    agent = participant("Agent", "Sam", "0093569F7C72006A", base_url)
    customer = participant("Customer", "Zoë 🌸 Müller", "0093569F7C6E0068")
    service = participant("External", "PoD service", "0093569F7C6E0069")
    supervisor = {
        **participant("Agent", "Supervisor Ana", "0093569F7C72006B"),
        "visibility": "Supervisors",
    }
    chat = _Chat(rng, TimestampStyle(fixed_offset(2)))
    chat.add("ParticipantJoined", customer)
    chat.add("Text", customer, text="Hi, my cot arrived with a cracked rail 😞")
    chat.add("ParticipantJoined", service, gap=(0.2, 1.0))
    chat.add("Text", service, gap=(0.2, 1.0), text="agent will be with you shortly ...")
    chat.add("ParticipantJoined", agent)
    chat.add("TypingStarted", agent)
    chat.add("TypingStopped", agent)
    chat.add("Text", agent, text="Hello Zoë, I'm sorry to hear that. Could you send a photo?")
    chat.add("TypingStarted", customer, text="here it i")  # typing preview is on for customers
    chat.add("TypingStopped", customer)
    chat.add("PushUrl", customer, url="https://photos.example.com/s/cot-rail-4711.jpg")
    chat.add(
        "Notice", service, text="Customer identified: contact 0000XaB5RF5008Q1", visibility="Agents"
    )
    chat.add("CustomNotice", agent, noticeText="Order 4711 opened in CRM", visibility="Agents")
    chat.add(
        "Text", agent, text="Transit damage; is a replacement rail in stock?", visibility="Agents"
    )
    chat.add("ParticipantJoined", supervisor, visibility="Supervisors")
    chat.add(
        "Text", supervisor, text="Offer the rail plus a 10% voucher.", visibility="Supervisors"
    )
    chat.add("ParticipantLeft", supervisor, visibility="Supervisors")
    chat.add("ParticipantLeft", customer, gap=(20.0, 40.0))
    chat.add("ParticipantRejoined", customer, gap=(10.0, 30.0))
    # Untrusted SMS text: markup, emoji codes and a terminal escape must all render inert.
    chat.add("Text", customer, text="Sorry, lost signal [bold red]again[/] :smile: \x1b[2J")
    chat.add("TranscriptSaveDone", service, index=-1, gap=(0.0, 0.1))
    chat.add("Text", agent, text="A new rail ships today, plus a 10% voucher for the trouble.")
    chat.add("Text", customer, text="Thank you! 🙏")
    received, messages = chat.finish(ended_ago_s=300)
    session = _session(EVERY_TYPE_SESSION_ID, "Chatting", [agent, customer, service], received)
    session["capabilities"] = [*capabilities_for("Chatting"), *CONFERENCE_CAPABILITIES]
    session["userData"] = {
        "ContactId": "0000XaB5RF5008Q1",
        "Subject": "Damaged delivery",
        "ServiceObjective": 0,
        "RRequestedSkills": None,
        "CustomerPhone": "+44 20 7946 0958",
    }
    return session, messages


def _left_chat_session(
    rng: random.Random, base_url: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    agent = participant("Agent", "Sam", "00B7D2E4A1C0001F", base_url)
    customer = participant("Customer", "Jonas", "00B7D2E4A1C0001E")
    chat = _Chat(rng, TimestampStyle(fixed_offset(-5)))
    chat.add("ParticipantJoined", customer)
    chat.add("Text", customer, text="Can I change my delivery slot to the afternoon?")
    chat.add("ParticipantJoined", agent)
    chat.add("Text", agent, text="Done: tomorrow between 13:00 and 17:00.")
    chat.add("Text", customer, text="Brilliant, thanks")
    chat.add("ParticipantLeft", agent)
    received, messages = chat.finish(ended_ago_s=40 * 60)
    session = _session(LEFT_CHAT_SESSION_ID, "LeftChat", [customer], received)
    session["userData"] = {"ContactId": "0000XaB5RF5008R7", "Subject": "Delivery slot"}
    return session, messages


def _completed_session(
    rng: random.Random, base_url: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    agent = participant("Agent", "Priya", "00C4E8A9F2B00031", base_url)
    customer = participant("Customer", "+91 98765 43210", "00C4E8A9F2B00030")
    chat = _Chat(rng, TimestampStyle(fixed_offset(5, 30)))
    chat.add("ParticipantJoined", customer)
    chat.add("Text", customer, text="Please cancel my subscription")
    chat.add("ParticipantJoined", agent)
    # GWS transcripts can skip indexes; clients must not assume they are dense.
    chat.add("Text", agent, index=7, text="Cancelled. You will get a confirmation SMS.")
    chat.add("ParticipantLeft", customer)
    chat.add("TranscriptSaveDone", None, index=-1, gap=(0.5, 1.0))
    received, messages = chat.finish(ended_ago_s=3 * 3600)
    session = _session(COMPLETED_SESSION_ID, "Completed", [], received)
    session["userData"] = {"ContactId": "0000XaB5RF5008S2", "DispositionCode": "Resolved"}
    return session, messages


def _long_session(rng: random.Random, base_url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    agent = participant("Agent", "Sam", "00D9A7B3C5E00042", base_url)
    customer = participant("Customer", "Maria", "00D9A7B3C5E00041")
    chat = _Chat(rng, TimestampStyle(fixed_offset(1)))
    chat.add("ParticipantJoined", customer)
    chat.add("ParticipantJoined", agent, gap=(5.0, 30.0))
    position = 0
    while len(chat) < LONG_SESSION_LENGTH:
        asked, answer = _exchange(rng, position)
        _customer_turn(chat, customer, asked)
        _agent_turn(chat, agent, answer)
        position += 1
    chat.truncate(LONG_SESSION_LENGTH)
    received, messages = chat.finish(ended_ago_s=60)
    session = _session(LONG_SESSION_ID, "Chatting", [agent, customer], received)
    session["userData"] = {"ContactId": "0000XaB5RF5008T9", "Subject": "Account questions"}
    return session, messages


def _customer_turn(chat: _Chat, customer: dict[str, Any], text: str) -> None:
    preview = text[: chat.rng.randint(3, max(3, len(text) // 2))]
    chat.add("TypingStarted", customer, gap=(3.0, 30.0), text=preview)
    chat.add("TypingStopped", customer, gap=(2.0, 15.0))
    chat.add("Text", customer, gap=(0.05, 0.3), text=text)
    if chat.rng.random() < 0.15:  # people often send a second SMS straight after the first
        chat.add("Text", customer, gap=(20.0, 60.0), text=chat.rng.choice(FOLLOW_UPS))


def _agent_turn(chat: _Chat, agent: dict[str, Any], text: str) -> None:
    chat.add("TypingStarted", agent, gap=(2.0, 10.0))
    chat.add("TypingStopped", agent, gap=(2.0, 12.0))
    chat.add("Text", agent, gap=(0.05, 0.3), text=text)
    if chat.rng.random() < 0.05:
        chat.add("PushUrl", agent, gap=(1.0, 5.0), url="https://help.example.com/orders/track")


def _session(
    session_id: str, state: str, participants: list[dict[str, Any]], received: str
) -> dict[str, Any]:
    return {
        "id": session_id,
        "state": state,
        "participants": participants,
        "capabilities": capabilities_for(state),
        "userData": {},
        "receivedDate": received,
    }


def build_demo_state(seed: int | None = None, base_url: str = "") -> EmulatorState:
    """The demo sessions; content depends only on ``seed`` (default DEFAULT_SEED), times on now."""
    rng = random.Random(DEFAULT_SEED if seed is None else seed)
    state = EmulatorState(base_url)
    builders: tuple[Callable[[], tuple[dict[str, Any], list[dict[str, Any]]]], ...] = (
        lambda: _vendor_session(rng),
        lambda: _invited_session(rng),
        lambda: _every_type_session(rng, state.base_url),
        lambda: _left_chat_session(rng, state.base_url),
        lambda: _completed_session(rng, state.base_url),
        lambda: _long_session(rng, state.base_url),
    )
    for build in builders:
        session, messages = build()
        state.add_session(session, messages)
    return state


# -- sessions that arrive while the demo runs ------------------------------------------------

ARRIVING_CUSTOMERS = ("Amira", "Lukas", "Priya", "Tomás", "Ngozi", "Kenji")


def arriving_session_id(number: int) -> str:
    """The id of the ``number``-th session the demo's traffic brings in (16 characters)."""
    return f"0000Ta9N{number % 100_000_000:08d}"


def arriving_session(
    number: int, rng: random.Random, base_url: str = ""
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new Chatting session with its first exchange, as the demo's traffic brings it in."""
    session_id = arriving_session_id(number)
    name = ARRIVING_CUSTOMERS[number % len(ARRIVING_CUSTOMERS)]
    customer = participant("Customer", name, f"{session_id[4:]}C1", base_url)
    agent = participant("Agent", "Sam", f"{session_id[4:]}A1", base_url)
    question, _ = _exchange(rng, rng.randrange(len(DIALOGUE)))
    messages = [{"type": "ParticipantJoined", "from": customer},
                {"type": "Text", "from": customer, "text": question},
                {"type": "ParticipantJoined", "from": agent}]
    received = TimestampStyle(fixed_offset(0)).format(now_ms())
    return _session(session_id, "Chatting", [agent, customer], received), messages


# -- big synthetic transcripts ---------------------------------------------------------------


def big_session_id(size: int) -> str:
    """Id of the synthetic session holding ``size`` messages, e.g. ``0000BIG000100000``."""
    return f"0000BIG{size:09d}"


def add_big_session(state: EmulatorState, size: int) -> str:
    """Add (once) a Completed session of ``size`` messages generated on demand; returns its id."""
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= BIG_SESSION_MAX:
        raise ValueError(f"big session size must be an integer from 0 to {BIG_SESSION_MAX}")
    session_id = big_session_id(size)
    if state.get_session(session_id) is not None:
        return session_id
    # One message a second, the last one a minute ago.
    transcript = BigTranscript(now_ms() - 60_000 - size * 1000, TimestampStyle(fixed_offset(0)))
    received = transcript.style.format(transcript.first_ms - 5000)
    session = _session(session_id, "Completed", [], received)
    state.add_generated_session(session, size, transcript.encode)
    return session_id


class BigTranscript:
    """Message ``index`` of a synthetic transcript, built from the index alone."""

    def __init__(self, first_ms: int, style: TimestampStyle) -> None:
        self.first_ms = first_ms
        self.style = style
        customer = participant("Customer", "Bulk Customer", "00E0000000000001")
        agent = participant("Agent", "Bulk Agent", "00E0000000000002")
        self._senders = (encode_json(agent).decode(), encode_json(customer).decode())

    def encode(self, index: int) -> bytes:
        """The message as compact JSON; a template keeps 100,000 of them under a second."""
        position = (index - 1) // 2  # odd indexes ask, even ones answer
        exchange = dialogue_exchange(position, 100000 + position % 900000, 1000 + position % 9000)
        text = exchange[(index - 1) % 2]
        millis = self.first_ms + (index - 1) * 1000
        return (
            f'{{"index":{index},"type":"Text","from":{self._senders[index % 2]},'
            f'"text":{json.dumps(text)},"visibility":"All",'
            f'"timestamp":"{self.style.format(millis)}","timestampSeconds":{millis}}}'
        ).encode()
