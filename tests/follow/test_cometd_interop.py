"""The real CLI against the CometD project's own Bayeux server (npm cometd-nodejs-server).

tests/interop/cometd_gws_server.js mounts cometd-nodejs-server at /api/v2/notifications behind
a small GWS-like REST layer, with a control API through which these tests add sessions and
messages, make CometD forget its clients or restart, cut held long-polls, open a second tab of
the client's browser and read every request the server received. `smscli messages ID --follow`
and `smscli sessions watch` run as real processes; their ndjson lines are compared with the
server's transcript and changes. Without node or tests/interop/node_modules the tests are
skipped, except under CI (CI set), where .ci/run installs them and a missing one is a failure.
"""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from followkit import LineReader, wait_for
from nodekit import INTEROP, REPO, NodeServer, node_with

SERVER_JS = INTEROP / "cometd_gws_server.js"
MOUNT = "/api/v2/notifications"
USER, PASSWORD = "agent", "secret"
DEADLINE_S = 10.0  # how long a test waits for a fact it expects before giving up
WINDOW_S = 10.0  # the contract's window for counting requests


def _node() -> str:
    return node_with("cometd-nodejs-server", "CometD interop")


class CometdGws(NodeServer):
    """One `node cometd_gws_server.js` process; the first line of its stdout is the port."""

    def __init__(self, node: str, stderr_path: Path, timeout_s: float) -> None:
        super().__init__(node, SERVER_JS, stderr_path)
        self.timeout_s = timeout_s

    def start(self) -> None:
        self.launch(f"--timeout={self.timeout_s:g}", f"--user={USER}", f"--password={PASSWORD}")

    # -- the control API ----------------------------------------------------------------------

    def add_session(self, session_id: str, history: int = 0, publish: bool = True) -> None:
        self.call("/control/session", {"id": session_id, "publish": publish})
        for n in range(history):
            self.say(session_id, f"history {n + 1}", publish=False)

    def say(self, session_id: str, text: str, publish: bool = True) -> dict:
        return self.call("/control/message",
                         {"session": session_id, "text": text, "publish": publish})

    def set_state(self, session_id: str, state: str, publish: bool = True) -> None:
        self.call("/control/state", {"session": session_id, "state": state, "publish": publish})

    def transcript(self, session_id: str) -> list[dict]:
        return self.call(f"/control/transcript?session={session_id}")["messages"]

    def state(self) -> dict:
        return self.call("/control/state")

    def requests(self, since_ms: int = 0) -> list[dict]:
        return self.call(f"/control/requests?since={since_ms}")["requests"]

    def held_clients(self) -> list[str]:
        """The clientIds of the /meta/connect requests held right now."""
        return [h["clientId"] for h in self.state()["held"]]

    def wait_held_by_new_client(self, old: set[str]) -> str:
        """Wait until a client that is not in `old` holds a connect; returns its clientId."""
        found: list[str] = []

        def held_by_new() -> bool:
            found[:] = [c for c in self.held_clients() if c and c not in old]
            return bool(found)

        wait_for(held_by_new, DEADLINE_S, "a /meta/connect held by a new client")
        return found[0]

    def wait_idle_held(self, min_age_ms: int = 300) -> str:
        """Wait until one connect has been held for a while (an idle long-poll); its client."""
        found: list[str] = []

        def idle() -> bool:
            found[:] = [h["clientId"] for h in self.state()["held"] if h["ageMs"] >= min_age_ms]
            return bool(found)

        wait_for(idle, DEADLINE_S, f"a /meta/connect held for {min_age_ms} ms")
        return found[0]


class Cli:
    """`python -m smscli --server URL --user agent ARGS` as a process with its stdout lines."""

    def __init__(self, server: CometdGws, env: dict[str, str], args: list[str],
                 stderr_path: Path) -> None:
        self.stderr_path = stderr_path
        with open(stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "smscli", "--server", server.url, "--user", USER, *args],
                cwd=REPO, env={**env, "SMSCLI_PASSWORD": PASSWORD}, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=stderr, text=True, encoding="utf-8")
        self.reader = LineReader(self.proc.stdout)

    def records(self) -> list[dict]:
        return [json.loads(line) for line in list(self.reader.lines) if line.strip()]

    def wait_records(self, count: int, what: str = "") -> list[dict]:
        def enough() -> bool:
            return len(self.reader.lines) >= count or self.proc.poll() is not None

        wait_for(enough, DEADLINE_S, what or f"{count} lines on stdout")
        records = self.records()
        assert len(records) >= count, (
            f"the CLI exited with {self.proc.returncode} after {len(records)} of {count} lines; "
            f"stderr: {self.stderr()}")
        return records

    def wait_exit(self) -> int:
        try:
            code = self.proc.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the CLI did not exit; stderr: {self.stderr()}") from None
        self.reader.thread.join(5)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.reader.thread.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-3000:] or "(empty)"
        except OSError:
            return "(unreadable)"


@pytest.fixture
def node() -> str:
    return _node()


@pytest.fixture
def make_server(node: str, tmp_path: Path) -> Iterator:
    started: list[CometdGws] = []

    def make(timeout_s: float = 2.0) -> CometdGws:
        server = CometdGws(node, tmp_path / f"server{len(started)}.stderr.txt", timeout_s)
        started.append(server)
        server.start()
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def run_live(clean_env: dict[str, str], tmp_path: Path) -> Iterator:
    started: list[Cli] = []

    def run(server: CometdGws, *args: str) -> Cli:
        cli = Cli(server, clean_env, list(args), tmp_path / f"cli{len(started)}.stderr.txt")
        started.append(cli)
        return cli

    yield run
    for cli in started:
        cli.stop()


def follow(run_live: Any, server: CometdGws, session_id: str) -> Cli:
    return run_live(server, "messages", session_id, "--follow", "-o", "ndjson")


def assert_exact(cli: Cli, server: CometdGws, session_id: str) -> None:
    """The session was set Completed: the follow exits 0 having printed the transcript once."""
    code = cli.wait_exit()
    assert code == 0, f"exit {code}; stderr: {cli.stderr()}"
    assert cli.records() == server.transcript(session_id), cli.stderr()


def unknown_client_replies(server: CometdGws) -> int:
    """How many Bayeux replies said 402::session_unknown (the client had been forgotten)."""
    return sum(1 for r in server.requests() for m in (r["replies"] or [])
               if isinstance(m, dict) and str(m.get("error", "")).startswith("402::"))


def describe(requests: list[dict]) -> str:
    """What the server received, for an assertion message: counts by path and channel."""
    kinds = Counter(r["path"] + (f" {','.join(map(str, r['channels']))}" if r["channels"] else "")
                    for r in requests)
    return ", ".join(f"{n} x {kind}" for kind, n in kinds.most_common())


def busiest_second(requests: list[dict]) -> int:
    """The most requests that arrived within any one second."""
    times = sorted(r["t"] for r in requests)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1000:
            start += 1
        most = max(most, end - start + 1)
    return most


# -- follow and watch stay exact through a server that forgets its clients ------------------------

@pytest.mark.parametrize("disruption", ["expire", "restart"])
def test_follow_is_exact_through_client_expiry_and_restart(make_server: Any, run_live: Any,
                                                           disruption: str) -> None:
    server = make_server()
    sid = "0000COMETDFOLLOW"
    server.add_session(sid, history=3)
    cli = follow(run_live, server, sid)
    cli.wait_records(3, "the history")
    first = server.wait_held_by_new_client(set())

    server.say(sid, "before")
    cli.wait_records(4, "the message published before the disruption")

    server.call(f"/control/{disruption}", {})
    server.say(sid, "while, published")  # nobody is subscribed any more
    server.say(sid, "while, never published", publish=False)
    server.wait_held_by_new_client({first})  # handshaken and subscribed again
    cli.wait_records(6, "the messages added while the client was forgotten")

    server.say(sid, "after")
    cli.wait_records(7, "the message published after the new handshake")
    server.set_state(sid, "Completed")
    assert_exact(cli, server, sid)
    if disruption == "restart":
        assert server.state()["generation"] == 2
    else:  # the connect after the expiry was refused: the client really had been forgotten
        assert unknown_client_replies(server) >= 1


@pytest.mark.slow
def test_watch_reports_each_change_once_through_client_expiry(make_server: Any,
                                                              run_live: Any) -> None:
    server = make_server()
    old, new = "0000COMETDWATCH1", "0000COMETDWATCH2"
    server.add_session(old, history=2)
    cli = run_live(server, "sessions", "watch", "-o", "ndjson")
    cli.wait_records(1, "the initial session")
    seen = {server.wait_held_by_new_client(set())}

    server.add_session(new)  # published as a StatusChange
    cli.wait_records(2, "the new session")

    server.call("/control/expire", {})
    server.set_state(new, "Completed")  # while the client is forgotten: nobody hears of it
    cli.wait_records(3, "the state change made while the client was forgotten")
    seen.add(server.wait_held_by_new_client(seen))

    server.set_state(old, "Completed")
    cli.wait_records(4, "the state change made after the new handshake")

    # One more expiry: the resync it causes must not report anything again.
    server.call("/control/expire", {})
    seen.add(server.wait_held_by_new_client(seen))
    cli.stop()  # and every line it printed has been read
    assert unknown_client_replies(server) >= 2
    records = cli.records()
    changes = [(r.get("change"), r.get("session"), r.get("state")) for r in records]
    assert changes == [
        ("added", old, "Chatting"),
        ("added", new, "Chatting"),
        ("state", new, "Completed"),
        ("state", old, "Completed"),
    ], cli.stderr()
    assert [r.get("initial") for r in records[:2]] == [True, False]


# -- the request rate when the long-poll is cut or another tab holds it ---------------------------

@pytest.mark.slow
def test_after_the_idle_long_poll_is_cut_at_most_10_requests_in_10_s(make_server: Any,
                                                                     run_live: Any) -> None:
    """A NAT drops the idle held /meta/connect; CometD does not notice and keeps the browser's
    held-connect slot (and the old session) until its 20 s timeout. Whatever the client then
    does (reconnect, or handshake again and be told multiple-clients), the server must not
    receive more than 10 requests in the next 10 s."""
    server = make_server(timeout_s=20)
    sid = "0000COMETDCUT001"
    server.add_session(sid, history=2)
    cli = follow(run_live, server, sid)
    cli.wait_records(2, "the history")
    server.wait_idle_held(min_age_ms=500)

    cut = server.call("/control/cut", {})
    assert cut["cut"] == 1, cut
    time.sleep(WINDOW_S)  # the window being measured
    after = [r for r in server.requests(cut["now"]) if r["t"] <= cut["now"] + WINDOW_S * 1000]
    still_running = cli.proc.poll() is None

    assert still_running, f"the follow ended after the cut; stderr: {cli.stderr()}"
    # It still follows: a new message arrives and the end of the session ends it.
    server.say(sid, "after the cut")
    cli.wait_records(3, "the message published after the cut")
    server.set_state(sid, "Completed")
    assert_exact(cli, server, sid)
    count = len(after)
    assert count <= 10, (
        f"{count} requests in the {WINDOW_S:g} s after the cut: {describe(after)}")


@pytest.mark.slow
def test_multiple_clients_advice_keeps_the_rate_under_the_floor(make_server: Any,
                                                                run_live: Any) -> None:
    """Another tab of the client's browser (a second session with the same BAYEUX_BROWSER)
    holds the browser's one long-poll: CometD answers each of the client's connects at once
    with {"multiple-clients": true, "interval": 2000}. Over 10 s the client may send at most
    2 requests a second on average and no more than ~5 in any one second."""
    server = make_server(timeout_s=20)
    sid = "0000COMETDMULTI1"
    server.add_session(sid, history=2)
    cli = follow(run_live, server, sid)
    cli.wait_records(2, "the history")
    mine = server.wait_idle_held(min_age_ms=200)

    tab = server.call("/control/second-tab", {})
    assert tab["clientId"] != mine
    server.say(sid, "ends the held connect")  # the tab takes the slot as the connect ends
    cli.wait_records(3, "the message that ended the held connect")
    wait_for(lambda: bool((server.state()["secondTab"] or {}).get("holding")), DEADLINE_S,
             "the second tab holding the long-poll")

    start = server.call("/control/requests?since=0")["now"]
    time.sleep(WINDOW_S)  # the window being measured
    window = [r for r in server.requests(start) if r["t"] <= start + WINDOW_S * 1000]
    advised = [r for r in window if r["channels"] == ["/meta/connect"] and any(
        isinstance(m, dict) and (m.get("advice") or {}).get("multiple-clients")
        for m in (r["replies"] or []))]
    assert advised, f"no multiple-clients advice in the window: {describe(window)}"
    assert cli.proc.poll() is None, f"the follow ended; stderr: {cli.stderr()}"

    server.say(sid, "while the other tab holds the long-poll")
    cli.wait_records(4, "a message published while the other tab holds the long-poll")
    server.set_state(sid, "Completed")
    assert_exact(cli, server, sid)
    count, peak = len(window), busiest_second(window)
    assert count <= 2 * WINDOW_S, (
        f"{count} requests in {WINDOW_S:g} s under multiple-clients advice "
        f"(at most {peak} within one second): {describe(window)}")
    assert peak <= 6, f"{peak} requests within one second: {describe(window)}"


def test_a_second_connect_of_the_same_client_costs_no_message(make_server: Any,
                                                              run_live: Any) -> None:
    """CometD answers a client's held connect with HTTP 500 and an empty body when another
    connect of the same client (same BAYEUX_BROWSER, same clientId) arrives, e.g. from a
    copy of the client. The follow gets over it and stays exact."""
    server = make_server(timeout_s=20)
    sid = "0000COMETDDUPE01"
    server.add_session(sid, history=2)
    cli = follow(run_live, server, sid)
    cli.wait_records(2, "the history")
    server.wait_idle_held(min_age_ms=200)
    held = server.state()["held"][0]

    # The intruding connect asks not to be held (timeout 0) and is answered at once.
    intruder = urllib.request.Request(
        server.url + MOUNT, method="POST",
        data=json.dumps([{"channel": "/meta/connect", "clientId": held["clientId"],
                          "connectionType": "long-polling", "advice": {"timeout": 0}}]).encode(),
        headers={"Content-Type": "application/json", "Cookie": f"BAYEUX_BROWSER={held['browser']}",
                 "Authorization": "Basic " + base64.b64encode(
                     f"{USER}:{PASSWORD}".encode()).decode()})
    with urllib.request.urlopen(intruder, timeout=DEADLINE_S) as response:
        assert json.loads(response.read())[0]["successful"] is True

    def cancelled() -> bool:
        return any(r["status"] == 500 and r["channels"] == ["/meta/connect"]
                   and r["clientId"] == held["clientId"] for r in server.requests())

    wait_for(cancelled, DEADLINE_S, "the client's held connect answered with HTTP 500")
    server.say(sid, "after the duplicate connect, published", publish=False)
    server.say(sid, "after the duplicate connect")
    cli.wait_records(4, "the messages added after the duplicate connect")
    server.set_state(sid, "Completed")
    assert_exact(cli, server, sid)


# -- events that ride on the subscribe reply ------------------------------------------------------

@pytest.mark.parametrize("subscribe", ["first", "after expiry"])
def test_an_event_piggybacked_on_the_subscribe_reply_is_printed(make_server: Any, run_live: Any,
                                                                subscribe: str) -> None:
    """The server delivers a MessageLogUpdated inside the /meta/subscribe reply (CometD sends a
    session's queued messages with any reply but the handshake's). Its message reaches the
    REST transcript only later, so only the event can bring it in the meantime."""
    server = make_server(timeout_s=20)
    sid = "0000COMETDPIGGY1"
    server.add_session(sid, history=2)
    if subscribe == "first":
        server.call("/control/piggyback", {"session": sid, "text": "on the subscribe reply"})
        cli = follow(run_live, server, sid)
        cli.wait_records(2, "the history")
    else:
        cli = follow(run_live, server, sid)
        cli.wait_records(2, "the history")
        first = server.wait_held_by_new_client(set())
        server.call("/control/piggyback", {"session": sid, "text": "on the subscribe reply"})
        server.call("/control/expire", {})
        server.wait_held_by_new_client({first})
    assert server.state()["pending"] == 1, "the server did not deliver the piggybacked event"
    replies = [m for r in server.requests() if r["channels"][:1] == ["/meta/subscribe"]
               for m in (r["replies"] or []) if isinstance(m, dict)]
    assert any(m.get("channel") == "/v2/me/smssessions" for m in replies), replies

    records = cli.wait_records(3, "the message of the piggybacked event")
    assert records[2]["text"] == "on the subscribe reply"
    server.call("/control/commit-pending", {})  # now the transcript has it too
    server.set_state(sid, "Completed")
    assert_exact(cli, server, sid)
