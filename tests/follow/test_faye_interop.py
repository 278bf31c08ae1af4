"""BayeuxClient against a Bayeux server nobody here wrote: faye (npm), on loopback.

tests/interop/faye_server.js runs faye's NodeAdapter at /api/v2/notifications with a short
long-poll timeout, plus a small control API through which these tests make faye publish.
Without node or tests/interop/node_modules the tests are skipped, except under CI (CI set),
where .ci/run installs them and a missing one is a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nodekit import INTEROP, NodeServer, node_with

from smscli.client import ClientOptions, GwsClient
from smscli.follow.bayeux import WATCHDOG_MARGIN_S, BayeuxClient, RehandshakeNeeded

SERVER_JS = INTEROP / "faye_server.js"
MOUNT = "/api/v2/notifications"
SMS = "/v2/me/smssessions"
FAYE_TIMEOUT_S = 2  # faye's long-poll timeout: an idle connect returns after this
DEADLINE_S = 10.0  # how long a test waits for what it expects before giving up


def _node() -> str:
    return node_with("faye", "faye interop")


class FayeServer(NodeServer):
    """One `node faye_server.js` process; the first line of its stdout is the bound port."""

    def __init__(self, node: str, stderr_path: Path, timeout_s: float = FAYE_TIMEOUT_S) -> None:
        super().__init__(node, SERVER_JS, stderr_path)
        self.timeout_s = timeout_s

    def start(self, port: int = 0) -> None:
        self.launch(f"--timeout={self.timeout_s:g}", f"--port={port}")

    def restart(self) -> None:
        """Stop faye and start a new one on the same port: it has forgotten every client."""
        port = self.port
        self.stop()
        self.start(port)

    # -- the control API ------------------------------------------------------------------

    def _call(self, path: str, body: Any = None) -> Any:
        return self.call(path, body, timeout=DEADLINE_S + 5)

    def publish(self, messages: list[tuple[str, Any]],
                after_connects: tuple[str, int] | None = None) -> None:
        """Make faye publish these (channel, data) in order; returns once faye accepted them."""
        body: dict[str, Any] = {"messages": [{"channel": c, "data": d} for c, d in messages]}
        if after_connects:
            body["afterConnects"] = {"clientId": after_connects[0], "count": after_connects[1]}
        answer = self._call("/control/publish", body)
        assert answer == {"published": len(messages)}, answer

    def connects(self, client_id: str) -> int:
        """How many /meta/connect messages faye has seen from this client."""
        return int(self._call(f"/control/connects?clientId={client_id}")["count"])

    def publish_during_next_connect(self, client_id: str,
                                    messages: list[tuple[str, Any]]) -> Callable[[], None]:
        """Publish from a helper thread once faye has the client's next connect in hand.

        Returns a function that joins the thread and re-raises what went wrong in it.
        """
        wanted = self.connects(client_id) + 1
        errors: list[BaseException] = []

        def run() -> None:
            try:
                self.publish(messages, after_connects=(client_id, wanted))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def join() -> None:
            thread.join(DEADLINE_S + 10)
            assert not thread.is_alive(), "the publishing thread did not finish"
            if errors:
                raise errors[0]

        return join


@pytest.fixture(scope="module")
def faye(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FayeServer]:
    server = FayeServer(_node(), tmp_path_factory.mktemp("faye") / "stderr.txt")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_faye(tmp_path: Path) -> Iterator[FayeServer]:
    """A faye process for this test alone, for tests that stop or restart it."""
    server = FayeServer(_node(), tmp_path / "stderr.txt")
    server.start()
    yield server
    server.stop()


def _bayeux_for(server: FayeServer) -> tuple[GwsClient, BayeuxClient]:
    client = GwsClient(server.url, "u", "p",
                       ClientOptions(connect_timeout=2.0, read_timeout=5.0, retries=0))
    return client, BayeuxClient(client, MOUNT)


@pytest.fixture
def bayeux(faye: FayeServer) -> Iterator[BayeuxClient]:
    client, bx = _bayeux_for(faye)
    yield bx
    bx.disconnect()
    client.close()


@pytest.fixture
def own_bayeux(own_faye: FayeServer) -> Iterator[BayeuxClient]:
    client, bx = _bayeux_for(own_faye)
    yield bx
    bx.disconnect()
    client.close()


def collect(bx: BayeuxClient, count: int, deadline_s: float = DEADLINE_S) -> list[dict]:
    """connect() until `count` events came (or the deadline passed); every event, in order."""
    events: list[dict] = []
    deadline = time.monotonic() + deadline_s
    while len(events) < count and time.monotonic() < deadline:
        events.extend(bx.connect())
    return events


def ready(bx: BayeuxClient, channels: list[str]) -> str:
    bx.handshake()
    assert bx.subscribe(channels) == []
    assert bx.client_id is not None
    return bx.client_id


# A GWS-like notification, with what JSON can carry that a sloppy client might mangle.
PAYLOAD = {
    "messageType": "MessageLogUpdated",
    "smsSessionId": "0000Na9B26EF002G",
    "messages": [
        {"index": 3, "type": "Message", "text": "Grüße 👋 \"quoted\" \\ back\nslash",
         "visibility": "All", "timestamp": 1717171717171, "from": {"nickname": "Ana"}},
        {"index": -1, "type": "TranscriptSaveDone", "text": None},
    ],
    "ratio": 0.125, "big": 9007199254740991, "flags": [True, False, None], "empty": {},
}


# -- the tests -----------------------------------------------------------------------------

def test_handshake_gives_a_client_id_and_takes_up_the_advice(bayeux: BayeuxClient) -> None:
    assert bayeux.advice.timeout_ms != FAYE_TIMEOUT_S * 1000  # the default, before
    bayeux.handshake()
    assert isinstance(bayeux.client_id, str) and bayeux.client_id
    assert bayeux.advice.timeout_ms == FAYE_TIMEOUT_S * 1000
    assert bayeux.advice.interval_ms == 0
    assert bayeux.advice.reconnect == "retry"


def test_an_idle_connect_ends_at_the_servers_timeout(bayeux: BayeuxClient) -> None:
    """With nothing to deliver faye answers the long-poll when its timeout (advised) runs out;
    the client waited with a read timeout derived from that advice, not its own default."""
    ready(bayeux, [SMS])
    timeouts: list[float] = []
    real = bayeux.client.bayeux

    def spy(path: str, messages: list[dict], read_timeout: float) -> list:
        timeouts.append(read_timeout)
        return real(path, messages, read_timeout)

    bayeux.client.bayeux = spy  # type: ignore[method-assign]
    assert bayeux.connect() == []
    assert timeouts == [FAYE_TIMEOUT_S + WATCHDOG_MARGIN_S]


def test_subscribe_reports_what_faye_refused(bayeux: BayeuxClient) -> None:
    bayeux.handshake()
    refused = bayeux.subscribe([SMS, "/service/not-for-clients", "/v2/me/*"])
    assert refused == ["/service/not-for-clients"]
    assert bayeux.subscriptions == [SMS, "/v2/me/*"]


@pytest.mark.parametrize("when", ["before the connect", "during the connect"])
def test_a_published_event_arrives_with_its_data_intact(faye: FayeServer,
                                                        bayeux: BayeuxClient, when: str) -> None:
    client_id = ready(bayeux, [SMS])
    if when == "before the connect":
        faye.publish([(SMS, PAYLOAD)])  # faye queues it for the subscribed client
        events = bayeux.connect()
    else:
        join = faye.publish_during_next_connect(client_id, [(SMS, PAYLOAD)])
        events = bayeux.connect()  # the publish wakes this long-poll before faye's timeout
        join()
    assert [(e["channel"], e["data"]) for e in events] == [(SMS, PAYLOAD)]


@pytest.mark.parametrize("when", ["before the connect", "during the connect"])
def test_events_published_together_arrive_in_order(faye: FayeServer, bayeux: BayeuxClient,
                                                   when: str) -> None:
    client_id = ready(bayeux, [SMS])
    batch = [(SMS, {"messageType": "MessageLogUpdated", "n": n}) for n in range(8)]
    if when == "before the connect":
        faye.publish(batch)
        events = collect(bayeux, len(batch))
    else:
        join = faye.publish_during_next_connect(client_id, batch)
        events = collect(bayeux, len(batch))
        join()
    assert [e["data"]["n"] for e in events] == list(range(8))
    assert {e["channel"] for e in events} == {SMS}


def test_a_wildcard_subscription_gets_only_matching_channels(faye: FayeServer,
                                                             bayeux: BayeuxClient) -> None:
    ready(bayeux, ["/v2/me/*"])
    faye.publish([
        ("/v2/other/smssessions", {"n": 0}),   # another tree
        (SMS + "/deeper", {"n": 1}),           # * matches one segment only
        (SMS, {"n": 2}),
        ("/v2/me", {"n": 3}),                  # the parent itself
        ("/v2/me/devices", {"n": 4}),
        (SMS, {"n": 5}),
    ])
    # faye delivers in publication order, so once n=5 is in, any wrongly delivered one
    # published before it would be in too.
    events = collect(bayeux, 3)
    assert [(e["channel"], e["data"]["n"]) for e in events] == [
        (SMS, 2), ("/v2/me/devices", 4), (SMS, 5)]


def test_a_non_matching_channel_is_not_received(faye: FayeServer,
                                                bayeux: BayeuxClient) -> None:
    ready(bayeux, [SMS])
    faye.publish([("/v2/me/devices", {"n": 0}), ("/v2/me/smssessions2", {"n": 1}),
                  (SMS, {"n": 2})])
    events = collect(bayeux, 1)
    assert [(e["channel"], e["data"]["n"]) for e in events] == [(SMS, 2)]


def test_an_unknown_client_id_needs_a_new_handshake(faye: FayeServer,
                                                    bayeux: BayeuxClient) -> None:
    ready(bayeux, [SMS])
    bayeux.client_id = "nosuchclient0000000000000000000"
    with pytest.raises(RehandshakeNeeded):
        bayeux.connect()
    assert bayeux.client_id is None
    with pytest.raises(RehandshakeNeeded):  # and it stays so until a new handshake
        bayeux.connect()

    ready(bayeux, [SMS])
    assert bayeux.advice.reconnect == "retry"
    faye.publish([(SMS, {"n": "after"})])
    assert [e["data"] for e in collect(bayeux, 1)] == [{"n": "after"}]


def test_a_restarted_server_forgot_the_client(own_faye: FayeServer,
                                              own_bayeux: BayeuxClient) -> None:
    ready(own_bayeux, [SMS])
    own_faye.restart()
    with pytest.raises(RehandshakeNeeded):
        own_bayeux.connect()

    client_id = ready(own_bayeux, [SMS])
    join = own_faye.publish_during_next_connect(client_id, [(SMS, {"n": "restarted"})])
    events = collect(own_bayeux, 1)
    join()
    assert [e["data"] for e in events] == [{"n": "restarted"}]


def test_disconnect_is_harmless(faye: FayeServer, bayeux: BayeuxClient) -> None:
    bayeux.disconnect()  # never connected: nothing to do
    client_id = ready(bayeux, [SMS])
    bayeux.disconnect()
    assert bayeux.client_id is None
    bayeux.disconnect()  # twice: still nothing
    with pytest.raises(RehandshakeNeeded):
        bayeux.connect()

    bayeux.client_id = client_id  # faye really let it go
    with pytest.raises(RehandshakeNeeded):
        bayeux.connect()

    ready(bayeux, [SMS])  # and a new session works
    faye.publish([(SMS, {"n": "again"})])
    assert [e["data"] for e in collect(bayeux, 1)] == [{"n": "again"}]


def test_disconnect_from_a_server_that_is_gone_does_not_raise(own_faye: FayeServer,
                                                              own_bayeux: BayeuxClient) -> None:
    ready(own_bayeux, [SMS])
    own_faye.stop()
    own_bayeux.disconnect()
    assert own_bayeux.client_id is None


# faye answers a /meta/subscribe from a client it forgot with '401:<id>:Unknown client' and
# no advice (it advises only on handshake and connect), unlike CometD's 402.
def test_subscribing_with_a_forgotten_client_id_needs_a_new_handshake(
        own_faye: FayeServer, own_bayeux: BayeuxClient) -> None:
    own_bayeux.handshake()
    own_faye.restart()  # e.g. the server restarted between the handshake and the subscribe
    try:
        refused = own_bayeux.subscribe([SMS])
    except RehandshakeNeeded:
        assert own_bayeux.client_id is None
        return
    raise AssertionError(f"subscribe() returned refused={refused} with clientId "
                         f"{own_bayeux.client_id!r} kept, instead of raising RehandshakeNeeded")
