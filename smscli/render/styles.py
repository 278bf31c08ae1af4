"""Colours and labels for message types, participant types and session states."""

from __future__ import annotations

# Two palettes that share no hue, so a glance tells a sender from a message type: senders
# are cyan, green and magenta; types use blue, red, yellow and grey, with bold, italic and
# underline to tell them apart. None is white, black or a bright yellow: all read on dark
# and light backgrounds. Every type also has its name as a label, so meaning never rests on
# colour alone.
MESSAGE_STYLES = {
    "Text": "bold",
    "ParticipantJoined": "blue",
    "ParticipantLeft": "red",
    "ParticipantRejoined": "bold blue",
    "TypingStarted": "italic bright_black",
    "TypingStopped": "bright_black",
    "TypingStopping": "bright_black",
    "PushUrl": "underline blue",
    "Notice": "yellow",
    "CustomNotice": "bold yellow",
    "TranscriptSaveDone": "italic yellow",
}
PARTICIPANT_STYLES = {"Customer": "cyan", "Agent": "green", "External": "magenta"}
STATE_STYLES = {
    "Invited": "bold yellow",
    "Chatting": "bold green",
    "LeftChat": "blue",
    "Completed": "bright_black",
    "Revoked": "red",
    "JoinFailed": "bold red",
}
NEUTRAL = "none"
ESCAPED = "dim reverse"  # escapes of untrusted control characters: visible, never mistaken for text
HEADER = "bold"


def message_style(kind: str) -> str:
    return MESSAGE_STYLES.get(kind, NEUTRAL)


def participant_style(kind: str) -> str:
    return PARTICIPANT_STYLES.get(kind, NEUTRAL)


def state_style(state: str) -> str:
    return STATE_STYLES.get(state, NEUTRAL)
