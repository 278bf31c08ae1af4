"""The GWS REST resources the emulator serves, answered from an EmulatorState."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smscli.emulator.operations import apply
from smscli.emulator.state import EmulatorState, error_body, user_id_for
from smscli.emulator.transcript import encode_json, join_json_array

GWS_VERSION = "8.5.200.50"
_SESSION_COLLECTIONS = frozenset({"smssessions", "smsessions"})  # vendor docs misspell it
_NON_NEGATIVE = re.compile(r"[0-9]{1,18}")
_FEATURES = (("api-multimedia", "MultimediaAPI"), ("api-multimedia-chat", "MultimediaChatAPI"))


@dataclass
class Response:
    """Status, body and extra headers; the server adds Content-Type and Content-Length."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(payload: Mapping[str, Any], status: int = 200) -> Response:
    """A JSON response in the emulator's compact UTF-8 encoding."""
    return Response(status, encode_json(payload))


def error_response(status: int, status_code: int, message: str) -> Response:
    """A GWS error: HTTP status plus a body of statusCode and statusMessage only."""
    return json_response(error_body(status_code, message), status)


def not_found() -> Response:
    """The answer for a path the emulator does not serve."""
    return error_response(404, 6, "Resource not found")


@dataclass
class Request:
    """What a route needs from one authenticated HTTP request."""

    user: str
    query: dict[str, list[str]]
    body: bytes
    session_id: str = ""

    def param(self, name: str) -> str | None:
        """First value of a query parameter, or None when absent or blank."""
        values = self.query.get(name)
        return values[0] if values else None

    def csv_param(self, name: str) -> list[str]:
        """A comma-separated query parameter as a list of non-empty items."""
        value = self.param(name) or ""
        return [item.strip() for item in value.split(",") if item.strip()]


Route = Callable[[Request], Response]


@dataclass(frozen=True)
class Match:
    """A path that exists: its handler per HTTP method and the session id it names."""

    methods: Mapping[str, Route]
    session_id: str = ""


class Routes:
    """Handlers for the agent-facing SMS resources below ``/api/v2``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        # Path shapes below /api/v2; "{coll}" is either spelling, "{id}" one session id.
        self._table: dict[tuple[str, ...], dict[str, Route]] = {
            ("me",): {"GET": self.me},
            ("me", "{coll}"): {"GET": self.sessions},
            ("me", "{coll}", "{id}"): {"GET": self.session, "POST": self.operation},
            ("me", "{coll}", "{id}", "messages"): {"GET": self.messages},
        }

    def match(self, segments: list[str]) -> Match | None:
        """The route for the path segments after ``/api/v2``, or None."""
        session_id = ""
        shape = tuple(segments)
        if len(segments) >= 2 and segments[0] == "me" and segments[1] in _SESSION_COLLECTIONS:
            shape = ("me", "{coll}", *segments[2:])
            if len(segments) >= 3:
                session_id = segments[2]
                shape = ("me", "{coll}", "{id}", *segments[3:])
        methods = self._table.get(shape)
        return None if methods is None else Match(methods, session_id)

    def me(self, request: Request) -> Response:
        """GET /me, with ``subresources`` features and smssessions on request."""
        user_id = user_id_for(request.user)
        base = self.state.base_url
        user: dict[str, Any] = {
            "id": user_id,
            "userName": request.user,
            "firstName": request.user.capitalize(),
            "lastName": "Agent",
            "roles": ["ROLE_AGENT"],
            "enabled": True,
            "uri": f"{base}/api/v2/users/{user_id}",
            "path": f"/users/{user_id}",
        }
        wanted = set(request.csv_param("subresources"))
        if wanted & {"features", "*"}:
            user["features"] = [
                {
                    "id": feature_id,
                    "displayName": name,
                    "path": f"/features/{feature_id}",
                    "uri": f"{base}/api/v2/features/{feature_id}",
                }
                for feature_id, name in _FEATURES
            ]
        if wanted & {"smssessions", "*"}:
            user["smssessions"] = self.state.list_sessions()
        return json_response({"statusCode": 0, "user": user})

    def sessions(self, request: Request) -> Response:
        """GET the collection: ``uris`` by default, resources with ``fields``."""
        sessions = self.state.list_sessions()
        fields = request.csv_param("fields")
        if not fields:
            return json_response({"statusCode": 0, "uris": [s.get("uri") for s in sessions]})
        return json_response({"statusCode": 0, "smssessions": [_pick(s, fields) for s in sessions]})

    def session(self, request: Request) -> Response:
        """GET one session resource."""
        session = self.state.get_session(request.session_id)
        if session is None:
            return _session_not_found(request.session_id)
        fields = request.csv_param("fields")
        return json_response({"statusCode": 0, "smssession": _pick(session, fields)})

    def messages(self, request: Request) -> Response:
        """GET a transcript page; the body is joined from pre-encoded messages."""
        try:
            start_index = _non_negative(request.param("startIndex"), default=1)
            count = _non_negative(request.param("count"), default=0)
        except ValueError:
            return error_response(400, 10, "startIndex and count must be non-negative integers")
        try:
            chunks = self.state.encoded_messages(request.session_id, start_index, count)
        except KeyError:
            return _session_not_found(request.session_id)
        return Response(200, b'{"statusCode":0,"messages":' + join_json_array(chunks) + b"}")

    def operation(self, request: Request) -> Response:
        """POST an operation such as SendMessage or Complete."""
        try:
            body = json.loads(request.body, parse_constant=_reject_constant)
        except (ValueError, RecursionError):  # ValueError covers bad UTF-8 too
            return error_response(400, 1, "Request body must be a JSON object")
        status, payload = apply(self.state, request.session_id, body, request.user)
        return json_response(payload, status)


def _pick(session: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    if not fields or "*" in fields:
        return session
    return {key: value for key, value in session.items() if key == "id" or key in fields}


def _session_not_found(session_id: str) -> Response:
    return error_response(404, 6, f"SMS session {session_id} not found")


def _non_negative(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not _NON_NEGATIVE.fullmatch(value.strip()):
        raise ValueError(value)
    return int(value)


def _reject_constant(name: str) -> None:
    # NaN and Infinity are not JSON; accepting them would echo invalid documents later.
    raise ValueError(f"{name} is not valid JSON")
