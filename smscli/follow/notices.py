"""What a notification on the SMS channel says, for the engines that follow many sessions
(watch, tail); the single-session follow reads its own session's events (engine.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smscli.follow.engine import session_of_log
from smscli.models import as_text


@dataclass(frozen=True, slots=True)
class Notice:
    """What one notification on the SMS channel says, for the engines that follow many
    sessions (watch, tail): a session changed (which and how, the session list says), or
    a session's transcript grew (``session_id``, with the messages it carries)."""

    state_change: bool
    session_id: str = ""
    messages: list = field(default_factory=list)


def notice_of(event: Any) -> Notice | None:
    """An SMSsessionStateChangeMessage, or a MessageLogUpdated that names its session; None
    for anything else (docs/gws-notes.md, "CometD")."""
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return None
    kind = as_text(data.get("messageType")).lower()
    if kind == "smssessionstatechangemessage":
        return Notice(True)
    session_id = session_of_log(data) if kind == "messagelogupdated" else None
    if session_id is None:
        return None
    messages = data.get("messages")
    return Notice(False, session_id, messages if isinstance(messages, list) else [])
