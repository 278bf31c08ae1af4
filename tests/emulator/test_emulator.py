"""The GWS SMS emulator, exercised over real HTTP on 127.0.0.1 and through its Python API."""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from smscli.emulator import Emulator, EmulatorState
from smscli.emulator.operations import apply
from smscli.emulator.scenario import (
    COMPLETED_SESSION_ID,
    DEMO_PASSWORD,
    DEMO_SESSION_IDS,
    DEMO_USER,
    EVERY_TYPE_SESSION_ID,
    INVITED_SESSION_ID,
    LEFT_CHAT_SESSION_ID,
    LONG_SESSION_ID,
    VENDOR_SESSION_ID,
    big_session_id,
    build_demo_state,
)
from smscli.emulator.state import CAPABILITIES_BY_STATE, CONFERENCE_CAPABILITIES, user_id_for
from smscli.emulator.timestamps import now_ms, parse_timestamp
from smscli.emulator.traffic import TrafficGenerator

AUTH = (DEMO_USER, DEMO_PASSWORD)
BIG = 100_000
RAW_AUTH = b"Authorization: Basic ZGVtbzpkZW1v\r\n"  # demo:demo
ACCESS_DENIED = {"statusCode": 20, "statusMessage": "Access denied"}
EVERY_TYPE = {
    "Text", "ParticipantJoined", "ParticipantLeft", "ParticipantRejoined", "TypingStarted",
    "TypingStopped", "PushUrl", "Notice", "CustomNotice", "TranscriptSaveDone",
}  # fmt: skip
VENDOR_CAPABILITIES = [
    "AttachUserData", "UpdateUserData", "DeleteUserData", "Leave", "LeaveAndComplete",
    "Transfer", "Invite", "Consult",
    "SendMessage", "SendStartTypingNotification", "SendStopTypingNotification", "Complete",
]  # fmt: skip

CHAT_ID = "0000Ta9TEST000C1"
INVITE_ID = "0000Ta9TEST000I1"
DONE_ID = "0000Ta9TEST000D1"
AGENT = {"type": "Agent", "nickname": "Kim", "participantId": "00AA000000000001"}
CUSTOMER = {"type": "Customer", "nickname": "Lee", "participantId": "00AA000000000002"}


# -- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Iterator[Emulator]:
    """The demo emulator plus a 100,000-message session; tests using it only read."""
    with Emulator(big_sizes=(BIG,)) as emulator:
        yield emulator


@pytest.fixture
def client() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = AUTH
        yield session


def small_state() -> EmulatorState:
    """Three sessions (Chatting with conference ops, Invited, Completed) with short transcripts."""
    state = EmulatorState()
    joined = {"type": "ParticipantJoined", "from": CUSTOMER}
    chatting = {
        "id": CHAT_ID,
        "state": "Chatting",
        "participants": [AGENT, CUSTOMER],
        "capabilities": [*CAPABILITIES_BY_STATE["Chatting"], *CONFERENCE_CAPABILITIES],
        "userData": {"Keep": "yes", "Drop": 1},
    }
    state.add_session(chatting, [joined, {"type": "Text", "from": CUSTOMER, "text": "hi"}])
    invited = {"id": INVITE_ID, "state": "Invited", "participants": [CUSTOMER]}
    state.add_session(invited, [joined, {"type": "Text", "from": CUSTOMER, "text": "yo"}])
    state.add_session({"id": DONE_ID, "state": "Completed"})
    return state


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A private emulator over small_state(), free to be changed by the test."""
    with Emulator(state=small_state()) as emulator:
        yield emulator


def api(emulator: Emulator, path: str) -> str:
    return f"{emulator.url}/api/v2{path}"


def post_op(client: requests.Session, emulator: Emulator, session_id: str, **body: Any) -> Any:
    return client.post(api(emulator, f"/me/smssessions/{session_id}"), json=body)


def get_session(client: requests.Session, emulator: Emulator, session_id: str) -> dict[str, Any]:
    response = client.get(api(emulator, f"/me/smssessions/{session_id}"))
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()["smssession"]
    return session


def get_messages(
    client: requests.Session, emulator: Emulator, session_id: str, **params: Any
) -> list[dict[str, Any]]:
    response = client.get(api(emulator, f"/me/smssessions/{session_id}/messages"), params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["statusCode"] == 0
    messages: list[dict[str, Any]] = body["messages"]
    return messages


def indexes(messages: list[dict[str, Any]]) -> list[int]:
    return [message["index"] for message in messages]


def raw_exchange(emulator: Emulator, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes on a fresh connection; returns status, headers and the body read to EOF."""
    with socket.create_connection(("127.0.0.1", emulator.port)) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def basic(user: str | bytes, password: str | bytes = b"") -> str:
    raw = (user if isinstance(user, bytes) else user.encode()) + b":"
    raw += password if isinstance(password, bytes) else password.encode()
    return "Basic " + base64.b64encode(raw).decode()


# -- authentication, version, cookies, CSRF --------------------------------------------------


def test_version_needs_no_credentials(demo: Emulator) -> None:
    response = requests.get(api(demo, "/diagnostics/version"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"statusCode": 0, "version": "8.5.200.50"}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic("demo", "wrong"),
        basic("nobody", "demo"),
        basic("demo"),
        basic(b"\xff\xfe", b"demo"),  # not UTF-8
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"demo-without-colon").decode(),
        "Bearer abc",
        "Basic",
    ],
)
def test_bad_or_missing_credentials_get_gws_401(demo: Emulator, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.get(api(demo, "/me/smssessions"), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="GWS"'
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == ACCESS_DENIED
    assert "Set-Cookie" not in response.headers


def test_authenticated_response_sets_jsessionid_once(
    demo: Emulator, client: requests.Session
) -> None:
    first = client.get(api(demo, "/me"))
    cookie = first.headers["Set-Cookie"]
    assert re.fullmatch(r"JSESSIONID=[0-9A-F]{32}; Path=/; HttpOnly", cookie)
    again = client.get(api(demo, "/me"))
    assert "Set-Cookie" not in again.headers
    assert "X-CSRF-TOKEN" not in first.headers  # CSRF mode is off by default


def test_csrf_mode_requires_the_token_from_a_get() -> None:
    with Emulator(state=small_state(), csrf=True) as emulator, requests.Session() as session:
        session.auth = AUTH
        url = api(emulator, f"/me/smssessions/{CHAT_ID}")
        send = {"operationName": "SendMessage", "text": "hello"}

        refused = session.post(url, json=send)  # no cookie and no token yet
        assert refused.status_code == 403
        assert refused.headers["Content-Type"].startswith("text/plain")
        assert refused.text == "Missing or invalid Csrf token"

        got = session.get(api(emulator, "/me"))
        assert got.headers["X-CSRF-HEADER"] == "X-CSRF-TOKEN"
        token = got.headers["X-CSRF-TOKEN"]
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", token)

        assert session.post(url, json=send).status_code == 403  # cookie alone is not enough
        assert (
            session.post(url, json=send, headers={"X-CSRF-TOKEN": "x" + token}).status_code == 403
        )
        accepted = session.post(url, json=send, headers={"X-CSRF-TOKEN": token})
        assert accepted.status_code == 200, accepted.text
        assert accepted.headers["X-CSRF-TOKEN"] == token

        # A token is bound to its JSESSIONID: the right token with no cookie is refused.
        no_cookie = requests.post(url, json=send, auth=AUTH, headers={"X-CSRF-TOKEN": token})
        assert no_cookie.status_code == 403
        assert [
            m["text"] for m in get_messages(session, emulator, CHAT_ID) if m["type"] == "Text"
        ] == [
            "hi",
            "hello",
        ]


# -- resources -------------------------------------------------------------------------------


def test_session_list_is_uris_by_default_and_resources_with_fields_star(
    demo: Emulator, client: requests.Session
) -> None:
    ids = [*DEMO_SESSION_IDS, big_session_id(BIG)]
    plain = client.get(api(demo, "/me/smssessions")).json()
    assert plain == {"statusCode": 0, "uris": [f"{demo.url}/api/v2/smssessions/{i}" for i in ids]}

    full = client.get(api(demo, "/me/smssessions"), params={"fields": "*"}).json()
    assert set(full) == {"statusCode", "smssessions"}
    assert [session["id"] for session in full["smssessions"]] == ids
    for session in full["smssessions"]:
        assert {
            "id",
            "state",
            "uri",
            "participants",
            "capabilities",
            "userData",
            "receivedDate",
        } <= set(session)

    some = client.get(api(demo, "/me/smssessions"), params={"fields": "state"}).json()
    assert [set(session) for session in some["smssessions"]] == [{"id", "state"}] * len(ids)


def test_single_session_and_the_vendor_misspelled_path(
    demo: Emulator, client: requests.Session
) -> None:
    session = get_session(client, demo, VENDOR_SESSION_ID)
    assert session["uri"] == f"{demo.url}/api/v2/smssessions/{VENDOR_SESSION_ID}"
    assert session["state"] == "Chatting"
    assert session["capabilities"] == VENDOR_CAPABILITIES
    assert session["participants"] == [
        {"type": "Agent", "nickname": "Agent1", "participantId": "009052BDEE4A003E"},
        {"type": "Customer", "nickname": "PersonP", "participantId": "009052BDEE39003C"},
    ]
    misspelled = client.get(api(demo, f"/me/smsessions/{VENDOR_SESSION_ID}")).json()
    assert misspelled == {"statusCode": 0, "smssession": session}
    assert client.get(api(demo, "/me/smsessions")).json()["uris"][0] == session["uri"]
    vendor_messages = client.get(api(demo, f"/me/smsessions/{VENDOR_SESSION_ID}/messages")).json()
    assert vendor_messages["messages"] == get_messages(client, demo, VENDOR_SESSION_ID)


@pytest.mark.parametrize("suffix", ["", "/messages"])
def test_unknown_session_is_statuscode_6(
    demo: Emulator, client: requests.Session, suffix: str
) -> None:
    response = client.get(api(demo, f"/me/smssessions/0000NOSUCHSESS00{suffix}"))
    assert response.status_code == 404
    assert set(response.json()) == {"statusCode", "statusMessage"}
    assert response.json()["statusCode"] == 6


def test_unknown_paths_and_methods_get_gws_errors(demo: Emulator, client: requests.Session) -> None:
    for path in ("/api/v2/nothing", "/api/v2/me/calls", "/", "/api/v2/me/smssessions/X/other"):
        response = client.get(demo.url + path)
        assert response.status_code == 404, path
        assert response.json() == {"statusCode": 6, "statusMessage": "Resource not found"}
    deleted = client.delete(api(demo, f"/me/smssessions/{VENDOR_SESSION_ID}"))
    assert deleted.status_code == 405
    assert deleted.headers["Allow"] == "GET, HEAD, POST"
    assert deleted.json()["statusCode"] == 3
    brewed = client.request("BREW", api(demo, "/me"))
    assert brewed.status_code == 405
    assert brewed.json()["statusCode"] == 3


def test_head_sends_the_get_headers_without_a_body(
    demo: Emulator, client: requests.Session
) -> None:
    url = api(demo, f"/me/smssessions/{EVERY_TYPE_SESSION_ID}/messages")
    head = client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["Content-Length"]) == len(client.get(url).content)


def test_me_with_subresources(demo: Emulator, client: requests.Session) -> None:
    plain = client.get(api(demo, "/me")).json()
    user_id = user_id_for(DEMO_USER)
    assert plain["statusCode"] == 0
    assert plain["user"]["userName"] == DEMO_USER
    assert plain["user"]["id"] == user_id
    assert plain["user"]["path"] == f"/users/{user_id}"
    assert plain["user"]["roles"] == ["ROLE_AGENT"]
    assert "features" not in plain["user"] and "smssessions" not in plain["user"]

    features = client.get(api(demo, "/me"), params={"subresources": "features"}).json()["user"]
    assert [f["id"] for f in features["features"]] == ["api-multimedia", "api-multimedia-chat"]
    assert "smssessions" not in features

    everything = client.get(api(demo, "/me"), params={"subresources": "*"}).json()["user"]
    assert [s["id"] for s in everything["smssessions"]] == [*DEMO_SESSION_IDS, big_session_id(BIG)]
    assert "features" in everything


# -- transcript paging -----------------------------------------------------------------------


def test_paging_follows_gws_rules_with_gaps_and_minus_one(
    demo: Emulator, client: requests.Session
) -> None:
    everything = get_messages(client, demo, COMPLETED_SESSION_ID)
    assert indexes(everything) == [1, 2, 3, 7, 8, -1]
    assert everything[-1]["type"] == "TranscriptSaveDone"

    def page(**params: Any) -> list[int]:
        return indexes(get_messages(client, demo, COMPLETED_SESSION_ID, **params))

    assert page(startIndex=0) == page(startIndex=1) == page(count=0) == indexes(everything)
    assert page(startIndex=0, count=2) == [1, 2]
    assert page(startIndex=4) == [7, 8, -1]  # 4 is missing: start at the next index
    assert page(startIndex=7, count=1) == [7]
    assert page(startIndex=8) == [8, -1]  # -1 rides with the message before it
    assert page(startIndex=9) == []
    assert page(startIndex=10**12, count=5) == []


def test_minus_one_mid_transcript_stays_between_its_neighbours(
    demo: Emulator, client: requests.Session
) -> None:
    messages = get_messages(client, demo, EVERY_TYPE_SESSION_ID)
    position = next(i for i, m in enumerate(messages) if m["index"] == -1)
    before, after = messages[position - 1]["index"], messages[position + 1]["index"]
    assert after == before + 1
    assert indexes(
        get_messages(client, demo, EVERY_TYPE_SESSION_ID, startIndex=before, count=3)
    ) == [
        before,
        -1,
        after,
    ]
    assert indexes(get_messages(client, demo, EVERY_TYPE_SESSION_ID, startIndex=after))[0] == after


@pytest.mark.parametrize(
    "params", [{"startIndex": "-1"}, {"count": "-3"}, {"startIndex": "x"}, {"count": "1.5"}]
)
def test_bad_paging_parameters_are_statuscode_10(
    demo: Emulator, client: requests.Session, params: dict[str, str]
) -> None:
    response = client.get(
        api(demo, f"/me/smssessions/{COMPLETED_SESSION_ID}/messages"), params=params
    )
    assert response.status_code == 400
    assert response.json()["statusCode"] == 10


def test_big_transcript_first_and_last_pages(demo: Emulator, client: requests.Session) -> None:
    session_id = big_session_id(BIG)
    assert session_id == "0000BIG000100000"
    first = get_messages(client, demo, session_id, startIndex=1, count=1000)
    last = get_messages(client, demo, session_id, startIndex=BIG - 999, count=1000)
    assert indexes(first) == list(range(1, 1001))
    assert indexes(last) == list(range(BIG - 999, BIG + 1))
    assert indexes(get_messages(client, demo, session_id, startIndex=BIG, count=5)) == [BIG]
    assert get_messages(client, demo, session_id, startIndex=BIG + 1) == []
    for message in (first[0], last[-1]):
        parsed = parse_timestamp(message["timestamp"])
        assert parsed is not None and parsed[0] == message["timestampSeconds"]
        assert message["type"] == "Text" and message["text"]
    assert last[-1]["timestampSeconds"] - first[0]["timestampSeconds"] == (BIG - 1) * 1000
    assert get_session(client, demo, session_id)["state"] == "Completed"


# -- operations ------------------------------------------------------------------------------


def test_accept_joins_the_agent_and_replays_history(
    emu: Emulator, client: requests.Session
) -> None:
    seen: list[dict[str, Any]] = []
    emu.state.subscribe(seen.append)
    response = post_op(client, emu, INVITE_ID, operationName="Accept", nickname="Kim")
    assert response.status_code == 200
    assert response.json() == {"statusCode": 0}

    session = get_session(client, emu, INVITE_ID)
    assert session["state"] == "Chatting"
    assert session["capabilities"] == list(CAPABILITIES_BY_STATE["Chatting"])
    agent = session["participants"][-1]
    assert (agent["type"], agent["nickname"]) == ("Agent", "Kim")
    assert agent["path"] == f"/users/{user_id_for(DEMO_USER)}"
    history = get_messages(client, emu, INVITE_ID)
    assert [m["type"] for m in history] == ["ParticipantJoined", "Text", "ParticipantJoined"]
    assert history[-1]["from"] == agent

    assert [(n["data"]["messageType"], n["data"]["notificationType"]) for n in seen] == [
        ("SMSsessionStateChangeMessage", "StatusChange"),
        ("SMSsessionStateChangeMessage", "ParticipantsUpdated"),
        ("MessageLogUpdated", "NewMessages"),
    ]
    assert seen[-1]["data"]["messages"] == history


def test_reject_completes_without_participants(emu: Emulator, client: requests.Session) -> None:
    assert post_op(client, emu, INVITE_ID, operationName="Reject").json() == {"statusCode": 0}
    session = get_session(client, emu, INVITE_ID)
    assert (session["state"], session["participants"], session["capabilities"]) == (
        "Completed",
        [],
        [],
    )


@pytest.mark.parametrize(
    ("body", "kind", "visibility", "text"),
    [
        (
            {"operationName": "SendMessage", "text": "How may I help?"},
            "Text",
            "All",
            "How may I help?",
        ),
        ({"operationName": "SendToAgents", "text": "psst"}, "Text", "Agents", "psst"),
        ({"operationName": "SendStartTypingNotification"}, "TypingStarted", "All", None),
        ({"operationName": "SendStopTypingNotification"}, "TypingStopped", "All", None),
        ({"operationName": "SendStartTypingToAgentsNotification"}, "TypingStarted", "Agents", None),
        ({"operationName": "SendStopTypingToAgentsNotification"}, "TypingStopped", "Agents", None),
    ],
)
def test_message_operations_append_from_the_agent(
    emu: Emulator,
    client: requests.Session,
    body: dict[str, Any],
    kind: str,
    visibility: str,
    text: str | None,
) -> None:
    response = client.post(api(emu, f"/me/smssessions/{CHAT_ID}"), json=body)
    assert response.json() == {"statusCode": 0}
    messages = get_messages(client, emu, CHAT_ID)
    assert indexes(messages) == [1, 2, 3]
    added = messages[-1]
    assert (added["type"], added["visibility"], added.get("text")) == (kind, visibility, text)
    assert added["from"] == AGENT
    parsed = parse_timestamp(added["timestamp"])
    assert parsed is not None and parsed[0] == added["timestampSeconds"]


@pytest.mark.parametrize(
    ("operation", "state", "left"),
    [
        ("Leave", "LeftChat", True),
        ("Complete", "Completed", False),
        ("LeaveAndComplete", "Completed", True),
    ],
)
def test_ending_operations_change_state_and_capabilities(
    emu: Emulator, client: requests.Session, operation: str, state: str, left: bool
) -> None:
    assert post_op(client, emu, CHAT_ID, operationName=operation).json() == {"statusCode": 0}
    session = get_session(client, emu, CHAT_ID)
    assert session["state"] == state
    assert session["capabilities"] == list(CAPABILITIES_BY_STATE[state])
    last = get_messages(client, emu, CHAT_ID)[-1]
    if left:
        assert (last["type"], last["from"]) == ("ParticipantLeft", AGENT)
        assert session["participants"] == [CUSTOMER]
    else:
        assert last["type"] == "Text"
        assert session["participants"] == [AGENT, CUSTOMER]


def test_user_data_operations(emu: Emulator, client: requests.Session) -> None:
    def op(**body: Any) -> Any:
        return post_op(client, emu, CHAT_ID, **body).json()

    def user_data() -> Any:
        return get_session(client, emu, CHAT_ID)["userData"]

    ok = {"statusCode": 0}
    assert op(operationName="AttachUserData", userData={"A": "1", "N": None}) == ok
    assert user_data() == {"Keep": "yes", "Drop": 1, "A": "1", "N": None}
    assert op(operationName="UpdateUserData", userData={"A": 2}) == ok
    assert user_data()["A"] == 2
    assert op(operationName="DeleteUserData", keys=["Drop", "absent"]) == ok
    assert "Drop" not in user_data()
    assert op(operationName="SetDisposition", disposition="Sold") == ok
    assert user_data()["DispositionCode"] == "Sold"
    assert op(operationName="SetDisposition", disposition="Lost", dispositionKey="Outcome") == ok
    assert user_data() == {
        "Keep": "yes",
        "A": 2,
        "N": None,
        "DispositionCode": "Sold",
        "Outcome": "Lost",
    }


def test_targeted_operations_are_acknowledged_with_a_reference_id(
    emu: Emulator, client: requests.Session
) -> None:
    target = {"targetUri": f"{emu.url}/api/v2/users/abc"}
    references = []
    for operation in ("Invite", "Consult", "Transfer"):
        body = post_op(client, emu, CHAT_ID, operationName=operation, **target).json()
        assert body["statusCode"] == 0
        references.append(body["referenceId"])
    assert len(set(references)) == 3
    missing = post_op(client, emu, CHAT_ID, operationName="Invite")
    assert (missing.status_code, missing.json()["statusCode"]) == (400, 1)
    assert post_op(client, emu, CHAT_ID, operationName="SetInFocus").json() == {"statusCode": 0}
    assert get_session(client, emu, CHAT_ID)["state"] == "Chatting"


@pytest.mark.parametrize(
    ("session_id", "operation"),
    [(CHAT_ID, "Accept"), (INVITE_ID, "SendMessage"), (DONE_ID, "Complete"), (CHAT_ID, "NoSuchOp")],
)
def test_operation_outside_capabilities_is_statuscode_2(
    emu: Emulator, client: requests.Session, session_id: str, operation: str
) -> None:
    response = post_op(client, emu, session_id, operationName=operation, text="x")
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 2,
        "statusMessage": f"Operation {operation} is not valid for the current state",
    }


def test_capabilities_follow_the_state_after_a_change(
    emu: Emulator, client: requests.Session
) -> None:
    assert post_op(client, emu, CHAT_ID, operationName="Complete").status_code == 200
    refused = post_op(client, emu, CHAT_ID, operationName="SendMessage", text="too late")
    assert refused.json()["statusCode"] == 2


@pytest.mark.parametrize(
    ("body", "status_code"),
    [
        (b"{not json", 1),
        (b"[1, 2]", 1),
        (b'"SendMessage"', 1),
        (b"\xff\xfe{}", 1),
        (b'{"operationName": "SendMessage", "text": NaN}', 1),
        (b"[" * 100_000, 1),
        (b"", 1),
        (b'{"text": "hi"}', 1),
        (b'{"operationName": 5}', 10),
        (b'{"operationName": "SendMessage"}', 1),
        (b'{"operationName": "SendMessage", "text": ""}', 1),
        (b'{"operationName": "SendMessage", "text": 5}', 10),
        (b'{"operationName": "AttachUserData", "userData": "x"}', 1),
        (b'{"operationName": "DeleteUserData", "keys": "Keep"}', 1),
        (b'{"operationName": "SetDisposition"}', 1),
    ],
)
def test_malformed_operation_bodies_get_400(
    emu: Emulator, client: requests.Session, body: bytes, status_code: int
) -> None:
    response = client.post(
        api(emu, f"/me/smssessions/{CHAT_ID}"),
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["statusCode"] == status_code
    assert set(response.json()) == {"statusCode", "statusMessage"}
    assert indexes(get_messages(client, emu, CHAT_ID)) == [1, 2]  # nothing was applied


def test_operation_on_unknown_session_and_oversized_body(
    emu: Emulator, client: requests.Session
) -> None:
    unknown = post_op(client, emu, "0000NOSUCHSESS00", operationName="SendMessage", text="x")
    assert (unknown.status_code, unknown.json()["statusCode"]) == (404, 6)
    huge = client.post(
        api(emu, f"/me/smssessions/{CHAT_ID}"),
        json={"operationName": "SendMessage", "text": "x" * (2 << 20)},
    )
    assert huge.status_code == 413
    assert set(huge.json()) == {"statusCode", "statusMessage"}
    assert indexes(get_messages(client, emu, CHAT_ID)) == [1, 2]


def test_text_survives_byte_for_byte_including_a_lone_surrogate(
    emu: Emulator, client: requests.Session
) -> None:
    texts = ["Zoë 🌸 [red]x[/] :smile: \x1b[2J", "\ud800 alone"]
    for text in texts:
        body = json.dumps({"operationName": "SendMessage", "text": text}).encode()
        response = client.post(api(emu, f"/me/smssessions/{CHAT_ID}"), data=body)
        assert response.json() == {"statusCode": 0}
    raw = client.get(api(emu, f"/me/smssessions/{CHAT_ID}/messages")).content
    raw.decode("utf-8")  # still valid UTF-8 on the wire
    assert [m["text"] for m in json.loads(raw)["messages"][-2:]] == texts


def test_concurrent_senders_get_unique_consecutive_indexes(emu: Emulator) -> None:
    def send(worker: int) -> None:
        with requests.Session() as session:
            session.auth = AUTH
            for n in range(20):
                body = {"operationName": "SendMessage", "text": f"{worker}-{n}"}
                assert post_op(session, emu, CHAT_ID, **body).status_code == 200

    threads = [threading.Thread(target=send, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    messages = emu.state.messages(CHAT_ID)
    assert indexes(messages) == list(range(1, 2 + 8 * 20 + 1))
    assert len({m["text"] for m in messages if m["type"] == "Text"}) == 1 + 8 * 20


# -- notifications ---------------------------------------------------------------------------


def test_notifications_for_send_message_and_state_change(
    emu: Emulator, client: requests.Session
) -> None:
    seen: list[dict[str, Any]] = []
    unsubscribe = emu.state.subscribe(seen.append)
    post_op(client, emu, CHAT_ID, operationName="SendMessage", text="How may I help you?")
    sent = get_messages(client, emu, CHAT_ID)[-1]
    assert seen == [
        {
            "channel": "/v2/me/smssessions",
            "data": {
                "messageType": "MessageLogUpdated",
                "notificationType": "NewMessages",
                "smssessionUri": f"{emu.url}/api/v2/smssessions/{CHAT_ID}",
                "messages": [sent],
            },
        }
    ]
    post_op(client, emu, CHAT_ID, operationName="Complete")
    assert seen[1:] == [
        {
            "channel": "/v2/me/smssessions",
            "data": {
                "messageType": "SMSsessionStateChangeMessage",
                "notificationType": "StatusChange",
                "smssession": get_session(client, emu, CHAT_ID),
            },
        }
    ]
    unsubscribe()
    unsubscribe()  # idempotent
    emu.state.set_state(CHAT_ID, "Chatting")
    assert len(seen) == 2


def test_user_data_changes_publish_properties_updated(
    emu: Emulator, client: requests.Session
) -> None:
    seen: list[dict[str, Any]] = []
    emu.state.subscribe(seen.append)
    post_op(client, emu, CHAT_ID, operationName="SetDisposition", disposition="Sold")
    assert [n["data"]["notificationType"] for n in seen] == ["PropertiesUpdated"]
    assert seen[0]["data"]["smssession"]["userData"]["DispositionCode"] == "Sold"


def test_a_failing_subscriber_does_not_block_others_or_the_change() -> None:
    state = small_state()
    seen: list[dict[str, Any]] = []

    def broken(notification: dict[str, Any]) -> None:
        raise RuntimeError("subscriber bug")

    state.subscribe(broken)
    state.subscribe(seen.append)
    stored = state.append_message(CHAT_ID, {"type": "Text", "text": "still here"})
    assert stored is not None and stored["index"] == 3
    assert [n["data"]["messages"] for n in seen] == [[stored]]


# -- the HTTP server itself ------------------------------------------------------------------


def test_keep_alive_serves_many_requests_on_one_connection() -> None:
    with Emulator(state=small_state()) as emulator, requests.Session() as session:
        session.auth = AUTH
        for _ in range(25):
            assert session.get(api(emulator, f"/me/smssessions/{CHAT_ID}")).status_code == 200
        assert (emulator.stats.connections, emulator.stats.requests) == (1, 25)


def test_connection_close_clients_are_counted_per_connection() -> None:
    with Emulator(state=small_state()) as emulator:
        for _ in range(3):
            headers = {"Connection": "close"}
            assert requests.get(api(emulator, "/me"), auth=AUTH, headers=headers).status_code == 200
        assert (emulator.stats.connections, emulator.stats.requests) == (3, 3)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/v2/me/smssessions/%ZZ%ff%C3 HTTP/1.1\r\n" + RAW_AUTH + b"\r\n", 404),
        (b"GET /api/v2/me/smssessions/\xff\xfe/messages HTTP/1.1\r\n" + RAW_AUTH + b"\r\n", 404),
        (b"GET /api/v2/me HTTP/1.1\r\nAuthorization: Basic \xff\xfe\r\n\r\n", 401),
        (b"GET /api/v2/me HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /api/v2/me HTTP/1.1\r\n" + b"X-H: 1\r\n" * 150 + b"\r\n", 431),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"\x00\x01 garbage \xff\r\n\r\n", 400),
        (b"GET /api/v2/me HTTP/9.9\r\n\r\n", 505),
        (b"POST /api/v2/me HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400),
        (b"POST /api/v2/me HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411),
        (b"POST /api/v2/me/smssessions/X HTTP/1.1\r\nContent-Length: 50\r\n\r\n{}", 400),
    ],
)
def test_malformed_requests_get_gws_errors_and_no_traceback(
    demo: Emulator, capfd: pytest.CaptureFixture[str], request_bytes: bytes, status: int
) -> None:
    code, headers, body = raw_exchange(demo, request_bytes)
    assert code == status
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    error = json.loads(body)
    assert set(error) == {"statusCode", "statusMessage"} and error["statusCode"] != 0
    assert capfd.readouterr().err == ""


def test_stop_is_idempotent_and_drops_keep_alive_connections() -> None:
    emulator = Emulator(state=small_state()).start()
    with requests.Session() as session:
        session.auth = AUTH
        assert session.get(api(emulator, "/me")).status_code == 200
        emulator.stop()
        emulator.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(api(emulator, "/me"))
    with pytest.raises(RuntimeError):
        emulator.start()


def test_serve_forever_returns_when_stopped_from_another_thread() -> None:
    emulator = Emulator(state=small_state())
    server = threading.Thread(target=emulator.serve_forever)
    server.start()
    assert requests.get(api(emulator, "/diagnostics/version")).status_code == 200
    emulator.stop()
    server.join(timeout=30)  # a guard against hanging the suite, not a timing assertion
    assert not server.is_alive()


def test_a_state_survives_a_restart_on_the_same_port(client: requests.Session) -> None:
    state = small_state()
    with Emulator(state=state) as first:
        port = first.port
        assert post_op(client, first, CHAT_ID, operationName="SendMessage", text="1").ok
    with Emulator(state=state, port=port) as second:
        assert post_op(client, second, CHAT_ID, operationName="SendMessage", text="2").ok
        texts = [m.get("text") for m in get_messages(client, second, CHAT_ID)]
        assert texts == [None, "hi", "1", "2"]


# -- EmulatorState API -----------------------------------------------------------------------


def test_append_message_fills_index_visibility_and_timestamps_in_the_session_style() -> None:
    state = EmulatorState()
    state.add_session(
        {"id": CHAT_ID, "state": "Chatting"},
        [
            {"index": 4, "type": "Text", "text": "a", "timestamp": "2013-12-27T13:16:41.018-0800"},
            {"index": -1, "type": "TranscriptSaveDone"},
        ],
    )
    before = now_ms()
    stored = state.append_message(CHAT_ID, {"type": "Text", "text": "b"})
    assert stored is not None
    assert (stored["index"], stored["visibility"]) == (5, "All")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0800", stored["timestamp"])
    parsed = parse_timestamp(stored["timestamp"])
    assert parsed is not None and parsed[0] == stored["timestampSeconds"] >= before
    first = state.messages(CHAT_ID)[0]
    assert first["timestampSeconds"] == 1388179001018  # derived from the given timestamp
    assert state.append_message(CHAT_ID, {"type": "Text"}, if_state="Completed") is None
    assert state.message_count(CHAT_ID) == 3


def test_state_hands_out_copies() -> None:
    state = small_state()
    state.messages(CHAT_ID)[0]["type"] = "Tampered"
    session = state.get_session(CHAT_ID)
    assert session is not None
    session["participants"].clear()
    assert state.messages(CHAT_ID)[0]["type"] == "ParticipantJoined"
    assert state.get_session(CHAT_ID)["participants"] == [AGENT, CUSTOMER]  # type: ignore[index]


def test_state_rejects_bad_input() -> None:
    state = small_state()
    with pytest.raises(ValueError):
        state.add_session({"id": CHAT_ID})
    with pytest.raises(ValueError):
        state.add_session({"state": "Chatting"})
    with pytest.raises(KeyError):
        state.messages("0000NOSUCHSESS00")
    with pytest.raises(ValueError):
        state.messages(CHAT_ID, start_index=-1)
    with pytest.raises(TypeError):
        state.append_message(CHAT_ID, {"text": "no type"})
    assert apply(state, CHAT_ID, ["not", "an", "object"], "demo")[1]["statusCode"] == 1


def test_leading_message_without_positive_index_is_returned_from_the_start() -> None:
    state = EmulatorState()
    state.add_session({"id": DONE_ID, "state": "Completed"}, [{"index": -1, "type": "Notice"}])
    state.append_message(DONE_ID, {"type": "Text", "text": "first"})
    assert indexes(state.messages(DONE_ID, 0, 0)) == [-1, 1]
    assert indexes(state.messages(DONE_ID, 1, 1)) == [-1]
    assert indexes(state.messages(DONE_ID, 2, 0)) == []


def test_explicit_uri_is_kept_and_missing_uri_follows_the_base_url() -> None:
    state = EmulatorState()
    state.add_session({"id": CHAT_ID, "uri": "http://gws.example/api/v2/smssessions/X"})
    state.add_session({"id": DONE_ID})
    assert "uri" not in state.get_session(DONE_ID)  # type: ignore[operator]
    state.base_url = "http://127.0.0.1:9/"
    assert [s["uri"] for s in state.list_sessions()] == [
        "http://gws.example/api/v2/smssessions/X",
        f"http://127.0.0.1:9/api/v2/smssessions/{DONE_ID}",
    ]


# -- demo scenario and traffic ---------------------------------------------------------------


def test_demo_sessions_cover_states_types_and_visibilities() -> None:
    state = build_demo_state()
    sessions = {s["id"]: s for s in state.list_sessions()}
    assert list(sessions) == list(DEMO_SESSION_IDS)
    assert all(re.fullmatch(r"[0-9A-Za-z]{16}", session_id) for session_id in sessions)
    assert {i: s["state"] for i, s in sessions.items()} == {
        VENDOR_SESSION_ID: "Chatting",
        INVITED_SESSION_ID: "Invited",
        EVERY_TYPE_SESSION_ID: "Chatting",
        LEFT_CHAT_SESSION_ID: "LeftChat",
        COMPLETED_SESSION_ID: "Completed",
        LONG_SESSION_ID: "Chatting",
    }
    assert sessions[INVITED_SESSION_ID]["capabilities"] == ["Accept", "Reject"]
    assert sessions[COMPLETED_SESSION_ID]["capabilities"] == []
    assert {p["type"] for p in sessions[INVITED_SESSION_ID]["participants"]} == {
        "Customer",
        "External",
    }
    assert all(parse_timestamp(s["receivedDate"]) for s in sessions.values())

    every = state.messages(EVERY_TYPE_SESSION_ID)
    assert {m["type"] for m in every} == EVERY_TYPE
    assert {m["visibility"] for m in every} == {"All", "Agents", "Supervisors"}
    typing_previews = [bool(m.get("text")) for m in every if m["type"] == "TypingStarted"]
    assert set(typing_previews) == {True, False}
    assert "Zoë 🌸 Müller" in {
        p["nickname"] for p in sessions[EVERY_TYPE_SESSION_ID]["participants"]
    }
    assert sessions[EVERY_TYPE_SESSION_ID]["userData"] == {
        "ContactId": "0000XaB5RF5008Q1",
        "Subject": "Damaged delivery",
        "ServiceObjective": 0,
        "RRequestedSkills": None,
        "CustomerPhone": "+44 20 7946 0958",
    }
    assert state.message_count(LONG_SESSION_ID) >= 2000


def test_demo_timestamps_are_recent_consistent_and_varied() -> None:
    state = build_demo_state()
    now = now_ms()
    offsets = set()
    for session_id in DEMO_SESSION_IDS:
        for message in state.messages(session_id):
            parsed = parse_timestamp(message["timestamp"])
            assert parsed is not None and parsed[0] == message["timestampSeconds"]
            assert now - 24 * 3600 * 1000 < parsed[0] <= now
            offsets.add(message["timestamp"][-5:])
    assert len(offsets) >= 4
    vendor = state.messages(VENDOR_SESSION_ID)
    assert [(m["index"], m["type"]) for m in vendor[1:4]] == [
        (2, "ParticipantJoined"),
        (3, "TypingStarted"),
        (4, "Text"),
    ]
    assert vendor[3]["text"] == "dddd"
    assert "T" in vendor[0]["timestamp"] and vendor[0]["timestamp"].endswith("-0800")


def test_demo_content_depends_only_on_the_seed() -> None:
    def content(seed: int | None) -> list[Any]:
        state = build_demo_state(seed)
        return [
            [
                {k: v for k, v in m.items() if not k.startswith("timestamp")}
                for m in state.messages(i)
            ]
            for i in DEMO_SESSION_IDS
        ]

    assert content(7) == content(7)
    assert content(None) == content(None)
    assert content(7) != content(8)


def test_traffic_steps_follow_typing_then_text_in_chatting_sessions_only() -> None:
    state = small_state()
    generator = TrafficGenerator(state, rate=10, seed=3)
    added = [generator.step() for _ in range(60)]
    assert all(message is not None for message in added)
    assert state.message_count(DONE_ID) == 0 and state.message_count(INVITE_ID) == 2
    messages = state.messages(CHAT_ID)[2:]
    assert len(messages) == 60
    speakers = {m["from"]["type"] for m in messages}
    assert speakers == {"Agent", "Customer"}
    for position, message in enumerate(messages):
        if message["type"] == "TypingStarted" and position + 2 < len(messages):
            follow = messages[position + 1 : position + 3]
            assert [m["type"] for m in follow] == ["TypingStopped", "Text"]
            assert {m["from"]["participantId"] for m in follow} == {
                message["from"]["participantId"]
            }


def test_traffic_thread_adds_messages_and_stops_with_the_emulator() -> None:
    state = small_state()
    emulator = Emulator(state=state, traffic_rate=500, seed=1).start()
    try:
        deadline = time.monotonic() + 30
        while state.message_count(CHAT_ID) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert state.message_count(CHAT_ID) >= 6
    finally:
        emulator.stop()
    names = {thread.name for thread in threading.enumerate()}
    assert f"smscli-emulator-traffic-{emulator.port}" not in names
    with pytest.raises(ValueError):
        Emulator(state=state, traffic_rate=-1)
