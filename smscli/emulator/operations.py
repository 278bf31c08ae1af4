"""The POST operations of the emulated GWS: one function per operation name, applied by
`EmulatorState.operation` with the state's lock held. What each does, and the errors GWS
gives, are in docs/gws-notes.md ("Operations")."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from smscli.emulator.state import EmulatorState, SessionRecord, error_body

Body = dict[str, Any]  # the request's JSON object
Reply = dict[str, Any]  # the answer's JSON object (statusCode 0, maybe a referenceId)
Handler = Callable[[EmulatorState, SessionRecord, Body, str], Reply]
OperationResult = tuple[int, Reply]  # the HTTP status and the answer


class OperationError(Exception):
    """A POST operation refused before it changed anything."""

    def __init__(self, http_status: int, status_code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status_code = status_code


def apply(state: EmulatorState, session_id: str, body: Any, user: str) -> OperationResult:
    """Apply one POST operation to a session of ``state``; returns the HTTP status and the
    GWS answer (an error answer for what GWS refuses)."""
    try:
        name = operation_name(body)
        with state.lock:
            record = state.find(session_id)
            if record is None:
                raise OperationError(404, 6, f"SMS session {session_id} not found")
            if name not in record.resource.get("capabilities", ()):
                raise OperationError(400, 2, f"Operation {name} is not valid for the current state")
            handler = HANDLERS.get(name, without_effect)
            return 200, handler(state, record, body, user)
    except OperationError as error:
        return error.http_status, error_body(error.status_code, str(error))


def accept(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    nickname = _optional_text(body, "nickname") or user
    agent = state.new_agent(record, nickname, user)
    record.resource["participants"].append(agent)
    state.change_state(record, "Chatting")
    state.store_message(record, {"type": "ParticipantJoined", "from": agent})
    # GWS reports an accept in this order and then replays the whole history at once.
    state.publish_session(record, "StatusChange")
    state.publish_session(record, "ParticipantsUpdated")
    state.publish_messages(record, record.transcript.page(1, 0).messages())
    return {"statusCode": 0}


def reject(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    record.resource["participants"] = []
    return state.finish_state_change(record, "Completed")


def complete(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    # queueName is checked for the client's sake; there are no queues to park the SMS in.
    _optional_text(body, "queueName")
    return state.finish_state_change(record, "Completed")


def leave(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    state.agent_leaves(record, user)
    return state.finish_state_change(record, "LeftChat")


def leave_and_complete(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    state.agent_leaves(record, user)
    return state.finish_state_change(record, "Completed")


def send_message(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    return state.agent_says(record, user, "Text", "All", _required_text(body, "text"))


def send_to_agents(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    return state.agent_says(record, user, "Text", "Agents", _required_text(body, "text"))


def start_typing(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    return state.agent_says(record, user, "TypingStarted", "All")


def stop_typing(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    return state.agent_says(record, user, "TypingStopped", "All")


def start_typing_to_agents(state: EmulatorState, record: SessionRecord, body: Body,
                           user: str) -> Reply:
    return state.agent_says(record, user, "TypingStarted", "Agents")


def stop_typing_to_agents(state: EmulatorState, record: SessionRecord, body: Body,
                          user: str) -> Reply:
    return state.agent_says(record, user, "TypingStopped", "Agents")


def merge_user_data(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    user_data = body.get("userData")
    if not isinstance(user_data, dict):
        raise OperationError(400, 1, "Parameter userData (an object) is required")
    record.resource["userData"].update(copy.deepcopy(user_data))
    state.publish_session(record, "PropertiesUpdated")
    return {"statusCode": 0}


def delete_user_data(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    keys = body.get("keys")
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise OperationError(400, 1, "Parameter keys (an array of strings) is required")
    for key in keys:
        record.resource["userData"].pop(key, None)
    state.publish_session(record, "PropertiesUpdated")
    return {"statusCode": 0}


def set_disposition(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    disposition = _required_text(body, "disposition")
    key = _optional_text(body, "dispositionKey") or "DispositionCode"
    record.resource["userData"][key] = disposition
    state.publish_session(record, "PropertiesUpdated")
    return {"statusCode": 0}


def targeted(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    # The emulator has no other agents or queues: the request is acknowledged the way GWS
    # does (the effect would follow asynchronously) and the target simply never answers.
    targets = [_optional_text(body, name) for name in ("targetUri", "targetPath", "queueName")]
    if not any(targets):
        raise OperationError(400, 1, "Parameter targetUri or targetPath is required")
    return {"statusCode": 0, "referenceId": next(state.reference_ids)}


def without_effect(state: EmulatorState, record: SessionRecord, body: Body, user: str) -> Reply:
    # Focus hints only steer a desktop UI, and capabilities a test added by hand have no
    # emulated behaviour; both succeed without changing the session.
    return {"statusCode": 0}


HANDLERS: dict[str, Handler] = {
    "Accept": accept,
    "Reject": reject,
    "Complete": complete,
    "Leave": leave,
    "LeaveAndComplete": leave_and_complete,
    "SendMessage": send_message,
    "SendToAgents": send_to_agents,
    "SendStartTypingNotification": start_typing,
    "SendStopTypingNotification": stop_typing,
    "SendStartTypingToAgentsNotification": start_typing_to_agents,
    "SendStopTypingToAgentsNotification": stop_typing_to_agents,
    "AttachUserData": merge_user_data,
    "UpdateUserData": merge_user_data,
    "DeleteUserData": delete_user_data,
    "SetDisposition": set_disposition,
    "Transfer": targeted,
    "Invite": targeted,
    "Consult": targeted,
}


def operation_name(body: Any) -> str:
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
