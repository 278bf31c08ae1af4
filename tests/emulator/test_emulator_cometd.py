"""The emulator's CometD endpoint and fault switches, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from smscli.emulator import Emulator, EmulatorState
from smscli.emulator.cometd import (
    EVENTS_FIRST,
    REPLY_FIRST,
    REPLY_MIDDLE,
    CometdHub,
    channel_matches,
    valid_subscription,
)
from smscli.emulator.faults import Faults
from smscli.emulator.state import CAPABILITIES_BY_STATE
from smscli.emulator.traffic import TrafficGenerator

AUTH = ("demo", "demo")
CHAT_ID = "0000Ta9COMETD0C1"
OTHER_ID = "0000Ta9COMETD0C2"
AGENT = {"type": "Agent", "nickname": "Kim", "participantId": "00BB000000000001"}
CUSTOMER = {"type": "Customer", "nickname": "Lee", "participantId": "00BB000000000002"}
TOPIC = "/v2/me/smssessions"
SHORT_MS = 1000  # how long an idle connect is held in these tests
DEADLINE_S = 20.0  # a guard against hanging the suite, never a timing expectation


def chat_state() -> EmulatorState:
    """Two Chatting sessions with one customer message each."""
    state = EmulatorState()
    for session_id in (CHAT_ID, OTHER_ID):
        chatting = {
            "id": session_id,
            "state": "Chatting",
            "participants": [AGENT, CUSTOMER],
            "capabilities": list(CAPABILITIES_BY_STATE["Chatting"]),
        }
        state.add_session(chatting, [{"type": "Text", "from": CUSTOMER, "text": "hello"}])
    return state


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(state=chat_state(), cometd_timeout_ms=SHORT_MS, seed=11) as emulator:
        yield emulator


@pytest.fixture
def rest(emu: Emulator) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = AUTH
        yield session


class Bayeux:
    """A minimal long-polling Bayeux client for the tests."""

    def __init__(self, emulator: Emulator, auth: tuple[str, str] | None = AUTH) -> None:
        self.url = f"{emulator.url}/api/v2/notifications"
        self.http = requests.Session()
        self.http.auth = auth
        self.client_id = ""
        self._ids = iter(range(1, 1_000_000))

    def close(self) -> None:
        self.http.close()

    def send(self, *messages: dict[str, Any], suffix: str = "") -> list[dict[str, Any]]:
        stamped = [{"id": str(next(self._ids)), **message} for message in messages]
        response = self.http.post(self.url + suffix, json=stamped)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json"
        replies: list[dict[str, Any]] = response.json()
        return replies

    def meta(self, channel: str, **fields: Any) -> dict[str, Any]:
        """Send one meta message; returns its reply, checking the id is echoed."""
        message = {"channel": channel, "clientId": self.client_id, **fields}
        replies = self.send(message, suffix="/" + channel.rsplit("/", 1)[1])
        [reply] = [r for r in replies if r["channel"] == channel]
        return reply

    def handshake(self) -> dict[str, Any]:
        message = {"channel": "/meta/handshake", "version": "1.0",
                   "supportedConnectionTypes": ["long-polling"]}  # fmt: skip
        [reply] = self.send(message, suffix="/handshake")
        assert reply["successful"] is True, reply
        self.client_id = reply["clientId"]
        return reply

    def subscribe(self, *patterns: str) -> None:
        for pattern in patterns:
            reply = self.meta("/meta/subscribe", subscription=pattern)
            assert reply["successful"] is True, reply

    def connect(self, **fields: Any) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
        """One connect: (events, the connect reply, the reply's position in the array)."""
        message = {"channel": "/meta/connect", "clientId": self.client_id,
                   "connectionType": "long-polling", **fields}  # fmt: skip
        replies = self.send(message, suffix="/connect")
        positions = [i for i, r in enumerate(replies) if r["channel"] == "/meta/connect"]
        assert len(positions) == 1, replies
        events = [r for r in replies if r["channel"] != "/meta/connect"]
        return events, replies[positions[0]], positions[0]

    def events_until(self, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """Connect repeatedly until ``done(all events so far)`` or the deadline."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + DEADLINE_S
        while not done(seen) and time.monotonic() < deadline:
            events, reply, _ = self.connect()
            assert reply["successful"] is True, reply
            seen.extend(events)
        return seen


@pytest.fixture
def bayeux(emu: Emulator) -> Iterator[Bayeux]:
    client = Bayeux(emu)
    yield client
    client.close()


def send_text(rest: requests.Session, emulator: Emulator, text: str, session_id: str = CHAT_ID):
    url = f"{emulator.url}/api/v2/me/smssessions/{session_id}"
    response = rest.post(url, json={"operationName": "SendMessage", "text": text})
    assert response.status_code == 200, response.text
    return response


def texts(events: list[dict[str, Any]]) -> list[str]:
    return [
        message.get("text", message["type"])
        for event in events
        if event["data"].get("messageType") == "MessageLogUpdated"
        for message in event["data"]["messages"]
    ]


def raw_request(emulator: Emulator, request: bytes) -> bytes:
    """Everything the server sends on a fresh connection, read until it closes."""
    with socket.create_connection(("127.0.0.1", emulator.port)) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


# -- handshake, subscribe, connect -----------------------------------------------------------


def test_handshake_reply_follows_bayeux(emu: Emulator, bayeux: Bayeux) -> None:
    reply = bayeux.handshake()
    assert reply == {
        "channel": "/meta/handshake",
        "successful": True,
        "clientId": reply["clientId"],
        "version": "1.0",
        "supportedConnectionTypes": ["long-polling"],
        "advice": {"reconnect": "retry", "interval": 0, "timeout": SHORT_MS},
        "id": "1",
    }
    assert reply["clientId"] != Bayeux(emu).handshake()["clientId"]


def test_send_message_reaches_a_subscriber_with_the_stored_message(
    emu: Emulator, bayeux: Bayeux, rest: requests.Session
) -> None:
    bayeux.handshake()
    bayeux.subscribe(TOPIC)
    send_text(rest, emu, "How may I help you?")
    events, reply, position = bayeux.connect()
    stored = emu.state.messages(CHAT_ID)[-1]
    assert events == [
        {
            "channel": TOPIC,
            "data": {
                "messageType": "MessageLogUpdated",
                "notificationType": "NewMessages",
                "smssessionUri": f"{emu.url}/api/v2/smssessions/{CHAT_ID}",
                "messages": [stored],
            },
        }
    ]
    assert stored["text"] == "How may I help you?"
    assert position == 1  # events first by default
    assert reply == {
        "channel": "/meta/connect",
        "successful": True,
        "clientId": bayeux.client_id,
        "advice": {"reconnect": "retry", "interval": 0, "timeout": SHORT_MS},
        "id": "3",
    }


def test_traffic_messages_and_state_changes_are_delivered(
    emu: Emulator, bayeux: Bayeux, rest: requests.Session
) -> None:
    bayeux.handshake()
    bayeux.subscribe(TOPIC)
    traffic = TrafficGenerator(emu.state, rate=10, seed=5)
    added = [traffic.step() for _ in range(4)]
    url = f"{emu.url}/api/v2/me/smssessions/{OTHER_ID}"
    assert rest.post(url, json={"operationName": "Complete"}).status_code == 200
    events = bayeux.events_until(lambda seen: len(seen) >= 5)
    delivered = [e["data"]["messages"] for e in events[:4]]
    assert delivered == [[message] for message in added]
    assert events[4]["data"]["messageType"] == "SMSsessionStateChangeMessage"
    assert events[4]["data"]["smssession"]["state"] == "Completed"


@pytest.mark.parametrize("pattern", ["/v2/me/*", "/**", "/v2/**", TOPIC])
def test_matching_subscriptions_receive_events(
    emu: Emulator, bayeux: Bayeux, rest: requests.Session, pattern: str
) -> None:
    bayeux.handshake()
    bayeux.subscribe(pattern)
    send_text(rest, emu, "wildcard")
    events = bayeux.events_until(lambda seen: bool(seen))
    assert texts(events) == ["wildcard"]


@pytest.mark.parametrize("pattern", ["/v2/me/chats", "/v2/*", "/v2/me/smssessions/*"])
def test_non_matching_subscription_gets_nothing(
    emu: Emulator, rest: requests.Session, pattern: str
) -> None:
    listener, outsider = Bayeux(emu), Bayeux(emu)
    for client, subscription in ((listener, "/**"), (outsider, pattern)):
        client.handshake()
        client.subscribe(subscription)
    send_text(rest, emu, "not for you")
    assert texts(listener.events_until(lambda seen: bool(seen))) == ["not for you"]
    events, reply, _ = outsider.connect()  # held for the whole timeout, then empty
    assert events == [] and reply["successful"] is True


def test_subscribe_accepts_a_list_and_unsubscribe_stops_delivery(
    emu: Emulator, bayeux: Bayeux, rest: requests.Session
) -> None:
    bayeux.handshake()
    reply = bayeux.meta("/meta/subscribe", subscription=["/v2/me/chats", TOPIC])
    assert reply["successful"] is True
    assert reply["subscription"] == ["/v2/me/chats", TOPIC]
    send_text(rest, emu, "one")
    assert texts(bayeux.events_until(lambda seen: bool(seen))) == ["one"]
    assert bayeux.meta("/meta/unsubscribe", subscription=TOPIC)["successful"] is True
    send_text(rest, emu, "two")
    events, _, _ = bayeux.connect()
    assert events == []


@pytest.mark.parametrize("subscription", [None, 5, "", "v2/me", "/meta/connect", "/v2/*/x",
                                          "/v2/me*", "/v2//me", ["/ok", 7]])  # fmt: skip
def test_invalid_subscriptions_are_refused(bayeux: Bayeux, subscription: Any) -> None:
    bayeux.handshake()
    reply = bayeux.meta("/meta/subscribe", subscription=subscription)
    assert reply["successful"] is False
    assert reply["error"].startswith("400::")


def test_channel_matching_rules() -> None:
    assert channel_matches("/v2/me/*", TOPIC)
    assert not channel_matches("/v2/me/*", TOPIC + "/x")
    assert not channel_matches("/v2/me/*", "/v2/me")
    assert channel_matches("/v2/**", TOPIC + "/x")
    assert channel_matches("/**", TOPIC)
    assert not channel_matches("/v2/**", "/v2")
    assert not channel_matches("/v2/me/smssessions2", TOPIC)
    assert not channel_matches("/v2/m*", TOPIC)
    assert valid_subscription("/v2/me/*") and not valid_subscription("/v2/*/me")


def test_connect_returns_only_its_reply_when_nothing_happens(bayeux: Bayeux) -> None:
    bayeux.handshake()
    bayeux.subscribe("/**")
    events, reply, position = bayeux.connect()
    assert (events, position, reply["successful"]) == ([], 0, True)


def test_client_advice_timeout_zero_answers_at_once() -> None:
    # With a server timeout far beyond the deadline, only the client's advice can answer.
    with Emulator(state=chat_state(), cometd_timeout_ms=600_000) as emulator:
        client = Bayeux(emulator)
        client.handshake()
        results: queue.Queue[Any] = queue.Queue()
        worker = threading.Thread(
            target=lambda: results.put(client.connect(advice={"timeout": 0})), daemon=True
        )
        worker.start()
        events, reply, _ = results.get(timeout=DEADLINE_S)
        assert events == [] and reply["advice"]["timeout"] == 600_000


def test_events_queued_between_connects_are_kept_in_order(
    emu: Emulator, bayeux: Bayeux, rest: requests.Session
) -> None:
    bayeux.handshake()
    bayeux.subscribe(TOPIC)
    bayeux.connect(advice={"timeout": 0})
    for text in ("a", "b", "c"):
        send_text(rest, emu, text)
    events, _, _ = bayeux.connect()
    assert texts(events) == ["a", "b", "c"]
    assert emu.stats.connections == 2  # the long-polls kept their connection alive


def test_a_second_connect_releases_the_held_one() -> None:
    with Emulator(state=chat_state(), cometd_timeout_ms=600_000) as emulator:
        first, second = Bayeux(emulator), Bayeux(emulator)
        first.handshake()
        first.subscribe(TOPIC)
        second.client_id = first.client_id  # the same Bayeux client, on another connection
        results: queue.Queue[Any] = queue.Queue()
        for client in (first, second):
            threading.Thread(target=lambda c=client: results.put(c.connect()), daemon=True).start()
        # Whichever connect arrived first is released empty as soon as the other arrives.
        released_events, released_reply, _ = results.get(timeout=DEADLINE_S)
        assert released_events == [] and released_reply["successful"] is True
        with requests.Session() as session:
            session.auth = AUTH
            send_text(session, emulator, "for the newer connect")
        held_events, _, _ = results.get(timeout=DEADLINE_S)
        assert texts(held_events) == ["for the newer connect"]


@pytest.mark.parametrize(
    ("order", "position"), [(EVENTS_FIRST, 2), (REPLY_FIRST, 0), (REPLY_MIDDLE, 1)]
)
def test_connect_reply_position_is_configurable(
    rest: requests.Session, order: str, position: int
) -> None:
    with Emulator(state=chat_state(), cometd_reply_order=order) as emulator:
        client = Bayeux(emulator)
        client.handshake()
        client.subscribe(TOPIC)
        send_text(rest, emulator, "x")
        send_text(rest, emulator, "y")
        events, _, at = client.connect()
        assert (texts(events), at) == (["x", "y"], position)
        emulator.cometd.reply_order = REPLY_FIRST
        send_text(rest, emulator, "z")
        assert client.connect()[2] == 0
    with pytest.raises(ValueError):
        Emulator(cometd_reply_order="sideways")


def test_forgotten_clients_get_402_and_recover_by_handshaking(
    emu: Emulator, bayeux: Bayeux, rest: requests.Session
) -> None:
    bayeux.handshake()
    bayeux.subscribe(TOPIC)
    assert emu.faults.forget_clients() == 1
    events, reply, _ = bayeux.connect()
    assert events == []
    assert reply == {
        "channel": "/meta/connect",
        "successful": False,
        "clientId": bayeux.client_id,
        "error": "402::Unknown client",
        "advice": {"reconnect": "handshake", "interval": 0},
        "id": "3",
    }
    subscribe = bayeux.meta("/meta/subscribe", subscription=TOPIC)
    assert subscribe["error"] == "402::Unknown client"
    bayeux.handshake()
    bayeux.subscribe(TOPIC)
    send_text(rest, emu, "after restart")
    assert texts(bayeux.events_until(lambda seen: bool(seen))) == ["after restart"]
    assert emu.faults.injected["forget_clients"] == 1


def test_forgetting_answers_a_held_connect_with_402() -> None:
    with Emulator(state=chat_state(), cometd_timeout_ms=600_000) as emulator:
        client = Bayeux(emulator)
        client.handshake()
        results: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=lambda: results.put(client.connect()), daemon=True).start()
        deadline = time.monotonic() + DEADLINE_S
        # Forget until the connect's answer shows it was held when forgotten (or came first).
        while results.empty() and time.monotonic() < deadline:
            emulator.faults.forget_clients()
            time.sleep(0.01)
        _, reply, _ = results.get(timeout=DEADLINE_S)
        assert reply["error"] == "402::Unknown client"


def test_disconnect_removes_the_client(emu: Emulator, bayeux: Bayeux) -> None:
    bayeux.handshake()
    reply = bayeux.meta("/meta/disconnect")
    assert reply == {
        "channel": "/meta/disconnect", "successful": True,
        "clientId": bayeux.client_id, "id": "2",
    }  # fmt: skip
    assert bayeux.connect()[1]["error"] == "402::Unknown client"
    assert bayeux.meta("/meta/disconnect")["successful"] is False


def test_clients_expire_after_max_interval_without_a_connect() -> None:
    now = [1000.0]
    state = chat_state()
    hub = CometdHub(state, max_interval_ms=10_000, clock=lambda: now[0])

    def call(**message: Any) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(hub.handle(json.dumps(message).encode(), "demo").body)[0]
        return reply

    stays = call(channel="/meta/handshake")["clientId"]
    goes = call(channel="/meta/handshake")["clientId"]
    now[0] += 9.0
    assert call(channel="/meta/connect", clientId=stays, advice={"timeout": 0})["successful"]
    now[0] += 9.0  # 18 s after goes's handshake, 9 s after stays's last connect
    assert call(channel="/meta/connect", clientId=stays, advice={"timeout": 0})["successful"]
    expired = call(channel="/meta/connect", clientId=goes, advice={"timeout": 0})
    assert expired["error"] == "402::Unknown client"
    assert hub.client_count == 1
    hub.close()


def test_a_full_queue_drops_the_oldest_events() -> None:
    state = chat_state()
    hub = CometdHub(state, queue_limit=3)
    body = hub.handle(b'[{"channel":"/meta/handshake"}]', "demo").body
    client_id = json.loads(body)[0]["clientId"]
    subscribe = {"channel": "/meta/subscribe", "clientId": client_id, "subscription": "/**"}
    hub.handle(json.dumps(subscribe).encode(), "demo")
    for n in range(5):
        state.append_message(CHAT_ID, {"type": "Text", "text": str(n)})
    connect = {"channel": "/meta/connect", "clientId": client_id}
    replies = json.loads(hub.handle(json.dumps(connect).encode(), "demo").body)
    assert texts(replies[:-1]) == ["2", "3", "4"]
    assert hub.dropped_events == 2
    hub.close()


def test_client_ids_belong_to_their_user() -> None:
    with Emulator(state=chat_state(), users={"demo": "demo", "kim": "pw"}) as emulator:
        mine, theirs = Bayeux(emulator), Bayeux(emulator, auth=("kim", "pw"))
        mine.handshake()
        theirs.client_id = mine.client_id
        assert theirs.meta("/meta/subscribe", subscription=TOPIC)["successful"] is False


# -- the endpoint's HTTP side ----------------------------------------------------------------


def test_endpoint_auth_cookie_and_method(emu: Emulator, rest: requests.Session) -> None:
    url = f"{emu.url}/api/v2/notifications"
    handshake = [{"channel": "/meta/handshake"}]
    denied = requests.post(url, json=handshake)
    assert denied.status_code == 401
    assert denied.json() == {"statusCode": 20, "statusMessage": "Access denied"}
    assert rest.get(f"{emu.url}/api/v2/me").status_code == 200  # obtains JSESSIONID
    cookie_only = requests.post(url, json=handshake, cookies=rest.cookies)
    assert cookie_only.status_code == 200 and cookie_only.json()[0]["successful"] is True
    wrong = rest.get(url)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST"


def test_csrf_is_tolerated_but_not_required_on_the_endpoint() -> None:
    with Emulator(state=chat_state(), csrf=True) as emulator:
        client = Bayeux(emulator)
        client.handshake()  # no token at all
        client.http.headers["X-CSRF-TOKEN"] = "stale-or-wrong"
        client.subscribe(TOPIC)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"{", 400),
        (b"\xff\xfe", 400),
        (b"[1]", 400),
        (b'[{"channel":1}]', 400),
        (b'[{"channel":"/meta/handshake","id":NaN}]', 400),
        (b"[" * 100_000, 400),
        (b"[]", 200),
        (b'{"channel":"/meta/connect"}', 200),
        (b'[{"channel":"/meta/connect","clientId":{"x":1}}]', 200),
        (b'[{"channel":"/meta/subscribe","clientId":"nope","subscription":"/**"}]', 200),
        (b'[{"channel":"/meta/nonsense"}]', 200),
        (b'[{"channel":"/v2/me/smssessions","data":{}}]', 200),
        (b'[{"channel":"/meta/connect","clientId":"x","advice":{"timeout":"soon"}}]', 200),
    ],
)
def test_malformed_bayeux_input_never_gets_a_traceback(
    emu: Emulator, capfd: pytest.CaptureFixture[str], body: bytes, status: int
) -> None:
    response = requests.post(f"{emu.url}/api/v2/notifications", data=body, auth=AUTH)
    assert response.status_code == status
    payload = response.json()
    if status == 200:
        assert isinstance(payload, list)
        assert all(reply["successful"] is False for reply in payload)
    else:
        assert set(payload) == {"statusCode", "statusMessage"}
    assert capfd.readouterr().err == ""


# -- faults ----------------------------------------------------------------------------------


def test_fault_settings_are_validated_as_a_whole() -> None:
    faults = Faults(seed=1)
    for bad in ({"drop_rate": 1.5}, {"error_rate": -0.1}, {"delay_s": -1}, {"nope": 1},
                {"delay_range": (2, 1)}, {"paths": "api"}, {"silent_rate": float("nan")},
                {"reorder_rate": True}, {"delay_range": "x"}, {"paths": [1]},
                {"delay_range": ("a", "b")}):  # fmt: skip
        with pytest.raises((ValueError, TypeError)):
            faults.configure(**{"duplicate_rate": 0.5, **bad})
    assert faults.duplicate_rate == 0.0  # nothing from a rejected call was applied
    faults.configure(drop_rate=0.25, paths=["/api/v2/notifications"])
    faults.delay_range = (0.0, 0.01)
    assert faults.settings()["drop_rate"] == 0.25 and faults.paths == ["/api/v2/notifications"]
    faults.reset()
    assert not any(faults.settings().values())


def test_faults_are_deterministic_for_a_seed() -> None:
    def decisions(seed: int) -> list[Any]:
        faults = Faults(seed)
        faults.configure(drop_rate=0.5, error_rate=0.5, delay_range=(0, 1))
        return [(faults.should_drop("/"), faults.error_status("/"), faults.delay_for("/"))
                for _ in range(50)]  # fmt: skip

    assert decisions(3) == decisions(3)
    assert decisions(3) != decisions(4)


def test_error_faults_answer_500_or_503_without_processing(
    emu: Emulator, rest: requests.Session
) -> None:
    before = emu.state.message_count(CHAT_ID)
    emu.faults.error_rate = 1.0
    url = f"{emu.url}/api/v2/me/smssessions/{CHAT_ID}"
    statuses: Counter[int] = Counter()
    retry_after: set[str | None] = set()
    for n in range(40):
        response = rest.post(url, json={"operationName": "SendMessage", "text": str(n)})
        statuses[response.status_code] += 1
        assert response.json()["statusCode"] == 4
        retry_after.add(response.headers.get("Retry-After"))
    assert set(statuses) == {500, 503}
    assert retry_after == {None, "0"}
    assert emu.state.message_count(CHAT_ID) == before
    assert emu.faults.injected["error"] == 40
    emu.faults.error_rate = 0.0
    send_text(rest, emu, "healthy again")


def test_drop_faults_cut_responses_short_after_processing(emu: Emulator) -> None:
    emu.faults.drop_rate = 1.0
    before = emu.state.message_count(CHAT_ID)
    body = b'{"operationName":"SendMessage","text":"lost reply"}'
    request = (
        f"POST /api/v2/me/smssessions/{CHAT_ID} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Basic ZGVtbzpkZW1v\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    nothing = truncated = 0
    for _ in range(30):
        data = raw_request(emu, request)
        if not data:
            nothing += 1
            continue
        head, _, partial = data.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))  # fmt: skip
        assert head.startswith(b"HTTP/1.1 200") and len(partial) < length
        truncated += 1
    assert nothing and truncated
    assert emu.state.message_count(CHAT_ID) == before + 30  # the work was done; the reply lost
    assert emu.faults.injected["drop"] == 30
    with pytest.raises(requests.RequestException):
        requests.get(f"{emu.url}/api/v2/me", auth=AUTH)


def test_delay_faults_are_applied_and_counted(emu: Emulator, rest: requests.Session) -> None:
    emu.faults.delay_s = 0.01
    assert rest.get(f"{emu.url}/api/v2/me").status_code == 200
    emu.faults.delay_range = (0.0, 0.02)
    assert rest.get(f"{emu.url}/api/v2/me").status_code == 200
    assert emu.faults.injected["delay"] == 2


def test_fault_paths_limit_where_http_faults_apply(
    emu: Emulator, rest: requests.Session, bayeux: Bayeux
) -> None:
    emu.faults.configure(error_rate=1.0, paths=["/api/v2/notifications"])
    assert rest.get(f"{emu.url}/api/v2/me").status_code == 200
    response = bayeux.http.post(bayeux.url, json=[{"channel": "/meta/handshake"}])
    assert response.status_code in (500, 503)
    assert emu.faults.injected == {"error": 1}


def test_duplicate_fault_delivers_each_event_twice_after_the_original(
    emu: Emulator, bayeux: Bayeux, rest: requests.Session
) -> None:
    bayeux.handshake()
    bayeux.subscribe(TOPIC)
    emu.faults.duplicate_rate = 1.0
    sent = [f"dup {n}" for n in range(6)]
    for text in sent:
        send_text(rest, emu, text)
    events = bayeux.events_until(lambda seen: len(seen) >= 12)
    received = texts(events)
    assert Counter(received) == {text: 2 for text in sent}
    assert [received.index(text) for text in sent] == sorted(received.index(t) for t in sent)
    assert emu.faults.injected["duplicate"] == 6
    events, _, _ = bayeux.connect()  # copies are never copied again
    assert events == []


def test_reorder_fault_swaps_two_adjacent_events(
    emu: Emulator, bayeux: Bayeux, rest: requests.Session
) -> None:
    bayeux.handshake()
    bayeux.subscribe(TOPIC)
    emu.faults.reorder_rate = 1.0
    send_text(rest, emu, "first")
    send_text(rest, emu, "second")
    events, _, _ = bayeux.connect()
    assert texts(events) == ["second", "first"]
    send_text(rest, emu, "alone")
    assert texts(bayeux.connect()[0]) == ["alone"]  # one event: nothing to swap
    assert emu.faults.injected["reorder"] == 1


def test_silent_fault_keeps_traffic_out_of_cometd_only(emu: Emulator, bayeux: Bayeux) -> None:
    bayeux.handshake()
    bayeux.subscribe(TOPIC)
    traffic = TrafficGenerator(emu.state, rate=10, seed=2, faults=emu.faults)
    before = emu.state.message_count(CHAT_ID) + emu.state.message_count(OTHER_ID)
    emu.faults.silent_rate = 1.0
    for _ in range(3):
        assert traffic.step() is not None
    after = emu.state.message_count(CHAT_ID) + emu.state.message_count(OTHER_ID)
    assert after == before + 3
    assert bayeux.connect()[0] == []
    assert emu.faults.injected["silent"] == 3
    emu.faults.silent_rate = 0.0
    loud = traffic.step()
    assert [e["data"]["messages"] for e in bayeux.connect()[0]] == [[loud]]


def test_expired_sessions_get_401_then_basic_gets_a_fresh_one() -> None:
    with Emulator(state=chat_state(), csrf=True) as emulator, requests.Session() as http:
        http.auth = AUTH
        me, op = f"{emulator.url}/api/v2/me", f"{emulator.url}/api/v2/me/smssessions/{CHAT_ID}"
        old_token = http.get(me).headers["X-CSRF-TOKEN"]
        old_cookie = http.cookies.get("JSESSIONID")
        assert old_cookie
        assert emulator.faults.expire_sessions() == 1
        expired = http.get(me)
        assert expired.status_code == 401
        assert expired.json() == {"statusCode": 20, "statusMessage": "Session expired"}
        assert "Max-Age=0" in expired.headers["Set-Cookie"]
        assert "JSESSIONID" not in http.cookies  # requests honoured the clearing cookie
        fresh = http.get(me)
        assert fresh.status_code == 200 and http.cookies["JSESSIONID"] != old_cookie
        send = {"operationName": "SendMessage", "text": "t"}
        stale = http.post(op, json=send, headers={"X-CSRF-TOKEN": old_token})
        assert stale.status_code == 403 and stale.text == "Missing or invalid Csrf token"
        good = http.post(op, json=send, headers={"X-CSRF-TOKEN": fresh.headers["X-CSRF-TOKEN"]})
        assert good.status_code == 200
        # The old cookie stays expired, even alongside valid Basic credentials.
        again = requests.get(me, auth=AUTH, cookies={"JSESSIONID": old_cookie})
        assert again.status_code == 401
        assert emulator.faults.injected["expire_sessions"] == 1


# -- many clients at once --------------------------------------------------------------------


def test_200_concurrent_clients_leave_a_consistent_transcript() -> None:
    workers, listeners = 200, 5
    with Emulator(state=chat_state(), cometd_timeout_ms=2000) as emulator:
        subscribed = []
        for _ in range(listeners):
            client = Bayeux(emulator)
            client.handshake()
            client.subscribe("/v2/me/*")
            subscribed.append(client)
        sent = [f"worker {n}" for n in range(workers)]
        failures: list[str] = []
        start = threading.Barrier(workers)

        def work(text: str) -> None:
            try:
                with requests.Session() as http:
                    http.auth = AUTH
                    start.wait(timeout=DEADLINE_S)
                    send_text(http, emulator, text)
                    url = f"{emulator.url}/api/v2/me/smssessions/{CHAT_ID}/messages"
                    assert http.get(url).status_code == 200
            except Exception as error:  # noqa: BLE001 - reported by the main thread
                failures.append(f"{text}: {error!r}")

        threads = [threading.Thread(target=work, args=(text,)) for text in sent]
        received: list[list[str]] = [[] for _ in subscribed]
        readers = [
            threading.Thread(
                target=lambda c=client, out=out: out.extend(
                    texts(c.events_until(lambda seen: len(texts(seen)) >= workers))
                )
            )
            for client, out in zip(subscribed, received, strict=True)
        ]
        for thread in [*readers, *threads]:
            thread.start()
        for thread in [*threads, *readers]:
            thread.join()
        assert failures == []
        transcript = [m["text"] for m in emulator.state.messages(CHAT_ID)][1:]
        assert sorted(transcript) == sorted(sent)
        for out in received:
            assert out == transcript  # every listener saw each message once, in order
