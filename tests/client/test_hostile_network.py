"""smscli's network layer against servers nobody here wrote (issue 10).

Every test runs the real CLI as a process against a hand-written misbehaving server on
127.0.0.1 (tests/netkit.py) and checks the exit code, a bounded time, the one error line on
stderr, how many requests the server received and, where a body could blow up, the child's
own peak RSS (read with wait4).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import signal
import subprocess
import time
from typing import Any

import pytest
from followkit import wait_for
from netkit import (
    NOTIFICATIONS,
    SESSION,
    SESSIONS,
    SMS_TOPIC,
    WILDCARD,
    Child,
    CountingServer,
    FaultProxy,
    GwsServer,
    big_header,
    endless_chunked,
    envelope,
    free_port,
    gzip_bomb,
    huge_content_length,
    many_headers,
    redirect,
    reset_handler,
    run_smscli,
    send_response,
    silent,
    trickle,
)

MESSAGES = f"{SESSIONS}/{SESSION}/messages"
SMALL = {"SMSCLI_DEADLINE": "2", "SMSCLI_MAX_RESPONSE_MB": "8", "SMSCLI_PASSWORD": "pw"}
RSS_LIMIT_KIB = 200 * 1024
RETRY_LINE = re.compile(r"; retrying in \d+\.\ds \(attempt [2-9] of \d+\)$")
REPRS = ("Error(", "')", "\"'", "<urllib3", "HTTPConnectionPool", "Traceback",
         "internal error", "MemoryError")


@pytest.fixture
def env(clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **SMALL}


@pytest.fixture
def gws() -> Any:
    with GwsServer(history=3) as server:
        yield server


def cli(server: Any, *args: str) -> list[str]:
    url = server if isinstance(server, str) else server.url
    return ["--server", url, "--user", "u", *args]


def describe(child: Child) -> str:
    return (f"exit {child.code}{' (killed)' if child.killed else ''} after "
            f"{child.elapsed:.1f} s, peak RSS {child.maxrss_kib // 1024} MiB, "
            f"{len(child.out)} stdout lines, stderr: {child.stderr[-1500:]}")


def one_error_line(child: Child) -> str:
    """The one 'smscli: error:' line; every other line is a smscli note, no traceback."""
    # In json/ndjson output modes the error is repeated as one JSON object: that is allowed.
    lines = [line for line in child.err if line.strip() and not _json_error(line)]
    errors = [line for line in lines if line.startswith("smscli: error:")]
    assert len(errors) == 1, describe(child)
    for line in lines:
        assert line.startswith("smscli: "), f"stray stderr line {line!r}; {describe(child)}"
        for bad in REPRS:
            assert bad not in line, f"{bad!r} in {line!r}; {describe(child)}"
    for line in child.err:
        if _json_error(line):
            for bad in REPRS:
                assert bad not in json.loads(line).get("message", ""), describe(child)
    return errors[0]


def _json_error(line: str) -> bool:
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict) and "error" in value and "exitCode" in value


def ndjson(child: Child) -> list[dict]:
    return [json.loads(line) for line in child.out if line.strip()]


# -- one-shot: bodies over the cap -----------------------------------------------------------

def test_gzip_bomb_is_cut_at_the_cap(gws: GwsServer, env: dict[str, str]) -> None:
    gws.on(MESSAGES, gzip_bomb(4096))  # ~4 MB on the wire, 4 GiB inflated
    child = run_smscli(cli(gws, "messages", SESSION, "-o", "ndjson"), env, timeout=25)
    line = one_error_line(child)
    assert child.code == 5, (child.code, child.elapsed, child.maxrss_kib, line)
    assert "response larger than 8 MB" in line
    assert child.maxrss_kib < RSS_LIMIT_KIB, child.maxrss_kib
    assert gws.hits.count(MESSAGES) <= 4


def test_endless_chunked_body_is_cut_at_the_cap(gws: GwsServer, env: dict[str, str]) -> None:
    gws.on(SESSIONS, endless_chunked())
    child = run_smscli(cli(gws, "sessions", "list", "-o", "json"), env, timeout=25)
    line = one_error_line(child)
    assert child.code == 5, (child.code, child.elapsed, child.maxrss_kib, line)
    assert "response larger than 8 MB" in line
    assert child.maxrss_kib < RSS_LIMIT_KIB, child.maxrss_kib
    assert gws.hits.count(SESSIONS) <= 4


def test_huge_content_length_is_refused_before_reading(gws: GwsServer, env: dict[str, str],
                                                       tmp_path: Any) -> None:
    gws.on(MESSAGES, huge_content_length(1_500_000_000, rate_kb_s=2048))
    out = tmp_path / "t.json"
    child = run_smscli(cli(gws, "export", SESSION, str(out)), env, timeout=15)
    line = one_error_line(child)
    assert child.code == 5, (child.code, child.elapsed, child.maxrss_kib, line)
    assert "response larger than 8 MB" in line
    assert child.elapsed < 10, child.elapsed  # refused on the header, not after 8 MB at 2 MB/s
    assert child.maxrss_kib < RSS_LIMIT_KIB, child.maxrss_kib


def test_default_cap_is_32_mb(gws: GwsServer, clean_env: dict[str, str]) -> None:
    gws.on(SESSIONS, endless_chunked())
    env = {**clean_env, "SMSCLI_PASSWORD": "pw", "SMSCLI_DEADLINE": "10"}
    child = run_smscli(cli(gws, "sessions", "stats", "-o", "json"), env, timeout=25)
    line = one_error_line(child)
    assert child.code == 5, (child.code, child.elapsed, child.maxrss_kib, line)
    assert "response larger than 32 MB" in line
    assert child.maxrss_kib < RSS_LIMIT_KIB, child.maxrss_kib


# -- one-shot: slow, stuck and odd servers ---------------------------------------------------

def test_trickling_server_times_out_at_the_deadline(gws: GwsServer, env: dict[str, str]) -> None:
    gws.on(SESSIONS, trickle(every=1.0))
    child = run_smscli(cli(gws, "sessions", "list", "-o", "json"),
                       {**env, "SMSCLI_DEADLINE": "1"}, timeout=20)
    # A server too slow for the deadline won't be faster a second time: no retry.
    assert not child.killed, f"still running after {child.elapsed:.0f} s"
    line = one_error_line(child)
    assert child.code == 6, (child.code, line)
    assert "timed out after 1 s" in line
    assert child.elapsed < 1 + 8, child.elapsed
    assert gws.hits.count(SESSIONS) == 1


def test_limits_come_from_the_profile_too(gws: GwsServer, env: dict[str, str]) -> None:
    from pathlib import Path

    gws.on(SESSIONS, trickle(every=1.0))
    config = Path(env["SMSCLI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        f'profile = "slow"\n[profiles.slow]\nserver = "{gws.url}"\nuser = "u"\n'
        'deadline = 2\nmax_response_mb = 1\n')
    quiet = {k: v for k, v in env.items()
             if k not in ("SMSCLI_DEADLINE", "SMSCLI_MAX_RESPONSE_MB")}
    child = run_smscli(["sessions", "list"], quiet, timeout=20)
    assert child.code == 6 and "timed out after 2 s" in one_error_line(child), describe(child)
    shown = run_smscli(["config", "show", "--json"], quiet, timeout=20)
    settings = json.loads("".join(shown.out))
    assert settings["deadline"] == {"value": 2.0, "source": "profile slow"}
    assert settings["max_response_mb"] == {"value": 1.0, "source": "profile slow"}


def test_same_page_for_any_start_index_is_no_progress(gws: GwsServer,
                                                      env: dict[str, str]) -> None:
    for n in range(7):
        gws.say(f"more {n}", notify=False)  # 10 messages
    gws.same_page = True
    child = run_smscli(cli(gws, "messages", SESSION, "-o", "ndjson"),
                       {**env, "SMSCLI_PAGE_SIZE": "4"}, timeout=15)
    assert not child.killed, f"{len(child.out)} lines printed before the kill"
    line = one_error_line(child)
    assert child.code == 5, (child.code, line)
    assert "no progress" in line
    assert len(child.out) <= 10, len(child.out)
    assert gws.hits.count(MESSAGES) <= 5


@pytest.mark.parametrize(("status", "host"), [(302, "127.0.0.1"), (307, "localhost")])
def test_redirect_is_not_followed(gws: GwsServer, env: dict[str, str], status: int,
                                  host: str) -> None:
    with CountingServer() as other:
        location = f"http://{host}:{other.port}{SESSIONS}"
        gws.on(SESSIONS, redirect(status, location))
        child = run_smscli(cli(gws, "sessions", "list", "-o", "json"), env, timeout=15)
        time.sleep(0.2)
        assert len(other.hits) == 0, ([(h.method, h.path, h.headers) for h in other.hits.all()],
                                      describe(child))
        assert other.connections == 0
        line = one_error_line(child)
        assert child.code == 5, (child.code, line)
        assert location in line


@pytest.mark.parametrize("code", [{"x": 1}, [1], 3.5, "abc"], ids=repr)
def test_odd_status_code_is_a_bad_answer(gws: GwsServer, env: dict[str, str],
                                         code: Any) -> None:
    gws.on(SESSIONS, envelope({"statusCode": code, "smssessions": []}))
    child = run_smscli(cli(gws, "sessions", "list", "-o", "json"), env, timeout=15)
    line = one_error_line(child)
    assert child.code == 5, (child.code, line)


def test_status_code_string_6_is_not_found(gws: GwsServer, env: dict[str, str]) -> None:
    gws.on(f"{SESSIONS}/{SESSION}", envelope({"statusCode": "6", "statusMessage": "gone"}))
    gws.on(SESSIONS, envelope({"statusCode": "6", "statusMessage": "gone"}))
    gws.on(MESSAGES, envelope({"statusCode": "6", "statusMessage": "gone"}))
    child = run_smscli(cli(gws, "messages", SESSION, "-o", "ndjson"), env, timeout=15)
    line = one_error_line(child)
    assert child.code == 3, (child.code, line)


@pytest.mark.parametrize("url", ["http://[::1:x", "http://127.0.0.1:abc"])
def test_bad_server_url_is_a_usage_error(env: dict[str, str], url: str) -> None:
    child = run_smscli(cli(url, "sessions", "list"), env, timeout=15)
    one_error_line(child)
    assert child.code == 2, (child.code, child.stderr)


@pytest.mark.parametrize("handler", [big_header(200_000), many_headers(200)],
                         ids=["200KB-line", "200-headers"])
def test_oversized_response_header(gws: GwsServer, env: dict[str, str], handler: Any) -> None:
    gws.on(SESSIONS, handler)
    child = run_smscli(cli(gws, "sessions", "list", "-o", "json"), env, timeout=20)
    line = one_error_line(child)
    assert child.code == 5, (child.code, line)
    assert "response header too large" in line


# -- one-shot: error and retry wording ---------------------------------------------------------

def test_connection_refused_on_loopback_fails_at_once(env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    child = run_smscli(cli(url, "sessions", "list"), env, timeout=20)
    line = one_error_line(child)
    assert child.code == 6, (child.code, line)
    assert "connection refused" in line
    assert "retrying" not in child.stderr, child.stderr
    assert len(child.err) == 1, child.stderr
    assert child.elapsed < 5, child.elapsed


@pytest.mark.parametrize("command", [["messages", SESSION, "-f"], ["sessions", "watch"]])
def test_live_commands_on_a_closed_port_fail_at_once(env: dict[str, str],
                                                      command: list[str]) -> None:
    """A server that is down before anything was read is not a CometD problem to sit out."""
    url = f"http://127.0.0.1:{free_port()}"
    child = run_smscli(cli(url, *command), env, timeout=20)
    line = one_error_line(child)
    assert child.code == 6, (child.code, line)
    assert "connection refused" in line
    told = [x for x in child.err if x.strip() and not _json_error(x)]
    assert len(told) == 1, child.stderr  # no retries, no blame on live notifications
    assert child.elapsed < 5, child.elapsed


@pytest.mark.slow
def test_connection_reset_wording(gws: GwsServer, env: dict[str, str]) -> None:
    gws.on(SESSIONS, reset_handler)
    child = run_smscli(cli(gws, "sessions", "list"), env, timeout=20)
    line = one_error_line(child)
    assert child.code == 6, (child.code, line)
    assert "connection reset by the server" in line
    notes = [x for x in child.err if "retrying" in x]
    assert len(notes) == 3, child.stderr
    for note in notes:
        assert RETRY_LINE.search(note), note
        assert "connection reset by the server" in note, note
    assert gws.hits.count(SESSIONS) == 4


def test_timeout_wording(gws: GwsServer, env: dict[str, str]) -> None:
    gws.on(SESSIONS, silent)
    child = run_smscli(cli(gws, "sessions", "list"),
                       {**env, "SMSCLI_TIMEOUT": "1", "SMSCLI_DEADLINE": "30"}, timeout=25)
    line = one_error_line(child)
    assert child.code == 6, (child.code, line)
    assert re.search(r"timed out after 1(\.0)? s", line), line
    assert not [x for x in child.err if "retrying" in x], child.stderr  # not retried
    assert gws.hits.count(SESSIONS) == 1


@pytest.mark.slow
def test_head_never_sees_a_retry_line(clean_env: dict[str, str]) -> None:
    script = "python -m smscli --demo messages 0000Na9B26EF002G | head -3 >/dev/null"
    env = {**clean_env, "SMSCLI_PAGE_SIZE": "2"}
    procs = []
    batch = [subprocess.Popen(["bash", "-c", script], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(12)]  # at once: head closes the pipe at varied moments
    for proc in batch:
        _, err = proc.communicate(timeout=30)
        procs.append(err)
    assert len(procs) == 12
    noisy = [err for err in procs if "retrying" in err or "error" in err]
    assert not noisy, noisy[0]


# -- live: request rates -----------------------------------------------------------------------
#
# Each rate is counted over the same 10-s window, so the clients under test are watched side by
# side, each against a server of its own, in one module-scoped window (about 12 s instead of
# not 12 s each). The tests then read what their client did; xdist keeps them on one worker.

WINDOW = 10.0  # seconds each client is counted for, after its start
SETTLE = 1.5  # seconds from the first transcript read to the window (see observe)


class Watched:
    """One client under watch and its own server."""

    def __init__(self, server: GwsServer, args: list[str], env: dict[str, str]) -> None:
        self.server = server
        self.args = args
        self.env = env
        self.child: Child | None = None
        self.started = 0.0


def observe(watched: list[Watched]) -> None:
    """Start every client and count each one's requests for 10 s, side by side; then Ctrl-C
    each. The start (handshake, subscription, session, history) is a burst by nature and is
    left out: the 10 s begin SETTLE after the client's first read of the transcript, where
    they began 2 s after the spawn when each client was watched alone on an idle machine
    (its start took about 0.5 s). Timed from that fact, not from the spawn, because six
    clients starting at once on a busy machine take a while to start."""
    for item in watched:
        item.child = Child(item.args, item.env)
    for item in watched:
        wait_for(lambda server=item.server: first_transcript_read(server) is not None, 30,
                 f"the first transcript read of {' '.join(item.args)}")
        item.started = (first_transcript_read(item.server) or 0.0) + SETTLE
    time.sleep(max(0.0, max(item.started for item in watched) + WINDOW + 0.2
                   - time.monotonic()))
    for item in watched:
        assert item.child is not None
        item.child.signal(signal.SIGINT)
    for item in watched:
        assert item.child is not None
        item.child.wait(10)


def first_transcript_read(server: GwsServer) -> float | None:
    return next((hit.time for hit in server.hits.all() if hit.path.endswith("/messages")), None)


def _cut_idle_long_poll(server: GwsServer, env: dict[str, str]) -> dict[str, Any]:
    """A follow whose idle /meta/connect is cut and whose server forgets it; runs beside the
    window in a thread of its own."""
    child = Child(cli(server, "messages", SESSION, "-f", "-o", "ndjson"), env)
    result: dict[str, Any] = {"child": child}
    try:
        result["history"] = child.wait_for_line(lambda line: "history 2" in line, 15)
        if not result["history"]:
            return result
        time.sleep(1.5)  # the follow now holds an idle /meta/connect
        result["cut"] = server.cut_all()
        server.forget_clients()  # as a restarted server would
        cut = time.monotonic()
        time.sleep(10)
        result["after"] = server.hits.count(start=cut, end=cut + 10)
        server.say("after the cut")
        server.complete()
        result["code"] = child.wait(20)
    finally:
        child.close()
    return result


def follow_rate(watched: Watched, mode: str) -> None:
    gws, child = watched.server, watched.child
    assert child is not None
    assert "Traceback" not in child.stderr
    assert_rate(gws, watched.started)
    if mode == "multiple":
        times = gws.hits.channel_times("/meta/connect")
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps and min(gaps) >= 1.9, f"connects {len(times)}, gaps {gaps[:10]}"
    if mode == "none":  # reconnect: none falls back to polling, and says so once
        assert len(gws.hits.channel_times("/meta/handshake")) == 1
        polling = [line for line in child.err if "poll" in line.lower()]
        assert len(polling) == 1, child.stderr[-2000:]


def watch_rate(watched: Watched) -> None:
    assert watched.child is not None
    assert "Traceback" not in watched.child.stderr
    assert_rate(watched.server, watched.started)


def cut_idle_long_poll_rate(cut: dict[str, Any], gws: GwsServer) -> None:
    child = cut["child"]
    assert cut.get("history"), child.stderr
    assert cut["cut"] >= 1
    assert cut["after"] <= 10, f"{cut['after']} requests in the 10 s after the cut"
    assert cut["code"] == 0, child.stderr[-2000:]
    assert ndjson(child) == gws.messages()


def assert_rate(server: GwsServer, started: float) -> None:
    total = server.hits.count(start=started, end=started + WINDOW)
    peak = server.hits.max_in_window(1.0, start=started, end=started + WINDOW)
    paths: dict[str, int] = {}
    for hit in server.hits.all():
        paths[hit.path] = paths.get(hit.path, 0) + 1
    assert total <= 21, f"{total} requests in 10 s; by path {paths}"
    assert peak <= 6, f"{peak} requests in one second; by path {paths}"


@pytest.mark.slow
def test_request_rates_against_servers_that_answer_at_once(clean_env: dict[str, str]) -> None:
    """Side by side, each against a server of its own, over the same 10 s:
    - a follow whose long-polls are answered at once with nothing ("empty"), with
      ``402::Unknown client`` ("unknown"), with ``multiple-clients`` advice ("multiple"; its
      connects at least 1.9 s apart) or with ``reconnect: none`` ("none": one handshake, then
      polling, said once);
    - `sessions watch` against long-polls answered at once with nothing;
    each costs at most 21 requests in 10 s and 6 in any one second; and
    - a follow whose idle long-poll is cut, and whose server forgets it, costs at most 10
      requests in the 10 s after the cut and still follows to the end.
    Every case is checked, and the failures are reported together."""
    import threading

    env = {**clean_env, **SMALL}
    modes = ("empty", "unknown", "multiple", "none")
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(GwsServer(history=3))
                   for name in (*modes, "watch", "cut")}
        for mode in modes:
            servers[mode].connect_mode = mode
        servers["watch"].connect_mode = "empty"
        watched = {mode: Watched(servers[mode], cli(servers[mode], "messages", SESSION, "-f",
                                                    "-o", "ndjson"), env)
                   for mode in modes}
        watched["watch"] = Watched(servers["watch"],
                                   cli(servers["watch"], "sessions", "watch", "-o", "ndjson"),
                                   env)
        cut: dict[str, Any] = {}
        thread = threading.Thread(
            target=lambda: cut.update(_cut_idle_long_poll(servers["cut"], env)), daemon=True)
        thread.start()
        observe(list(watched.values()))
        thread.join(60)
        checks: dict[str, Any] = {
            **{f"follow, {mode}": (lambda mode=mode: follow_rate(watched[mode], mode))
               for mode in modes},
            "sessions watch, empty": lambda: watch_rate(watched["watch"]),
            "follow, idle long-poll cut": lambda: cut_idle_long_poll_rate(cut, servers["cut"]),
        }
        failures = []
        for name, check in checks.items():
            try:
                check()
            except (AssertionError, KeyError) as exc:
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


# -- live: recovery and fallbacks ------------------------------------------------------------

def finish(server: GwsServer, child: Child, timeout: float = 20) -> int:
    server.say("last words")
    server.complete()
    return child.wait(timeout)


def follow_to_the_end(gws: GwsServer, env: dict[str, str], settle: float = 0.0) -> Child:
    """`messages -f -o ndjson` until the session completes: exit 0, the transcript exactly."""
    child = Child(cli(gws, "messages", SESSION, "-f", "-o", "ndjson"), env)
    try:
        assert child.wait_for_line(lambda line: "history 2" in line, 10), child.stderr
        time.sleep(settle)
        code = finish(gws, child)
    finally:
        child.close()
    assert code == 0, (code, child.stderr[-2000:])
    assert ndjson(child) == gws.messages()
    return child


def test_max_retries_counts_every_failed_request(gws: GwsServer, env: dict[str, str]) -> None:
    gws.on(f"{SESSIONS}/{SESSION}", envelope({"statusCode": 4, "statusMessage": "down"}, 503))
    gws.on(SESSIONS, envelope({"statusCode": 4, "statusMessage": "down"}, 503))
    child = run_smscli(cli(gws, "messages", SESSION, "-f", "--max-retries", "2"), env,
                       timeout=25)
    assert not child.killed, child.stderr[-2000:]
    line = one_error_line(child)
    assert child.code == 6, (child.code, line)
    assert gws.hits.count(f"{SESSIONS}/{SESSION}") <= 3 * 4


@pytest.mark.slow
def test_follow_survives_a_network_killing_most_connections(env: dict[str, str]) -> None:
    from followkit import add_session, say, transcript

    from smscli.emulator import Emulator, EmulatorState

    # Seed 4: the very first connection dies, then about 2 in 3 die at once (runs of up to 4
    # in a row) and every survivor is cut after at most 5 requests. (A seed whose first nine
    # connections all die only measures the 30 s backoff cap, not the recovery.)
    with Emulator(users={"demo": "demo"}, state=EmulatorState(), cometd_timeout_ms=500) as emu:
        add_session(emu, history=12)
        with FaultProxy(("127.0.0.1", emu.port), rate=0.65, seed=4, lifetime=4) as proxy:
            child = Child(["--server", proxy.url, "--user", "demo", "messages",
                           "0000FOLLOWTEST01", "-f", "-o", "ndjson"],
                          {**env, "SMSCLI_PASSWORD": "demo", "SMSCLI_TIMEOUT": "3",
                           "SMSCLI_DEADLINE": "5"})
            try:
                for n in range(10):
                    time.sleep(0.3)
                    say(emu, f"live {n}")
                time.sleep(1)
                emu.state.set_state("0000FOLLOWTEST01", "Completed")
                code = child.wait(60)
            finally:
                child.close()
            expected = transcript(emu)
            killed = dict(proxy.killed)
    assert code == 0, (code, killed, child.stderr[-2000:])
    assert ndjson(child) == expected, (killed, child.stderr[-2000:])
    assert killed["accept"] + killed["mid"] >= 5, killed


@pytest.mark.parametrize("status", [400, 401, 403])
def test_handshake_refused_by_http_status_polls(gws: GwsServer, env: dict[str, str],
                                                status: int) -> None:
    gws.handshake_status = status
    follow_to_the_end(gws, env, settle=0.5)
    assert len(gws.hits.channel_times("/meta/handshake")) == 1


@pytest.mark.parametrize("status", [404, 405])
def test_no_notifications_endpoint_polls(gws: GwsServer, env: dict[str, str],
                                         status: int) -> None:
    gws.notifications_status = status
    follow_to_the_end(gws, env)
    assert gws.hits.count(NOTIFICATIONS) == 1


def test_every_topic_refused_polls(gws: GwsServer, env: dict[str, str]) -> None:
    gws.refuse_topics = {SMS_TOPIC, WILDCARD}
    follow_to_the_end(gws, env)


@pytest.mark.parametrize("reply", ["subscribe", "handshake"])
def test_events_piggybacked_on_a_meta_reply(gws: GwsServer, env: dict[str, str],
                                            reply: str) -> None:
    gws.timeout_ms = 20_000  # idle connects are held long: only the event can bring it soon
    piggy = gws.make_message("piggy")  # in no REST page until the end
    gws.piggyback[reply] = [{"channel": SMS_TOPIC, "data": gws.log_event([piggy])}]
    child = Child(cli(gws, "messages", SESSION, "-f", "-o", "ndjson"), env)
    try:
        seen = child.wait_for_line(lambda line: '"piggy"' in line, 6)
        gws.append(piggy, notify=False)
        gws.complete()
        code = child.wait(15)
    finally:
        child.close()
    assert seen, f"the piggybacked event was not processed; stderr {child.stderr[-1000:]}"
    assert code == 0, (code, child.stderr[-2000:])
    assert ndjson(child) == gws.messages()


@pytest.mark.parametrize("why", ["refused", "quiet"])
@pytest.mark.slow
def test_wildcard_fallback_holds_one_subscription(gws: GwsServer, env: dict[str, str],
                                                  why: str) -> None:
    gws.timeout_ms = 500
    if why == "refused":
        gws.refuse_topics = {SMS_TOPIC}
    else:
        gws.event_channel = "/v2/me/sms"  # the SMS topic is accepted but stays silent
    child = Child(cli(gws, "messages", SESSION, "-f", "-o", "ndjson"), env)
    try:
        assert child.wait_for_line(lambda line: "history 2" in line, 10), child.stderr
        for n in range(6):
            gws.say(f"live {n}")
            time.sleep(0.7)
        gws.forget_clients()  # one re-handshake and re-subscription on the way
        for n in range(3):
            gws.say(f"again {n}")
            time.sleep(0.7)
        gws.complete()
        code = child.wait(15)
    finally:
        child.close()
    log = [(op, topic) for _, op, _, topic in gws.subscription_log]
    assert not gws.both_held, log
    assert code == 0, (code, child.stderr[-2000:])
    assert ndjson(child) == gws.messages()
    assert any(topic == WILDCARD for op, topic in log if op == "subscribe"), log


def test_a_corrupt_gzip_body_is_a_bad_answer(gws: GwsServer, env: dict[str, str]) -> None:
    import gzip

    body = gzip.compress(b'{"statusCode":0,"smssessions":[]}')
    broken = body[:12] + bytes(b ^ 0xFF for b in body[12:20]) + body[20:]

    def handler(request: Any, conn: Any) -> bool:
        send_response(conn, 200, broken, [("Content-Encoding", "gzip")])
        return True

    gws.on(SESSIONS, handler)
    child = run_smscli(cli(gws, "sessions", "list"), env, timeout=20)
    line = one_error_line(child)
    assert child.code == 5 and "corrupt compressed body" in line, describe(child)
