"""`smscli tail` against the CometD project's own Bayeux server (cometd-nodejs-server).

The server, its control API and the fixtures are those of test_cometd_interop.py: skipped
without node or tests/interop/node_modules, except under CI, where that is a failure.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from test_cometd_interop import (  # noqa: F401 - make_server, node and run_live are fixtures
    make_server,
    node,
    run_live,
    unknown_client_replies,
)


def test_tail_is_exact_per_session_through_client_expiry(
        make_server: Any, run_live: Any) -> None:  # noqa: F811 - the fixtures imported above
    server = make_server()
    a, b, c = "0000COMETDTAILA1", "0000COMETDTAILB1", "0000COMETDTAILC1"
    server.add_session(a, history=2)
    server.add_session(b, history=1)
    cli = run_live(server, "tail", "-o", "ndjson")
    first = server.wait_held_by_new_client(set())

    server.say(a, "a live")
    cli.wait_records(1, "a message of a session there at the start")
    server.add_session(c, history=2)  # announced; its history is written after the event
    server.say(c, "c live")
    cli.wait_records(4, "the new session's history and its live message")

    server.call("/control/expire", {})  # CometD forgets the client
    server.say(b, "b while forgotten")  # published to nobody
    server.wait_held_by_new_client({first})
    cli.wait_records(5, "the message published while the client was forgotten")
    server.set_state(a, "Completed")
    server.say(b, "b after")
    cli.wait_records(6, "the message published after the new handshake")
    cli.stop()

    got: dict[str, list] = defaultdict(list)
    for record in cli.records():
        got[record.pop("sessionId")].append(record)
    expected = {a: server.transcript(a)[2:], b: server.transcript(b)[1:], c: server.transcript(c)}

    def texts(records: dict[str, list]) -> dict[str, list]:  # what a failure shows, whole
        return {sid: [(r.get("index"), r.get("text")) for r in rows]
                for sid, rows in sorted(records.items())}

    assert dict(got) == expected, (f"printed {texts(got)}\nexpected {texts(expected)}\n"
                                   f"{cli.stderr()}")
    assert cli.proc.returncode == 0, cli.stderr()
    stderr = cli.stderr()
    assert f"smscli: + ILC1 Cleo ({c}): Chatting\n" in stderr
    assert f"smscli: - ILA1 Cleo ({a}): Completed\n" in stderr and "Traceback" not in stderr
    handshakes = [r for r in server.requests() if "/meta/handshake" in r["channels"]]
    assert len(handshakes) == 2, handshakes  # one client, once more after the expiry
    assert unknown_client_replies(server) >= 1
