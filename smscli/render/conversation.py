"""The conversation view of a transcript: who said what, on which side, and when.

The chat view (render/chatview.py) and the Markdown and HTML exports (render/export/) draw
the same turns; they differ only in how a turn looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smscli.models import Message
from smscli.render.base import TimeFormat

CUSTOMER, AGENT, SYSTEM = "customer", "agent", "system"
SYSTEM_TYPES = frozenset({"ParticipantJoined", "ParticipantLeft", "ParticipantRejoined",
                          "Notice", "CustomNotice", "TranscriptSaveDone"})


@dataclass(slots=True)
class Turn:
    """One line of a conversation: who, on which side, saying what.

    ``side`` is "customer" (shown on the left), "agent" (on the right: agents, External
    participants and any other sender) or "system" (a centred line: joins, leaves, notices,
    transcript saves, and anything without a sender).
    """

    side: str
    message: Message
    speaker: str
    text: str
    typing: bool = False

    @property
    def sender_type(self) -> str:
        return self.message.sender.type if self.message.sender else ""

    @property
    def visibility_note(self) -> str:
        """"(Agents only)" for what the customer never saw; empty for everything else."""
        visibility = self.message.visibility
        return "" if visibility in ("", "All") else f"({visibility} only)"


def conversation_turn(m: Message) -> Turn:
    """Where a message belongs in the conversation view, and what it says there."""
    sender = m.sender
    name = (sender.nickname or sender.type) if sender else ""
    if sender is None or m.type in SYSTEM_TYPES:
        return Turn(SYSTEM, m, name, _system_line(m, name))
    side = CUSTOMER if sender.type == "Customer" else AGENT
    if m.is_typing:
        text = "is typing…" if m.type == "TypingStarted" else "stopped typing"
        return Turn(side, m, name, text, typing=True)
    return Turn(side, m, name, m.body)


def _system_line(m: Message, name: str) -> str:
    who = name or "Someone"
    if m.type == "ParticipantJoined":
        return f"{who} joined"
    if m.type == "ParticipantLeft":
        return f"{who} left"
    if m.type == "ParticipantRejoined":
        return f"{who} rejoined"
    if m.type == "TranscriptSaveDone":
        return "Transcript saved"
    if m.type in ("Notice", "CustomNotice"):
        return f"{who}: {m.body}" if m.body else f"Notice from {who}"
    prefix = f"{name}: " if name else ""
    return f"{prefix}{m.body}" if m.body else f"{prefix}{m.type}"


def split_time(times: TimeFormat, moment: datetime | None) -> tuple[str, str]:
    """(date, time of day) in the chosen zone; empty strings when the server sent no time."""
    shown = times.human(moment)
    return (shown[:10], shown[11:]) if shown else ("", "")


def zone_label(times: TimeFormat) -> str:
    """The zone the times of an export are in, said once in its header."""
    if times.zone is None:
        local = datetime.now().astimezone()
        return f"local time ({local.strftime('%Z')}, UTC{local.strftime('%z')})"
    return str(times.zone)
