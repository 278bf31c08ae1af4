"""`smscli tail`: every session at once, each message once, in its session's order."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from followkit import FAST, STACKS_ON_ABORT, LineReader, interrupt, wait_for

from smscli.client import GwsClient
from smscli.emulator import Emulator, EmulatorState
from smscli.emulator.faults import Faults
from smscli.emulator.operations import apply
from smscli.follow import tail as kinds
from smscli.follow.live import Pacing
from smscli.follow.position import Position
from smscli.follow.tail import Tailer, TailEvent, TailOptions
from smscli.render.human import cell_len

CUSTOMER = {"type": "Customer", "nickname": "Cleo", "participantId": "00AA00000000C001"}
AGENT = {"type": "Agent", "nickname": "Sam", "participantId": "00AA00000000A001"}
FAST_PACING = Pacing(min_idle=0.05, idle_check=0.2)  # faults cycle quickly (see test_follow_faults)
SMSCLI = [sys.executable, "-m", "smscli"]


def new_emulator(faults: Faults | None = None) -> Emulator:
    return Emulator(users={"demo": "demo"}, state=EmulatorState(), cometd_timeout_ms=300,
                    faults=faults)


def add(emu: Emulator, session_id: str, state: str = "Chatting", history: int = 0,
        customer: dict | None = None, announce: bool = False) -> None:
    emu.state.add_session({"id": session_id, "state": state,
                           "participants": [AGENT, customer or CUSTOMER], "userData": {}})
    for n in range(history):
        say(emu, session_id, f"{session_id} history {n}", notify=False)
    if announce:
        emu.state.set_state(session_id, state)  # the StateChange that tells listeners


def say(emu: Emulator, session_id: str, text: str, notify: bool = True, **fields) -> dict:
    return emu.state.append_message(
        session_id, {"type": "Text", "text": text, "from": CUSTOMER, **fields}, notify=notify)


def transcript(emu: Emulator, session_id: str) -> list[dict]:
    return json.loads(json.dumps(emu.state.messages(session_id, 1, 0)))


def options(**overrides) -> TailOptions:
    # Bounded retries: a tail the test no longer reads ends once its emulator is gone.
    return TailOptions(**{"backoff_base": 0.01, "backoff_cap": 0.05, "max_retries": 50,
                          "pacing": FAST_PACING, **overrides})


class TailRun:
    """A Tailer in a thread, collecting its events and notes."""

    def __init__(self, url: str, tail_options: TailOptions | None = None) -> None:
        self.client = GwsClient(url, "demo", "demo", FAST)
        self.events: list[TailEvent] = []
        self.notes: list[str] = []
        self.error: BaseException | None = None
        self.tailer = Tailer(self.client, tail_options or options(), self.notes.append)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        events = self.tailer.run()
        try:
            for event in events:
                self.events.append(event)
                if self._stop.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            events.close()
            self.tailer.close()
            self.client.close()

    def messages(self, session_id: str) -> list[dict]:
        return [json.loads(json.dumps(e.message)) for e in list(self.events)
                if e.kind == kinds.MESSAGE and e.session_id == session_id]

    def kinds(self, session_id: str) -> list[str]:
        return [e.kind for e in list(self.events)
                if e.kind != kinds.MESSAGE and e.session_id == session_id]

    def position_of(self, session_id: str, kind: str) -> int:
        return next(i for i, e in enumerate(self.events)
                    if e.session_id == session_id and e.kind == kind)

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float = 20) -> None:
        def done() -> bool:
            if self.error:
                raise self.error
            return predicate()

        wait_for(done, timeout=timeout, what=f"{what}; notes {self.notes[-5:]}")

    def stop(self) -> None:
        self._stop.set()


def ready(emu: Emulator) -> Callable[[], bool]:
    """The tail has read the list and every history and waits on its first long-poll."""
    return lambda: emu.cometd.connects >= 1


# -- sessions arriving, completing and disappearing -----------------------------------------------

def test_sessions_arrive_complete_and_disappear_each_message_once_in_order() -> None:
    with new_emulator() as emu:
        add(emu, "0000TAILA", history=3)
        add(emu, "0000TAILB", history=2)
        add(emu, "0000TAILC", state="Completed", history=2)
        run = TailRun(emu.url)
        run.wait(ready(emu), "the first long-poll")
        assert [(e.kind, e.session_id, e.initial) for e in run.events] == [
            ("appeared", "0000TAILA", True), ("appeared", "0000TAILB", True)]

        say(emu, "0000TAILA", "a1")
        say(emu, "0000TAILB", "b1")
        # D arrives with messages nobody was told of, then talks.
        add(emu, "0000TAILD", history=2, announce=True)
        say(emu, "0000TAILD", "d1")
        say(emu, "0000TAILA", "a2, silently", notify=False)
        emu.state.set_state("0000TAILA", "LeftChat")
        # (Two changes between two reads of the list would show as one, from first to last.)
        run.wait(lambda: "state" in run.kinds("0000TAILA"), "A's first change")
        say(emu, "0000TAILA", "a3, after the agent left", notify=False)
        emu.state.set_state("0000TAILA", "Completed")  # its silent messages come before its end
        say(emu, "0000TAILB", "b2")
        run.wait(lambda: len(run.messages("0000TAILB")) == 2, "b2")
        b_before_removal = transcript(emu, "0000TAILB")
        assert emu.state.remove_session("0000TAILB")  # gone without a word
        say(emu, "0000TAILD", "d2")
        run.wait(lambda: "gone" in run.kinds("0000TAILB") and "completed" in run.kinds(
            "0000TAILA") and len(run.messages("0000TAILD")) == 4, "the end of A and B, D's d2")

        assert run.messages("0000TAILA") == transcript(emu, "0000TAILA")[3:]
        assert [m["text"] for m in run.messages("0000TAILA")] == [
            "a1", "a2, silently", "a3, after the agent left"]
        assert run.messages("0000TAILB") == b_before_removal[2:]
        assert run.messages("0000TAILD") == transcript(emu, "0000TAILD")
        assert run.kinds("0000TAILA") == ["appeared", "state", "state", "completed"]
        assert [e.previous_state for e in run.events if e.kind == "state"] == [
            "Chatting", "LeftChat"]
        assert run.kinds("0000TAILB") == ["appeared", "gone"]
        assert run.kinds("0000TAILD") == ["appeared"]
        assert not [e for e in run.events if e.session_id == "0000TAILC"]
        last_a = max(i for i, e in enumerate(run.events)
                     if e.session_id == "0000TAILA" and e.kind == "message")
        assert last_a < run.position_of("0000TAILA", "completed")
        assert not [e for e in run.events if e.kind == "appeared" and e.initial and
                    e.session_id == "0000TAILD"]
        # One CometD client did it all.
        assert run.tailer.channel.live and emu.cometd.client_count == 1
        run.stop()


def test_a_session_that_came_and_ended_between_two_reads_is_shown_whole() -> None:
    with new_emulator() as emu:
        add(emu, "0000TAILOVER", state="Completed", history=1)  # over before the start
        run = TailRun(emu.url)
        run.wait(ready(emu), "the first long-poll")
        add(emu, "0000TAILBRIEF", history=3)  # nobody told of it, and it ends at once
        emu.state.set_state("0000TAILBRIEF", "Completed")
        run.wait(lambda: "completed" in run.kinds("0000TAILBRIEF"), "the brief session")
        assert run.messages("0000TAILBRIEF") == transcript(emu, "0000TAILBRIEF")
        assert run.kinds("0000TAILBRIEF") == ["appeared", "completed"]
        assert run.kinds("0000TAILOVER") == []
        run.stop()


def test_tail_and_since_choose_the_history_of_each_session() -> None:
    now = datetime.now(UTC)
    old = int((now - timedelta(hours=2)).timestamp() * 1000)
    with new_emulator() as emu:
        add(emu, "0000TAILOLD")
        for n in range(3):
            say(emu, "0000TAILOLD", f"old {n}", notify=False, timestampSeconds=old + n)
        for n in range(2):
            say(emu, "0000TAILOLD", f"recent {n}", notify=False)
        add(emu, "0000TAILTWO", history=4)
        run = TailRun(emu.url, options(since=now - timedelta(minutes=5)))
        run.wait(ready(emu), "the first long-poll")
        assert [m["text"] for m in run.messages("0000TAILOLD")] == ["recent 0", "recent 1"]
        assert len(run.messages("0000TAILTWO")) == 4  # all stamped within the five minutes
        run.stop()

    with new_emulator() as emu:
        add(emu, "0000TAILTWO", history=4)
        run = TailRun(emu.url, options(tail=2))
        run.wait(ready(emu), "the first long-poll")
        assert run.messages("0000TAILTWO") == transcript(emu, "0000TAILTWO")[2:]
        add(emu, "0000TAILNEW", history=3, announce=True)  # a session that appears: --tail too
        run.wait(lambda: len(run.messages("0000TAILNEW")) == 2, "the new session's last two")
        say(emu, "0000TAILNEW", "live")
        run.wait(lambda: len(run.messages("0000TAILNEW")) == 3, "the live message")
        assert run.messages("0000TAILNEW") == transcript(emu, "0000TAILNEW")[1:]
        run.stop()


def test_a_recorder_resumes_each_session_from_its_position_and_sees_the_ended_ones() -> None:
    with new_emulator() as emu:
        add(emu, "0000TAILREC1", history=5)
        add(emu, "0000TAILREC2", state="Completed", history=3)
        kept = transcript(emu, "0000TAILREC1")[2]  # the archive has up to index 3
        positions = {"0000TAILREC1": Position.resumed(3, {_key(kept)})}
        run = TailRun(emu.url, options(start_history=True, include_final=True,
                                       resume=positions.get))
        run.wait(lambda: "completed" in run.kinds("0000TAILREC2") and ready(emu)(),
                 "the ended session's history")
        assert run.messages("0000TAILREC1") == transcript(emu, "0000TAILREC1")[3:]
        assert run.messages("0000TAILREC2") == transcript(emu, "0000TAILREC2")
        assert run.kinds("0000TAILREC2") == ["appeared", "completed"]
        say(emu, "0000TAILREC1", "live")
        run.wait(lambda: len(run.messages("0000TAILREC1")) == 3, "the live message")
        run.stop()


def _key(raw: dict) -> tuple:
    from smscli.models import message_key

    return message_key(raw)


def test_polling_without_cometd_is_as_exact() -> None:
    with new_emulator() as emu:
        add(emu, "0000TAILP1", history=2)
        run = TailRun(emu.url, options(poll=True, interval=0.1))
        # Its history read, not just announced: a message said before that read is history,
        # which a tail without --tail leaves out (the event comes out just before the read).
        run.wait(lambda: bool(run.events) and run.tailer.known["0000TAILP1"].history_read,
                 "the first session's history read")
        for n in range(5):
            say(emu, "0000TAILP1", f"p{n}", notify=n % 2 == 0)
        add(emu, "0000TAILP2", history=2)  # no notification at all: the list tells
        say(emu, "0000TAILP2", "hello")
        emu.state.set_state("0000TAILP1", "Completed")
        run.wait(lambda: "completed" in run.kinds("0000TAILP1")
                 and len(run.messages("0000TAILP2")) == 3, "the end of P1 and P2's messages")
        assert run.messages("0000TAILP1") == transcript(emu, "0000TAILP1")[2:]
        assert run.messages("0000TAILP2") == transcript(emu, "0000TAILP2")
        assert run.tailer.channel.bayeux is None and emu.cometd.client_count == 0
        run.stop()


# -- the command --------------------------------------------------------------------------------

class Tail:
    """`smscli tail ARGS` as a real process against an emulator."""

    def __init__(self, emu: Emulator, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [*SMSCLI, "--server", emu.url, "--user", "demo", "tail", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            env={**env, "SMSCLI_PASSWORD": "demo", **STACKS_ON_ABORT})
        self.out = LineReader(self.proc.stdout)
        self.err = LineReader(self.proc.stderr)

    def wait_lines(self, count: int, what: str) -> list[str]:
        wait_for(lambda: len(self.out.lines) >= count or self.proc.poll() is not None,
                 20, what)
        assert len(self.out.lines) >= count, (self.out.lines, self.err.lines)
        return list(self.out.lines)

    def interrupt(self) -> int:
        code = interrupt(self.proc, self.err)
        self.out.thread.join(5)
        return code


def test_the_command_filters_sessions_and_types_and_tags_ndjson(clean_env) -> None:
    amira = {"type": "Customer", "nickname": "Amira", "participantId": "00AA0000000AM01"}
    with new_emulator() as emu:
        add(emu, "0000TAILAMIRA1", customer=amira)
        add(emu, "0000TAILCLEO01")  # another customer: left out by --customer
        add(emu, "0000TAILAMIRA2", state="Invited", customer=amira)  # not Chatting yet
        tail = Tail(emu, clean_env, "--state", "chatting", "--customer", "AMI", "-t", "Text",
                    "-o", "ndjson")
        wait_for(lambda: emu.cometd.connects >= 1, 20, "the first long-poll")
        say(emu, "0000TAILCLEO01", "not Amira")
        emu.state.append_message("0000TAILAMIRA1", {"type": "TypingStarted", "from": amira})
        say(emu, "0000TAILAMIRA1", "first", **{"from": amira})
        # Invited -> Chatting: it comes to match, and is picked up with its history.
        status, _ = apply(emu.state, "0000TAILAMIRA2", {"operationName": "Accept"}, "demo")
        assert status == 200
        say(emu, "0000TAILAMIRA2", "second", **{"from": amira})
        lines = tail.wait_lines(2, "two Text messages")
        emu.state.set_state("0000TAILAMIRA1", "Completed")
        # The state change is said first, then the end: wait for the second.
        wait_for(lambda: "smscli: - IRA1 Amira (0000TAILAMIRA1): Completed" in tail.err.lines,
                 20, "the end said on stderr")
        assert tail.interrupt() == 0
    records = [json.loads(line) for line in tail.out.lines]
    assert [(r["sessionId"], r["text"]) for r in records] == [
        ("0000TAILAMIRA1", "first"), ("0000TAILAMIRA2", "second")], lines
    assert next(iter(records[0])) == "sessionId"
    assert records[0]["index"] == 2 and records[0]["from"]["nickname"] == "Amira"
    assert "smscli: + IRA1 Amira (0000TAILAMIRA1): Chatting" in tail.err.lines
    assert "smscli: + IRA2 Amira (0000TAILAMIRA2): Chatting" in tail.err.lines
    assert "smscli: - IRA1 Amira (0000TAILAMIRA1): Completed" in tail.err.lines
    err = "\n".join(tail.err.lines)
    assert "0000TAILCLEO01" not in err and "Traceback" not in err


def test_table_lines_fit_60_columns_and_server_text_stays_inert(clean_env) -> None:
    evil = {"type": "Customer", "nickname": "Mallory\x1b[31m\u202e", "participantId": "00EE01"}
    with new_emulator() as emu:
        add(emu, "0000TAILEVIL", customer=evil)
        add(emu, "0000TAILPLAIN")
        tail = Tail(emu, {**clean_env, "COLUMNS": "60"}, "-o", "table", "--color", "always")
        wait_for(lambda: emu.cometd.connects >= 1, 20, "the first long-poll")
        say(emu, "0000TAILEVIL", "clear \x1b[2J and a very long message " * 5,
            **{"from": evil})
        say(emu, "0000TAILPLAIN", "hello there", visibility="Agents")
        emu.state.append_message("0000TAILPLAIN", {"type": "TypingStarted", "from": AGENT})
        tail.wait_lines(3, "three lines")
        assert tail.interrupt() == 0
    lines = tail.out.lines
    sgr = re.compile(r"\x1b\[[0-9;]*m")
    visible = [sgr.sub("", line) for line in lines]
    assert all(cell_len(line) <= 60 for line in visible), visible
    assert not [line for line in visible if "\x1b" in line or "\u202e" in line], visible
    evil_line = next(line for line in visible if "clear" in line)
    assert evil_line.startswith("EVIL Mallory\u2026  Mallory\u2026  Text")
    assert "\\x1b[2J" in evil_line and evil_line.endswith("\u2026")
    assert "Text           (Agents only) hello\u2026" in next(l for l in visible if "hello" in l)
    assert any("TypingStarted" in line and "Sam" in line for line in visible)


def test_plain_lines_carry_the_session_and_customer(clean_env) -> None:
    with new_emulator() as emu:
        add(emu, "0000TAILPLAIN", history=3)
        tail = Tail(emu, clean_env, "--tail", "1", "-o", "plain", "--utc")
        lines = tail.wait_lines(1, "the last message of the history")
        assert tail.interrupt() == 0
        last = transcript(emu, "0000TAILPLAIN")[-1]
    fields = lines[0].split("\t")
    assert fields[:3] == ["0000TAILPLAIN", "Cleo", "3"]
    assert fields[4:] == ["Customer", "Cleo", "Text", "All", last["text"]]
    assert fields[3].endswith("+00:00")


@pytest.mark.parametrize("since", ["yesterday", "10x", ""])
def test_a_since_that_means_nothing_is_a_usage_error(run_cli, server_args, password_env,
                                                     since: str) -> None:
    result = run_cli(*server_args, "tail", "--since", since, env=password_env)
    assert result.code == 2, result
    assert "--since" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_demo_tail_shows_messages_within_a_minute(clean_env) -> None:
    proc = subprocess.Popen([*SMSCLI, "--demo", "tail", "-o", "plain"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8",
                            env={**clean_env, **STACKS_ON_ABORT})
    out, err = LineReader(proc.stdout), LineReader(proc.stderr)
    try:
        wait_for(lambda: len(out.lines) >= 3 and any(
            line.startswith("smscli: + 0001") for line in err.lines), 60,
            "three messages and a session that arrives")
    finally:
        code = interrupt(proc, err)
    assert code == 0, err.lines
    assert all(len(line.split("\t")) == 9 for line in out.lines)


def test_a_session_that_lists_nobody_any_more_keeps_its_customers_name() -> None:
    import io

    from smscli.render.output import Output
    from smscli.render.tail import make_tail_writer

    for fmt in ("plain", "table"):
        out = io.StringIO()
        writer = make_tail_writer(Output(format=fmt, width=100, stdout=out))
        writer.message("0000TAILNAME", {"participants": [AGENT, CUSTOMER]},
                       {"index": 1, "type": "Text", "text": "hello", "from": CUSTOMER})
        completed = {"state": "Completed", "participants": []}  # as GWS lists it at the end
        writer.message("0000TAILNAME", completed,
                       {"index": 2, "type": "ParticipantLeft", "from": AGENT})
        assert writer.label("0000TAILNAME", completed) == "NAME Cleo (0000TAILNAME)"
        lines = out.getvalue().splitlines()
        names = ([line.split("\t")[1] for line in lines] if fmt == "plain"
                 else [line.split()[1] for line in lines])
        assert names == ["Cleo", "Cleo"], lines


@pytest.mark.parametrize("fmt", [["-o", "table"], ["-o", "plain"], ["-o", "json"],
                                 ["-o", "ndjson"], ["--json"]], ids=" ".join)
def test_every_format_piped_until_ctrl_c(clean_env, emulator, fmt: list[str]) -> None:
    """The demo sessions' last message each (--tail 1), in each format; json is ndjson."""
    tail = Tail(emulator, clean_env, "--tail", "1", *fmt)
    def messages() -> int:  # (a table has a line for the date too)
        return sum(1 for line in list(tail.out.lines) if not line.startswith("\u2500"))

    wait_for(lambda: messages() >= 5 or tail.proc.poll() is not None, 20, "5 messages")
    assert tail.interrupt() == 0, tail.err.lines
    lines = tail.out.lines
    sessions = {s["id"] for s in emulator.state.list_sessions() if s["state"] != "Completed"}
    if fmt[-1] in ("json", "ndjson", "--json"):
        assert {json.loads(line)["sessionId"] for line in lines} == sessions
    elif fmt[-1] == "plain":
        assert {line.split("\t")[0] for line in lines} == sessions
    else:
        tags = {line.split()[0] for line in lines if not line.startswith("\u2500")}
        assert tags == {sid[-4:] for sid in sessions}


def test_template_and_highlight_lines_per_message_with_hostile_text_inert(clean_env) -> None:
    evil = {"type": "Customer", "nickname": "Mal\x1b[31mlory", "participantId": "00EE02"}
    with new_emulator() as emu:
        add(emu, "0000TAILTPL1", customer=evil)
        tail = Tail(emu, clean_env, "--template",
                    "{sessionId}|{customer}|{index}|{from.type}|{text}|{url|-}")
        marked = Tail(emu, clean_env, "-o", "table", "--color", "always", "--highlight", "SIM")
        wait_for(lambda: emu.cometd.connects >= 2, 20, "both long-polls")
        say(emu, "0000TAILTPL1", "my sim \x1b]0;pwned\x07 died", **{"from": evil})
        lines = tail.wait_lines(1, "the template's line")
        table = marked.wait_lines(1, "the table's line")
        assert tail.interrupt() == 0 and marked.interrupt() == 0
    [line] = lines
    session, customer, index, kind, text, url = line.split("|")
    assert (session, index, kind, url) == ("0000TAILTPL1", "1", "Customer", "-")
    assert customer == "Mal\\x1b[31mlory" and text == "my sim \\x1b]0;pwned\\x07 died"
    assert "\x1b" not in line and "\x07" not in line
    [row] = [row for row in table if "died" in row]
    assert "\x1b[30;43msim\x1b[0m" in row  # the match, in the highlight's own style
    assert "\x1b" not in re.sub(r"\x1b\[[0-9;]*m", "", row)
