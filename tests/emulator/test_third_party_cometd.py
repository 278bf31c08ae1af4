"""The emulator's CometD endpoint against a CometD client nobody here wrote: aiocometd-ng (PyPI).

aiocometd-ng (pinned in the ``test`` extra for this file only) talks Bayeux long-polling to
/api/v2/notifications with HTTP Basic auth, subscribes, and must receive the SMS events that
the emulator publishes when a test changes its state. It gives no option for HTTP auth, so the
credentials go in through its extension hook, which may set headers on every request.

Without aiocometd-ng the tests are skipped, except under CI (CI set), where .ci/run installs
the test extra and a missing client is a failure. Every wait has a deadline; nothing is timed.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smscli.emulator import Emulator

try:
    import aiocometd_ng
except ImportError as error:  # reported by _client_library(), not at collection
    aiocometd_ng = None
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None

USER, PASSWORD = "demo", "demo"
SESSION_ID = "0000Na9B26EF002G"  # the demo session
MOUNT = "/api/v2/notifications"
SMS = "/v2/me/smssessions"
CONNECT_HOLD_MS = 1000  # how long the emulator holds an idle /meta/connect
DEADLINE_S = 8.0  # a guard against hanging the suite, never a timing expectation


def _client_library() -> Any:
    """The aiocometd_ng module; skip (or, under CI, fail) when it cannot be imported."""
    if aiocometd_ng is not None:
        return aiocometd_ng
    reason = (f"aiocometd-ng is not importable ({IMPORT_ERROR}); "
              "install the test extra: pip install -e '.[test]'")
    if os.environ.get("CI"):
        pytest.fail(f"third-party CometD interop test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    _client_library()  # skip or fail before starting anything
    with Emulator(users={USER: PASSWORD}, seed=1, cometd_timeout_ms=CONNECT_HOLD_MS) as emulator:
        yield emulator


def _basic_auth(library: Any) -> Any:
    """An aiocometd-ng extension that puts HTTP Basic credentials on every request it sends."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode("ascii")

    class BasicAuth(library.Extension):
        async def outgoing(self, payload: list[dict[str, Any]], headers: dict[str, str]) -> None:
            headers["Authorization"] = f"Basic {token}"

        async def incoming(self, payload: list[dict[str, Any]],
                           headers: dict[str, str] | None = None) -> None:
            pass

    return BasicAuth()


def _is_known_close_noise(context: dict[str, Any]) -> bool:
    """aiocometd-ng's own bug, not the server's: closing the client cancels its pending connect
    task, and its done-callback calls ``future.result()`` guarded by ``except Exception``, which
    CancelledError (a BaseException since Python 3.8) escapes; asyncio then logs it."""
    return (isinstance(context.get("exception"), asyncio.CancelledError)
            and "_connect_done" in str(context.get("message", "")))


async def _receive_until(client: Any, wanted: Callable[[dict[str, Any]], bool],
                         seen: list[dict[str, Any]]) -> dict[str, Any]:
    """The next message the client delivers that ``wanted`` accepts; others go to ``seen``."""
    while True:
        message = await client.receive()
        if wanted(message):
            return message
        seen.append(message)


def _of_type(message_type: str) -> Callable[[dict[str, Any]], bool]:
    def wanted(message: dict[str, Any]) -> bool:
        data = message.get("data")
        return isinstance(data, dict) and data.get("messageType") == message_type
    return wanted


async def _follow_demo_session(emu: Emulator, subscription: str) -> None:
    library = _client_library()
    loop = asyncio.get_running_loop()
    unexpected: list[dict[str, Any]] = []
    loop.set_exception_handler(
        lambda _loop, context: None if _is_known_close_noise(context) else unexpected.append(context))

    # connection_timeout=0: no client-side reconnection deadline; ours below bounds every wait.
    client = library.Client(emu.url + MOUNT, library.ConnectionType.LONG_POLLING,
                            connection_timeout=0, extensions=[_basic_auth(library)])
    seen: list[dict[str, Any]] = []
    step = "open (handshake and first connect)"
    timed_out = False
    try:
        async with asyncio.timeout(DEADLINE_S):
            async with client:
                assert client.connection_type is library.ConnectionType.LONG_POLLING
                step = f"subscribe to {subscription}"
                await client.subscribe(subscription)
                assert subscription in client.subscriptions

                step = "MessageLogUpdated after append_message"
                text = f"hello from the interop test via {subscription}"
                stored = emu.state.append_message(SESSION_ID, {"type": "Text", "text": text})
                event = await _receive_until(client, _of_type("MessageLogUpdated"), seen)
                assert event["channel"] == SMS
                data = event["data"]
                session_uri = emu.state.get_session(SESSION_ID)["uri"]
                assert session_uri.startswith(emu.url)
                assert session_uri.endswith("/" + SESSION_ID)
                assert data["smssessionUri"] == session_uri
                assert [(m["index"], m["text"]) for m in data["messages"]] == [
                    (stored["index"], text)]

                step = "SMSsessionStateChangeMessage after set_state Completed"
                emu.state.set_state(SESSION_ID, "Completed")
                event = await _receive_until(client, _of_type("SMSsessionStateChangeMessage"),
                                             seen)
                assert event["channel"] == SMS
                session = event["data"]["smssession"]
                assert session["id"] == SESSION_ID
                assert session["state"] == "Completed"
                assert session["uri"] == session_uri
                step = "close (disconnect)"
    except TimeoutError:
        timed_out = True
    if timed_out:  # failed outside the handler, so the report is not a chain of tracebacks
        pytest.fail(f"aiocometd-ng got no further than: {step} within {DEADLINE_S:g}s; "
                    f"other messages it delivered: {seen}", pytrace=False)
    assert seen == [], "events on the topic that the test did not cause"
    assert client.closed
    assert unexpected == [], "exceptions reported to the event loop"


@pytest.mark.parametrize("subscription", [SMS, "/v2/me/*"], ids=["exact", "wildcard"])
def test_aiocometd_ng_follows_the_demo_session(emu: Emulator, subscription: str) -> None:
    asyncio.run(_follow_demo_session(emu, subscription))
