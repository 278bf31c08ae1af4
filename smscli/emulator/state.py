"""Thread-safe emulator state: SMS sessions, transcripts, POST operations and notifications."""

from __future__ import annotations

import copy
import itertools
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from smscli.emulator.timestamps import TimestampStyle, now_ms, parse_timestamp
from smscli.emulator.transcript import MessageEncoder, Transcript, TranscriptPage

log = logging.getLogger(__name__)

CHANNEL = "/v2/me/smssessions"
STATE_CHANGE = "SMSsessionStateChangeMessage"  # sic: GWS spells "session" in lower case here
LOG_UPDATED = "MessageLogUpdated"

_CHATTING = (
    "Transfer", "Leave", "Invite", "Consult", "SetInFocus", "SetDisposition", "AttachUserData",
    "DeleteUserData", "UpdateUserData", "Complete", "LeaveAndComplete", "SendMessage",
    "SendStartTypingNotification", "SendStopTypingNotification",
)  # fmt: skip
_LEFT_CHAT = (
    "Complete", "SetDisposition", "AttachUserData", "UpdateUserData", "DeleteUserData", "InFocus",
)  # fmt: skip
CAPABILITIES_BY_STATE: dict[str, tuple[str, ...]] = {
    "Invited": ("Accept", "Reject"),
    "Chatting": _CHATTING,
    "LeftChat": _LEFT_CHAT,
    "Completed": (),
}
# Extra operations GWS offers while agents confer; the demo's conference session has them.
CONFERENCE_CAPABILITIES = (
    "SendToAgents",
    "SendStartTypingToAgentsNotification",
    "SendStopTypingToAgentsNotification",
)

Notification = dict[str, Any]
Listener = Callable[[Notification], None]


def capabilities_for(state: str) -> list[str]:
    """The operations GWS offers in a session state (none for unknown states)."""
    return list(CAPABILITIES_BY_STATE.get(state, ()))


def user_id_for(user_name: str) -> str:
    """A stable 32-hex GWS user id for a login name, so /me and agent paths agree."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"smscli-emulator:user:{user_name}").hex


def error_body(status_code: int, message: str) -> dict[str, Any]:
    """A GWS error envelope: statusCode and statusMessage and nothing else."""
    return {"statusCode": status_code, "statusMessage": message}


@dataclass
class SessionRecord:
    resource: dict[str, Any]
    transcript: Transcript
    auto_uri: bool
    style: TimestampStyle = field(default_factory=TimestampStyle.local)


class EmulatorState:
    """All sessions of the emulated agent, guarded by one re-entrant lock.

    Subscribers are called synchronously while the lock is held, so every subscriber sees
    notifications in exactly the order the changes were applied. Callbacks must therefore
    be quick and must not wait on another thread that uses this state.
    """

    def __init__(self, base_url: str = "") -> None:
        self._lock = threading.RLock()
        self._sessions: dict[str, SessionRecord] = {}
        self._listeners: dict[int, Listener] = {}
        self._listener_ids = itertools.count()
        self.reference_ids = itertools.count(1)
        self._base_url = base_url.rstrip("/")

    # -- sessions ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Server root used for ``uri`` fields, e.g. ``http://127.0.0.1:8080``."""
        with self._lock:
            return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        with self._lock:
            self._base_url = value.rstrip("/")

    def add_session(
        self, session: dict[str, Any], messages: Iterable[dict[str, Any]] = ()
    ) -> dict[str, Any]:
        """Add a session in GWS shape with its transcript; returns the session as served."""
        return self._add(session, Transcript(), messages)

    def add_generated_session(
        self, session: dict[str, Any], count: int, encoder: MessageEncoder
    ) -> dict[str, Any]:
        """Add a session whose messages 1..count are ``encoder(index)`` (JSON bytes), on demand."""
        return self._add(session, Transcript(encoder, count), ())

    def _add(
        self, session: dict[str, Any], transcript: Transcript, messages: Iterable[dict[str, Any]]
    ) -> dict[str, Any]:
        resource = _normalized_resource(session)
        record = SessionRecord(resource, transcript, auto_uri="uri" not in resource)
        with self._lock:
            if resource["id"] in self._sessions:
                raise ValueError(f"session {resource['id']} already exists")
            for message in messages:  # stored only: nobody needs a decoded copy back here
                record.transcript.append(self._complete_message(record, message))
            self._sessions[resource["id"]] = record
            return self.render(record)

    def remove_session(self, session_id: str) -> bool:
        """Drop a session from the agent's list without a notification, as GWS does after a
        transfer or some time after a session completes; returns whether it was there."""
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        """The full session resource, or None for an unknown id."""
        with self._lock:
            record = self._sessions.get(session_id)
            return None if record is None else self.render(record)

    def list_sessions(self) -> list[dict[str, Any]]:
        """Every session resource, oldest first."""
        with self._lock:
            return [self.render(record) for record in self._sessions.values()]

    def session_ids(self, state: str | None = None) -> list[str]:
        """Ids of all sessions, or only of those in ``state``."""
        with self._lock:
            return [
                session_id
                for session_id, record in self._sessions.items()
                if state is None or record.resource.get("state") == state
            ]

    def set_state(self, session_id: str, state: str) -> dict[str, Any]:
        """Move a session to ``state``, recompute its capabilities and publish StatusChange."""
        with self._lock:
            record = self.record(session_id)
            self.change_state(record, state)
            self.publish_session(record, "StatusChange")
            return self.render(record)

    # -- transcripts ------------------------------------------------------------------------

    def append_message(
        self,
        session_id: str,
        message: dict[str, Any],
        notify: bool = True,
        *,
        if_state: str | None = None,
    ) -> dict[str, Any] | None:
        """Store a message, filling index, visibility and timestamps when absent.

        Returns the stored message, or None when ``if_state`` is given and the session is
        not in that state (lets background writers avoid racing a state change).
        """
        with self._lock:
            record = self.record(session_id)
            if if_state is not None and record.resource.get("state") != if_state:
                return None
            stored = self.store_message(record, message)
            if notify:
                self.publish_messages(record, [stored])
            return stored

    def messages(
        self, session_id: str, start_index: int = 1, count: int = 0
    ) -> list[dict[str, Any]]:
        """Transcript page as fresh dicts (GWS startIndex/count rules); KeyError if unknown."""
        return self._page(session_id, start_index, count).messages()

    def encoded_messages(
        self, session_id: str, start_index: int = 1, count: int = 0
    ) -> list[bytes]:
        """Transcript page as encoded JSON objects, ready to join into a response body."""
        return self._page(session_id, start_index, count).chunks()

    def message_count(self, session_id: str) -> int:
        """Number of messages in a session's transcript; KeyError if unknown."""
        with self._lock:
            return len(self.record(session_id).transcript)

    def _page(self, session_id: str, start_index: int, count: int) -> TranscriptPage:
        for name, value in (("start_index", start_index), ("count", count)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer")
        with self._lock:
            # Generated messages are encoded by the caller after the lock is released.
            return self.record(session_id).transcript.page(start_index, count)

    # -- notifications ----------------------------------------------------------------------

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(notification)`` for every change; returns an idempotent unsubscribe."""
        with self._lock:
            token = next(self._listener_ids)
            self._listeners[token] = callback

        def unsubscribe() -> None:
            with self._lock:
                self._listeners.pop(token, None)

        return unsubscribe

    def publish(self, data: Any) -> None:
        """Send ``data`` to every subscriber as a notification on the SMS channel, whatever
        its shape: the state's own changes, or a test's hand-made (even malformed) events."""
        with self._lock:
            self._notify({"channel": CHANNEL, "data": data})

    def _notify(self, notification: dict[str, Any]) -> None:
        for callback in list(self._listeners.values()):
            try:
                callback(notification)
            except Exception:  # one broken subscriber must not undo or block the change
                log.debug("notification subscriber failed", exc_info=True)

    def publish_messages(self, record: SessionRecord, messages: list[dict[str, Any]]) -> None:
        self.publish(
            {
                "messageType": LOG_UPDATED,
                "notificationType": "NewMessages",
                "smssessionUri": self._uri(record),
                "messages": messages,
            }
        )

    def publish_session(self, record: SessionRecord, notification_type: str) -> None:
        self.publish(
            {
                "messageType": STATE_CHANGE,
                "notificationType": notification_type,
                "smssession": self.render(record),
            }
        )

    # -- session mechanics, for the operations (all called with the lock held) -------------

    @property
    def lock(self) -> threading.RLock:
        """The one lock: `operations.apply` holds it while an operation runs."""
        return self._lock

    def find(self, session_id: str) -> SessionRecord | None:
        return self._sessions.get(session_id)

    def record(self, session_id: str) -> SessionRecord:
        record = self._sessions.get(session_id)
        if record is None:
            raise KeyError(session_id)
        return record

    def render(self, record: SessionRecord) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        for key, value in record.resource.items():
            rendered[key] = copy.deepcopy(value)
            if key == "id" and record.auto_uri and self._base_url:
                rendered["uri"] = self._uri(record)
        return rendered

    def _uri(self, record: SessionRecord) -> str:
        if not record.auto_uri:
            return str(record.resource["uri"])
        return f"{self._base_url}/api/v2/smssessions/{record.resource['id']}"

    def change_state(self, record: SessionRecord, state: str) -> None:
        record.resource["state"] = state
        record.resource["capabilities"] = capabilities_for(state)

    def finish_state_change(self, record: SessionRecord, state: str) -> dict[str, Any]:
        self.change_state(record, state)
        self.publish_session(record, "StatusChange")
        return {"statusCode": 0}

    def store_message(self, record: SessionRecord, message: dict[str, Any]) -> dict[str, Any]:
        encoded = record.transcript.append(self._complete_message(record, message))
        # Decoding the stored bytes hands out a private copy identical to what clients receive.
        stored: dict[str, Any] = json.loads(encoded)
        return stored

    def _complete_message(self, record: SessionRecord, message: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(message, dict):
            raise TypeError("a message must be a dict")
        if not isinstance(message.get("type"), str):
            raise TypeError("a message needs a string 'type'")
        index = message.get("index", record.transcript.next_index)
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("a message 'index' must be an integer")
        completed: dict[str, Any] = {"index": index}
        completed.update((key, value) for key, value in message.items() if key != "index")
        completed.setdefault("visibility", "All")
        self._fill_timestamps(record, completed)
        return completed

    def _fill_timestamps(self, record: SessionRecord, message: dict[str, Any]) -> None:
        has_text, has_millis = "timestamp" in message, "timestampSeconds" in message
        if not has_text and not has_millis:
            millis = now_ms()
            message["timestamp"] = record.style.format(millis)
            message["timestampSeconds"] = millis
        elif not has_text and _is_int(message["timestampSeconds"]):
            message["timestamp"] = record.style.format(message["timestampSeconds"])
        elif has_text and isinstance(message["timestamp"], str):
            # An unparseable timestamp gets no invented timestampSeconds to contradict it.
            parsed = parse_timestamp(message["timestamp"])
            if parsed is not None:
                # Later messages copy the offset and separator the session already uses.
                millis, record.style = parsed
                message.setdefault("timestampSeconds", millis)

    def agent_of(self, record: SessionRecord) -> dict[str, Any] | None:
        for participant in record.resource["participants"]:
            if isinstance(participant, dict) and participant.get("type") == "Agent":
                return participant
        return None

    def agent_says(
        self, record: SessionRecord, user: str, kind: str, visibility: str, text: str | None = None
    ) -> dict[str, Any]:
        agent = self.agent_of(record) or self.new_agent(record, user, user)
        message: dict[str, Any] = {"type": kind, "from": agent}
        if text is not None:
            message["text"] = text
        message["visibility"] = visibility
        self.publish_messages(record, [self.store_message(record, message)])
        return {"statusCode": 0}

    def agent_leaves(self, record: SessionRecord, user: str) -> None:
        agent = self.agent_of(record) or self.new_agent(record, user, user)
        record.resource["participants"] = [
            participant
            for participant in record.resource["participants"]
            if participant is not agent
        ]
        stored = self.store_message(record, {"type": "ParticipantLeft", "from": agent})
        self.publish_messages(record, [stored])

    def new_agent(self, record: SessionRecord, nickname: str, user: str) -> dict[str, Any]:
        participant_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{record.resource['id']}/{user}").hex
        participant_id = participant_id[:16].upper()
        user_id = user_id_for(user)
        agent = {
            "type": "Agent",
            "nickname": nickname,
            "participantId": participant_id,
            "id": participant_id,
            "visibility": "All",
            "path": f"/users/{user_id}",
        }
        if self._base_url:
            agent["uri"] = f"{self._base_url}/api/v2/users/{user_id}"
        return agent


def _normalized_resource(session: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(session, dict):
        raise TypeError("a session must be a dict")
    session_id = session.get("id")
    if not isinstance(session_id, str) or not session_id:
        raise ValueError("a session needs a non-empty string 'id'")
    resource = copy.deepcopy(session)
    resource.setdefault("state", "Invited")
    resource.setdefault("participants", [])
    if "capabilities" not in resource:
        resource["capabilities"] = capabilities_for(str(resource["state"]))
    resource.setdefault("userData", {})
    if not isinstance(resource["participants"], list) or not isinstance(
        resource["capabilities"], list
    ):
        raise TypeError("'participants' and 'capabilities' must be lists")
    if not isinstance(resource["userData"], dict):
        raise TypeError("'userData' must be an object")
    return resource


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
