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
OperationResult = tuple[int, dict[str, Any]]


def capabilities_for(state: str) -> list[str]:
    """The operations GWS offers in a session state (none for unknown states)."""
    return list(CAPABILITIES_BY_STATE.get(state, ()))


def user_id_for(user_name: str) -> str:
    """A stable 32-hex GWS user id for a login name, so /me and agent paths agree."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"smscli-emulator:user:{user_name}").hex


def error_body(status_code: int, message: str) -> dict[str, Any]:
    """A GWS error envelope: statusCode and statusMessage and nothing else."""
    return {"statusCode": status_code, "statusMessage": message}


class OperationError(Exception):
    """A POST operation refused before it changed anything."""

    def __init__(self, http_status: int, status_code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status_code = status_code


@dataclass
class _Session:
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
        self._sessions: dict[str, _Session] = {}
        self._listeners: dict[int, Listener] = {}
        self._listener_ids = itertools.count()
        self._reference_ids = itertools.count(1)
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
        record = _Session(resource, transcript, auto_uri="uri" not in resource)
        with self._lock:
            if resource["id"] in self._sessions:
                raise ValueError(f"session {resource['id']} already exists")
            for message in messages:
                self._store_message(record, message)
            self._sessions[resource["id"]] = record
            return self._render(record)

    def remove_session(self, session_id: str) -> bool:
        """Drop a session from the agent's list without a notification, as GWS does after a
        transfer or some time after a session completes; returns whether it was there."""
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        """The full session resource, or None for an unknown id."""
        with self._lock:
            record = self._sessions.get(session_id)
            return None if record is None else self._render(record)

    def list_sessions(self) -> list[dict[str, Any]]:
        """Every session resource, oldest first."""
        with self._lock:
            return [self._render(record) for record in self._sessions.values()]

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
            record = self._record(session_id)
            self._change_state(record, state)
            self._publish_session(record, "StatusChange")
            return self._render(record)

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
            record = self._record(session_id)
            if if_state is not None and record.resource.get("state") != if_state:
                return None
            stored = self._store_message(record, message)
            if notify:
                self._publish_messages(record, [stored])
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
            return len(self._record(session_id).transcript)

    def _page(self, session_id: str, start_index: int, count: int) -> TranscriptPage:
        for name, value in (("start_index", start_index), ("count", count)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer")
        with self._lock:
            # Generated messages are encoded by the caller after the lock is released.
            return self._record(session_id).transcript.page(start_index, count)

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

    def _publish(self, data: dict[str, Any]) -> None:
        notification = {"channel": CHANNEL, "data": data}
        for callback in list(self._listeners.values()):
            try:
                callback(notification)
            except Exception:  # one broken subscriber must not undo or block the change
                log.debug("notification subscriber failed", exc_info=True)

    def _publish_messages(self, record: _Session, messages: list[dict[str, Any]]) -> None:
        self._publish(
            {
                "messageType": LOG_UPDATED,
                "notificationType": "NewMessages",
                "smssessionUri": self._uri(record),
                "messages": messages,
            }
        )

    def _publish_session(self, record: _Session, notification_type: str) -> None:
        self._publish(
            {
                "messageType": STATE_CHANGE,
                "notificationType": notification_type,
                "smssession": self._render(record),
            }
        )

    # -- operations -------------------------------------------------------------------------

    def operation(self, session_id: str, body: Any, user: str) -> OperationResult:
        """Apply one POST operation; returns (HTTP status, GWS response body)."""
        try:
            name = _operation_name(body)
            with self._lock:
                record = self._sessions.get(session_id)
                if record is None:
                    raise OperationError(404, 6, f"SMS session {session_id} not found")
                if name not in record.resource.get("capabilities", ()):
                    raise OperationError(
                        400, 2, f"Operation {name} is not valid for the current state"
                    )
                handler = _OPERATIONS.get(name, EmulatorState._op_without_effect)
                return 200, handler(self, record, body, user)
        except OperationError as error:
            return error.http_status, error_body(error.status_code, str(error))

    def _op_accept(self, record: _Session, body: dict[str, Any], user: str) -> dict[str, Any]:
        nickname = _optional_text(body, "nickname") or user
        agent = self._new_agent(record, nickname, user)
        record.resource["participants"].append(agent)
        self._change_state(record, "Chatting")
        self._store_message(record, {"type": "ParticipantJoined", "from": agent})
        # GWS reports an accept in this order and then replays the whole history at once.
        self._publish_session(record, "StatusChange")
        self._publish_session(record, "ParticipantsUpdated")
        self._publish_messages(record, record.transcript.page(1, 0).messages())
        return {"statusCode": 0}

    def _op_reject(self, record: _Session, body: dict[str, Any], user: str) -> dict[str, Any]:
        record.resource["participants"] = []
        return self._finish_state_change(record, "Completed")

    def _op_complete(self, record: _Session, body: dict[str, Any], user: str) -> dict[str, Any]:
        # queueName is checked for the client's sake; there are no queues to park the SMS in.
        _optional_text(body, "queueName")
        return self._finish_state_change(record, "Completed")

    def _op_leave(self, record: _Session, body: dict[str, Any], user: str) -> dict[str, Any]:
        self._agent_leaves(record, user)
        return self._finish_state_change(record, "LeftChat")

    def _op_leave_and_complete(
        self, record: _Session, body: dict[str, Any], user: str
    ) -> dict[str, Any]:
        self._agent_leaves(record, user)
        return self._finish_state_change(record, "Completed")

    def _op_send_message(self, record: _Session, body: dict[str, Any], user: str) -> dict[str, Any]:
        return self._agent_says(record, user, "Text", "All", _required_text(body, "text"))

    def _op_send_to_agents(
        self, record: _Session, body: dict[str, Any], user: str
    ) -> dict[str, Any]:
        return self._agent_says(record, user, "Text", "Agents", _required_text(body, "text"))

    def _op_start_typing(self, record: _Session, body: dict[str, Any], user: str) -> dict[str, Any]:
        return self._agent_says(record, user, "TypingStarted", "All")

    def _op_stop_typing(self, record: _Session, body: dict[str, Any], user: str) -> dict[str, Any]:
        return self._agent_says(record, user, "TypingStopped", "All")

    def _op_start_typing_to_agents(
        self, record: _Session, body: dict[str, Any], user: str
    ) -> dict[str, Any]:
        return self._agent_says(record, user, "TypingStarted", "Agents")

    def _op_stop_typing_to_agents(
        self, record: _Session, body: dict[str, Any], user: str
    ) -> dict[str, Any]:
        return self._agent_says(record, user, "TypingStopped", "Agents")

    def _op_merge_user_data(
        self, record: _Session, body: dict[str, Any], user: str
    ) -> dict[str, Any]:
        user_data = body.get("userData")
        if not isinstance(user_data, dict):
            raise OperationError(400, 1, "Parameter userData (an object) is required")
        record.resource["userData"].update(copy.deepcopy(user_data))
        self._publish_session(record, "PropertiesUpdated")
        return {"statusCode": 0}

    def _op_delete_user_data(
        self, record: _Session, body: dict[str, Any], user: str
    ) -> dict[str, Any]:
        keys = body.get("keys")
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise OperationError(400, 1, "Parameter keys (an array of strings) is required")
        for key in keys:
            record.resource["userData"].pop(key, None)
        self._publish_session(record, "PropertiesUpdated")
        return {"statusCode": 0}

    def _op_set_disposition(
        self, record: _Session, body: dict[str, Any], user: str
    ) -> dict[str, Any]:
        disposition = _required_text(body, "disposition")
        key = _optional_text(body, "dispositionKey") or "DispositionCode"
        record.resource["userData"][key] = disposition
        self._publish_session(record, "PropertiesUpdated")
        return {"statusCode": 0}

    def _op_targeted(self, record: _Session, body: dict[str, Any], user: str) -> dict[str, Any]:
        # The emulator has no other agents or queues: the request is acknowledged the way GWS
        # does (the effect would follow asynchronously) and the target simply never answers.
        targets = [_optional_text(body, name) for name in ("targetUri", "targetPath", "queueName")]
        if not any(targets):
            raise OperationError(400, 1, "Parameter targetUri or targetPath is required")
        return {"statusCode": 0, "referenceId": next(self._reference_ids)}

    def _op_without_effect(
        self, record: _Session, body: dict[str, Any], user: str
    ) -> dict[str, Any]:
        # Focus hints only steer a desktop UI, and capabilities a test added by hand have no
        # emulated behaviour; both succeed without changing the session.
        return {"statusCode": 0}

    # -- helpers (all called with the lock held) --------------------------------------------

    def _record(self, session_id: str) -> _Session:
        record = self._sessions.get(session_id)
        if record is None:
            raise KeyError(session_id)
        return record

    def _render(self, record: _Session) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        for key, value in record.resource.items():
            rendered[key] = copy.deepcopy(value)
            if key == "id" and record.auto_uri and self._base_url:
                rendered["uri"] = self._uri(record)
        return rendered

    def _uri(self, record: _Session) -> str:
        if not record.auto_uri:
            return str(record.resource["uri"])
        return f"{self._base_url}/api/v2/smssessions/{record.resource['id']}"

    def _change_state(self, record: _Session, state: str) -> None:
        record.resource["state"] = state
        record.resource["capabilities"] = capabilities_for(state)

    def _finish_state_change(self, record: _Session, state: str) -> dict[str, Any]:
        self._change_state(record, state)
        self._publish_session(record, "StatusChange")
        return {"statusCode": 0}

    def _store_message(self, record: _Session, message: dict[str, Any]) -> dict[str, Any]:
        encoded = record.transcript.append(self._complete_message(record, message))
        # Decoding the stored bytes hands out a private copy identical to what clients receive.
        stored: dict[str, Any] = json.loads(encoded)
        return stored

    def _complete_message(self, record: _Session, message: dict[str, Any]) -> dict[str, Any]:
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

    def _fill_timestamps(self, record: _Session, message: dict[str, Any]) -> None:
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

    def _agent_of(self, record: _Session) -> dict[str, Any] | None:
        for participant in record.resource["participants"]:
            if isinstance(participant, dict) and participant.get("type") == "Agent":
                return participant
        return None

    def _agent_says(
        self, record: _Session, user: str, kind: str, visibility: str, text: str | None = None
    ) -> dict[str, Any]:
        agent = self._agent_of(record) or self._new_agent(record, user, user)
        message: dict[str, Any] = {"type": kind, "from": agent}
        if text is not None:
            message["text"] = text
        message["visibility"] = visibility
        self._publish_messages(record, [self._store_message(record, message)])
        return {"statusCode": 0}

    def _agent_leaves(self, record: _Session, user: str) -> None:
        agent = self._agent_of(record) or self._new_agent(record, user, user)
        record.resource["participants"] = [
            participant
            for participant in record.resource["participants"]
            if participant is not agent
        ]
        stored = self._store_message(record, {"type": "ParticipantLeft", "from": agent})
        self._publish_messages(record, [stored])

    def _new_agent(self, record: _Session, nickname: str, user: str) -> dict[str, Any]:
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


_OPERATIONS: dict[str, Callable[[EmulatorState, _Session, dict[str, Any], str], dict[str, Any]]] = {
    "Accept": EmulatorState._op_accept,
    "Reject": EmulatorState._op_reject,
    "Complete": EmulatorState._op_complete,
    "Leave": EmulatorState._op_leave,
    "LeaveAndComplete": EmulatorState._op_leave_and_complete,
    "SendMessage": EmulatorState._op_send_message,
    "SendToAgents": EmulatorState._op_send_to_agents,
    "SendStartTypingNotification": EmulatorState._op_start_typing,
    "SendStopTypingNotification": EmulatorState._op_stop_typing,
    "SendStartTypingToAgentsNotification": EmulatorState._op_start_typing_to_agents,
    "SendStopTypingToAgentsNotification": EmulatorState._op_stop_typing_to_agents,
    "AttachUserData": EmulatorState._op_merge_user_data,
    "UpdateUserData": EmulatorState._op_merge_user_data,
    "DeleteUserData": EmulatorState._op_delete_user_data,
    "SetDisposition": EmulatorState._op_set_disposition,
    "Transfer": EmulatorState._op_targeted,
    "Invite": EmulatorState._op_targeted,
    "Consult": EmulatorState._op_targeted,
}


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


def _operation_name(body: Any) -> str:
    if not isinstance(body, dict):
        raise OperationError(400, 1, "Request body must be a JSON object")
    name = body.get("operationName")
    if name is None:
        raise OperationError(400, 1, "Parameter operationName is required")
    if not isinstance(name, str):
        raise OperationError(400, 10, "Parameter operationName must be a string")
    return name


def _required_text(body: dict[str, Any], name: str) -> str:
    value = _optional_text(body, name)
    if not value:
        raise OperationError(400, 1, f"Parameter {name} is required")
    return value


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise OperationError(400, 10, f"Parameter {name} must be a string")
    return value
