"""The GWS client against the real emulator and against raw servers that misbehave."""

from __future__ import annotations

import json

import pytest

from smscli.client import ClientOptions, GwsClient, redact_url
from smscli.emulator import Emulator, EmulatorState
from smscli.errors import (
    AuthError,
    BadResponseError,
    NetworkError,
    NotFoundError,
    ServerError,
    SmscliError,
)
from smscli.models import message_key

FAST = ClientOptions(retries=2, backoff=0.01, connect_timeout=2, read_timeout=5)
LIST = "/api/v2/me/smssessions"


def ok(body: object, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return 200, headers, json.dumps(body).encode()


def client_for(url: str, user: str = "demo", password: str = "demo", **kw: object) -> GwsClient:
    return GwsClient(url, user, password, FAST, **kw)  # type: ignore[arg-type]


def test_lists_and_gets_sessions_from_the_emulator(emulator: Emulator) -> None:
    with client_for(emulator.url) as client:
        sessions = client.list_sessions()
        ids = {s["id"] for s in sessions}
        assert "0000Na9B26EF002G" in ids
        one = client.get_session("0000Na9B26EF002G")
        assert one["state"] == "Chatting"
        assert {p["nickname"] for p in one["participants"]} == {"Agent1", "PersonP"}


def test_wrong_password_is_an_auth_error(emulator: Emulator) -> None:
    with client_for(emulator.url, password="nope") as client, pytest.raises(AuthError) as err:
        client.list_sessions()
    assert err.value.exit_code == 4
    assert "nope" not in err.value.message


def test_unknown_session_is_not_found_with_a_hint(emulator: Emulator) -> None:
    with client_for(emulator.url) as client, pytest.raises(NotFoundError) as err:
        client.get_session("0000NOSUCHSESS00")
    assert err.value.exit_code == 3
    assert "0000NOSUCHSESS00" in err.value.message


def test_server_down_is_a_network_error() -> None:
    with client_for("http://127.0.0.1:9") as client, pytest.raises(NetworkError) as err:
        client.version()
    assert err.value.exit_code == 6
    assert "connection refused" in err.value.message


def test_singular_get_falls_back_to_the_list_when_the_route_is_missing(raw_server) -> None:
    session = {"id": "0000AAAABBBB0001", "state": "Chatting"}
    raw_server.route(LIST, ok({"statusCode": 0, "smssessions": [session]}))
    # The singular path is not routed: the raw server answers 404 statusCode 6.
    with client_for(raw_server.url) as client:
        assert client.get_session("0000AAAABBBB0001") == session
        with pytest.raises(NotFoundError):
            client.get_session("0000AAAABBBB0002")


# The vendor's sample list, with its two defects kept: a missing comma after "PersonP" and a
# stray single quote before "visibility", as the vendor's "SMS Session Resource" page has it
# (docs/gws-notes.md, "Messages").
VENDOR_LIKE_SAMPLE = """{
  "state": "Chatting", "id": "0000Na9B26EF002G",
  "participants": [
    {"type": "Agent", "nickname": "Agent1", "participantId": "009052BDEE4A003E"},
    {"type": "Customer", "nickname": "PersonP"
     "participantId": "009052BDEE39003C"}],
  "messages": [{"index": 3, 'visibility": "All"}]
}"""


def test_the_vendors_malformed_sample_is_a_clear_error(raw_server) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(VENDOR_LIKE_SAMPLE)  # the premise: the sample is not JSON
    raw_server.route(LIST, (200, {}, VENDOR_LIKE_SAMPLE.encode()))
    with client_for(raw_server.url) as client, pytest.raises(BadResponseError) as err:
        client.list_sessions()
    assert err.value.exit_code == 5
    assert "application/json, not JSON" in err.value.message
    assert '"state": "Chatting"' in err.value.message
    assert "\n" not in err.value.message  # one line: the body's newlines are shown escaped


def test_html_502_from_a_proxy_is_retried_then_reported(raw_server) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    raw_server.route(LIST, (502, {"Content-Type": "text/html"}, page))
    notes: list[str] = []
    with client_for(raw_server.url, on_retry=notes.append) as client:
        with pytest.raises(BadResponseError) as err:
            client.list_sessions()
    assert "HTTP 502 after 3 attempts" in err.value.message
    assert "text/html" in err.value.message and "<html>" in err.value.message
    assert len(notes) == 2 and "retrying" in notes[0]
    assert len(raw_server.requests) == 3


def test_503_then_success_is_retried_honouring_retry_after(raw_server) -> None:
    raw_server.route(LIST, (503, {"Retry-After": "0"}, b'{"statusCode":4}'),
                     ok({"statusCode": 0, "smssessions": []}))
    notes: list[str] = []
    with client_for(raw_server.url, on_retry=notes.append) as client:
        assert client.list_sessions() == []
    assert len(raw_server.requests) == 2
    assert notes == ["server answered HTTP 503; retrying now (attempt 2 of 3)"]


def test_posts_are_never_retried(raw_server) -> None:
    raw_server.route(f"{LIST}/0000AAAABBBB0001", (503, {}, b'{"statusCode":4}'))
    with client_for(raw_server.url) as client, pytest.raises(ServerError):
        client.operation("0000AAAABBBB0001", "SendMessage", text="hi")
    assert [r[0] for r in raw_server.requests] == ["POST"]


def test_200_with_nonzero_status_code_is_not_success(raw_server) -> None:
    raw_server.route(LIST, ok({"statusCode": 6, "statusMessage": "Resource not found"}))
    with client_for(raw_server.url) as client, pytest.raises(NotFoundError) as err:
        client.list_sessions()
    assert "Resource not found" in err.value.message and "statusCode 6" in err.value.message


@pytest.mark.parametrize("code, kind, exit_code", [
    (20, AuthError, 4), (5, AuthError, 4), (4, ServerError, 5), (2, SmscliError, 1)])
def test_status_codes_map_to_exit_codes(raw_server, code, kind, exit_code) -> None:
    raw_server.route(LIST, ok({"statusCode": code, "statusMessage": "nope"}))
    with client_for(raw_server.url) as client, pytest.raises(kind) as err:
        client.list_sessions()
    assert err.value.exit_code == exit_code


@pytest.mark.parametrize("body, expected", [
    (b"", "empty body"),
    (b'{"statusCode":0,"smssessions":[{"id":"x"', "not JSON"),
    (b'[1,2]', "not an object"),
    (b'{"statusCode":0}', "no 'smssessions' list (missing"),
    (b'{"statusCode":0,"smssessions":{"id":"x"}}', "no 'smssessions' list (a dict"),
])
def test_bodies_that_are_not_a_gws_envelope(raw_server, body, expected) -> None:
    raw_server.route(LIST, (200, {}, body))
    with client_for(raw_server.url) as client, pytest.raises(BadResponseError) as err:
        client.list_sessions()
    assert expected in err.value.message


def test_hostile_bytes_in_an_error_body_are_made_inert(raw_server) -> None:
    raw_server.route(LIST, (500, {"Content-Type": "text/plain"}, b"\x1b]52;c;ZXZpbA==\x07boom"))
    with client_for(raw_server.url) as client, pytest.raises(BadResponseError) as err:
        client.list_sessions()
    assert "\x1b" not in err.value.message and "\\x1b]52" in err.value.message


def test_csrf_token_from_a_get_is_sent_on_posts() -> None:
    with Emulator(users={"demo": "demo"}, csrf=True, seed=1) as emu:
        with client_for(emu.url) as client:
            client.list_sessions()  # any GET hands out the token
            assert client.operation("0000Na9B26EF002G", "SendMessage", text="hello")[
                "statusCode"] == 0
            last = list(client.iter_messages("0000Na9B26EF002G"))[-1]
            assert last["text"] == "hello"


def test_csrf_post_without_a_prior_get_refreshes_the_token_and_succeeds() -> None:
    with Emulator(users={"demo": "demo"}, csrf=True, seed=1) as emu:
        with client_for(emu.url) as client:
            assert client.operation("0000Na9B26EF002G", "SendMessage", text="first")[
                "statusCode"] == 0


def test_operation_not_in_capabilities_is_rejected(emulator: Emulator) -> None:
    completed = next(s["id"] for s in emulator.state.list_sessions()
                     if s["state"] == "Completed")
    with client_for(emulator.url) as client, pytest.raises(SmscliError) as err:
        client.operation(completed, "SendMessage", text="too late")
    assert err.value.gws_status_code == 2 and err.value.exit_code == 1


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 500])
def test_paging_returns_every_message_once_in_order(emulator: Emulator, page_size: int) -> None:
    long_id = max(emulator.state.list_sessions(),
                  key=lambda s: len(emulator.state.messages(s["id"], 1, 0)))["id"]
    expected = emulator.state.messages(long_id, 1, 0)
    if page_size < 7:
        expected = expected[:40]
    with client_for(emulator.url) as client:
        got = []
        for raw in client.iter_messages(long_id, page_size=page_size):
            got.append(raw)
            if len(got) == len(expected):
                break
    assert got == expected


def bare_emulator() -> Emulator:
    """An emulator with no session at all: the tests that add their own need nothing else,
    and building the demo's sessions (a long transcript among them) costs ~50 ms each time."""
    return Emulator(users={"demo": "demo"}, seed=1, state=EmulatorState())


def transcript_session(emu: Emulator, indexes: list[int]) -> str:
    session_id = "0000PAGINGTEST01"
    emu.state.add_session({"id": session_id, "state": "Completed", "participants": [],
                           "capabilities": [], "userData": {}})
    for n, index in enumerate(indexes):
        kind = "TranscriptSaveDone" if index == -1 else "Text"
        emu.state.append_message(session_id, {"index": index, "type": kind, "text": f"m{n}",
                                              "timestampSeconds": 1_700_000_000_000 + n},
                                 notify=False)
    return session_id


@pytest.mark.parametrize("indexes", [
    [1, 2, 3, 4, 5, 6],                # an exact multiple of the page size
    [1, 2, 3, 7, 8, 20, 21],           # gaps
    [1, 2, 3, -1],                     # TranscriptSaveDone at the end
    [1, 2, -1, 3, 4, -1, 5, 6, 7],     # -1 in the middle, on page boundaries
    [1, 2, 2, 3, 3, 3, 4],             # repeated indexes split across pages
])
@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_paging_survives_gaps_repeats_and_minus_one(indexes: list[int], page_size: int) -> None:
    with bare_emulator() as emu:
        session_id = transcript_session(emu, indexes)
        with client_for(emu.url) as client:
            got = list(client.iter_messages(session_id, page_size=page_size))
    assert [m["text"] for m in got] == [f"m{n}" for n in range(len(indexes))]
    assert len({message_key(m) for m in got}) == len(got)


def test_one_connection_serves_a_whole_paged_dump(emulator: Emulator) -> None:
    long_id = max(emulator.state.list_sessions(),
                  key=lambda s: len(emulator.state.messages(s["id"], 1, 0)))["id"]
    before = emulator.stats.connections
    with client_for(emulator.url) as client:
        count = sum(1 for _ in client.iter_messages(long_id, page_size=50))
    assert count >= 2000
    assert emulator.stats.connections - before == 1


def test_debug_trace_redacts_credentials_and_cookies(emulator: Emulator) -> None:
    lines: list[str] = []
    with client_for(emulator.url, trace=lines.append) as client:
        client.list_sessions()
        client.list_sessions()  # the second request carries the JSESSIONID cookie
    trace = "\n".join(lines)
    assert "> GET " in trace and "< HTTP 200" in trace
    assert "Authorization: <redacted>" in trace and "Cookie: <redacted>" in trace
    assert "ZGVtbzpkZW1v" not in trace  # base64 of demo:demo
    assert "JSESSIONID=" not in trace


def test_urls_with_credentials_are_redacted() -> None:
    assert redact_url("https://bob:s3cret@gws.example.com:8443/api") == \
        "https://***@gws.example.com:8443/api"
    assert redact_url("https://gws.example.com/api") == "https://gws.example.com/api"


def test_debug_trace_redacts_the_csrf_header_the_server_named(raw_server) -> None:
    """GWS names its CSRF header in X-CSRF-HEADER; whatever it is called, its value is secret."""
    token = "t0k3n-5ecret-value"
    pair = {"X-CSRF-HEADER": "X-Gws-Guard", "X-CSRF-TOKEN": token}
    raw_server.route(LIST, ok({"statusCode": 0, "smssessions": []}, **pair))
    raw_server.route("/api/v2/me/smssessions/S1", ok({"statusCode": 0}, **pair))
    lines: list[str] = []
    with client_for(raw_server.url, trace=lines.append) as client:
        client.list_sessions()
        client.operation("S1", "Complete")  # sends the token in X-Gws-Guard
    trace = "\n".join(lines)
    assert "> X-Gws-Guard: <redacted>" in trace and "> POST " in trace
    assert token not in trace
