"""GWS sessions, participants and messages, parsed tolerantly; the raw object is always kept."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from smscli.jsontext import as_text  # one home; re-exported here for the renderers

KNOWN_MESSAGE_TYPES = (
    "Text", "ParticipantJoined", "ParticipantLeft", "ParticipantRejoined", "TypingStarted",
    "TypingStopped", "PushUrl", "Notice", "CustomNotice", "TranscriptSaveDone",
)
# The vendor's message-resource page spells TypingStopped as TypingStopping once.
TYPING_TYPES = frozenset({"TypingStarted", "TypingStopped", "TypingStopping"})
FINAL_STATES = frozenset({"Completed", "Revoked"})


def as_int(value: Any) -> int | None:
    """An integer from a JSON value that may be a string or a float; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def parse_timestamp(text: Any, epoch_ms: Any = None) -> datetime | None:
    """A GWS time (``2016-01-20 14:24:10.000+0200``, ISO with T, Z or +02:00), else epoch ms."""
    if isinstance(text, str) and text:
        parsed = _parse_iso(text.strip())
        if parsed is not None:
            return parsed
    millis = as_int(epoch_ms) if not isinstance(epoch_ms, float) else epoch_ms
    if isinstance(millis, (int, float)):
        try:
            # timestampSeconds is documented as seconds but every sample is milliseconds.
            seconds = millis / 1000 if abs(millis) >= 100_000_000_000 else millis
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None  # beyond any calendar: shown as no time rather than a crash
    return None


def _parse_iso(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass(slots=True)
class Participant:
    type: str
    nickname: str
    participant_id: str
    visibility: str
    raw: Any

    @classmethod
    def from_raw(cls, raw: Any) -> Participant:
        data = _as_dict(raw)
        if not data and raw not in (None, {}):
            return cls(type="?", nickname=as_text(raw), participant_id="", visibility="", raw=raw)
        return cls(
            type=as_text(data.get("type")),
            nickname=as_text(data.get("nickname")),
            participant_id=as_text(data.get("participantId", data.get("id"))),
            visibility=as_text(data.get("visibility")),
            raw=raw,
        )


def _participants(value: Any) -> list[Participant]:
    if isinstance(value, list):
        return [Participant.from_raw(item) for item in value]
    if isinstance(value, dict):
        # A single participant object where a list belongs, or a map of them.
        if {"type", "nickname", "participantId"} & value.keys():
            return [Participant.from_raw(value)]
        return [Participant.from_raw(item) for item in value.values()]
    return []


@dataclass(slots=True)
class Session:
    id: str
    state: str
    uri: str
    participants: list[Participant]
    capabilities: list[str]
    user_data: dict[str, Any]
    received: datetime | None
    raw: Any = field(repr=False)

    @classmethod
    def from_raw(cls, raw: Any) -> Session:
        data = _as_dict(raw)
        capabilities = data.get("capabilities")
        if isinstance(capabilities, list):
            caps = [as_text(cap) for cap in capabilities]
        else:
            caps = [] if capabilities is None else [as_text(capabilities)]
        user_data = data.get("userData")
        if not isinstance(user_data, dict):
            user_data = {} if user_data is None else {"(userData)": user_data}
        return cls(
            id=as_text(data.get("id")),
            state=as_text(data.get("state")),
            uri=as_text(data.get("uri")),
            participants=_participants(data.get("participants")),
            capabilities=caps,
            user_data=user_data,
            received=parse_timestamp(data.get("receivedDate")),
            raw=raw,
        )

    def nicknames(self, participant_type: str) -> list[str]:
        return [p.nickname for p in self.participants if p.type == participant_type]

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass(slots=True)
class Message:
    index: int | None
    type: str
    sender: Participant | None
    body: str
    visibility: str
    time: datetime | None
    raw: Any = field(repr=False)

    @classmethod
    def from_raw(cls, raw: Any) -> Message:
        data = _as_dict(raw)
        if not data:
            return cls(None, "?", None, as_text(raw), "", None, raw)
        sender = data.get("from")
        return cls(
            index=as_int(data.get("index")),
            type=as_text(data.get("type")),
            sender=None if sender is None else Participant.from_raw(sender),
            body=message_body(data),
            visibility=as_text(data.get("visibility")),
            time=parse_timestamp(data.get("timestamp"), data.get("timestampSeconds")),
            raw=raw,
        )

    @property
    def is_typing(self) -> bool:
        return self.type in TYPING_TYPES


def message_body(data: dict) -> str:
    """What a message says: the url of a PushUrl, the noticeText of a CustomNotice, else text."""
    kind = data.get("type")
    if kind == "PushUrl" and data.get("url") is not None:
        return as_text(data.get("url"))
    if data.get("text") is None and data.get("noticeText") is not None:
        return as_text(data.get("noticeText"))
    if kind == "CustomNotice" and data.get("noticeText") is not None:
        return as_text(data.get("noticeText"))
    return as_text(data.get("text"))


# What a row of a transcript shows, read straight from a message's dict: index, type, the
# sender's type (None when there is no sender) and nickname, visibility, body, and the two
# time fields as sent (for render.TimeTexts). Each value is the one Message.from_raw gives.
MessageFields = tuple[int | None, str, str | None, str, str, str, Any, Any]


def message_fields(raw: Any) -> MessageFields:
    """The fields a transcript row shows, as ``Message.from_raw`` has them, without building
    a Message and its Participant: about a quarter of the time for the usual message, whose
    values are already strings and an int. Anything else takes the general path."""
    if type(raw) is not dict or not raw:
        m = Message.from_raw(raw)
        sender = m.sender
        return (m.index, m.type, sender.type if sender else None,
                sender.nickname if sender else "", m.visibility, m.body, None, None)
    get = raw.get
    index = get("index")
    if type(index) is not int:
        index = as_int(index)
    kind = get("type")
    if type(kind) is not str:
        kind = as_text(kind)
    sender = get("from")
    if sender is None:
        sender_type: str | None = None
        nickname = ""
    elif type(sender) is dict and sender:
        sender_type = sender.get("type")
        if type(sender_type) is not str:
            sender_type = as_text(sender_type)
        raw_nickname = sender.get("nickname")
        nickname = raw_nickname if type(raw_nickname) is str else as_text(raw_nickname)
    else:
        participant = Participant.from_raw(sender)
        sender_type, nickname = participant.type, participant.nickname
    visibility = get("visibility")
    if type(visibility) is not str:
        visibility = as_text(visibility)
    body = get("text")
    if type(body) is not str or kind == "PushUrl" or kind == "CustomNotice":
        body = message_body(raw)
    return (index, kind, sender_type, nickname, visibility, body, get("timestamp"),
            get("timestampSeconds"))


def message_type(raw: Any) -> str:
    return as_text(raw.get("type")) if isinstance(raw, dict) else "?"


def message_key(raw: Any) -> tuple:
    """Identity of a message that survives repeated, missing and -1 indexes (docs/gws-notes.md, "Paging")."""
    if not isinstance(raw, dict):
        # "?" only labels the key: a 1-tuple could not equal a message's 5-tuple either.
        return ("?", as_text(raw))
    sender = raw.get("from")
    sender_id = sender.get("participantId") if isinstance(sender, dict) else sender
    return (
        as_text(raw.get("index")),
        as_text(raw.get("type")),
        as_text(raw.get("timestampSeconds", raw.get("timestamp"))),
        as_text(sender_id),
        as_text(raw.get("text", raw.get("url", raw.get("noticeText")))),
    )


def positive_index(raw: Any) -> int | None:
    index = as_int(raw.get("index")) if isinstance(raw, dict) else None
    return index if index is not None and index > 0 else None


def message_filter(types: Iterable[str] | None = None,
                   no_typing: bool = False) -> Callable[[Any], bool]:
    """A predicate for the messages a user asked for: by type (case-insensitive), no typing."""
    wanted = {t.lower() for t in types} if types else None

    def keep(raw: Any) -> bool:
        kind = message_type(raw)
        if wanted is not None and kind.lower() not in wanted:
            return False
        return not (no_typing and kind in TYPING_TYPES)

    return keep


def select_messages(messages: Iterable[Any], types: Iterable[str] | None = None,
                    no_typing: bool = False, limit: int | None = None) -> Iterator[Any]:
    """The messages a user asked for, at most ``limit`` of them."""
    if not types and not no_typing and limit is None:
        return iter(messages)  # every message: no step of our own between reader and writer
    return _selected(messages, types, no_typing, limit)


def _selected(messages: Iterable[Any], types: Iterable[str] | None, no_typing: bool,
              limit: int | None) -> Iterator[Any]:
    if limit == 0:
        return
    keep = message_filter(types, no_typing)
    shown = 0
    for raw in messages:
        if keep(raw):
            yield raw
            shown += 1
            if limit is not None and shown >= limit:
                return


def in_states(sessions: Iterable[Any], states: Iterable[str] | None) -> Iterator[Any]:
    """The session objects whose state is one of ``states`` (case-insensitive); all if none."""
    wanted = {s.lower() for s in states or ()}
    for session in sessions:
        if isinstance(session, dict) and (
                not wanted or as_text(session.get("state")).lower() in wanted):
            yield session
