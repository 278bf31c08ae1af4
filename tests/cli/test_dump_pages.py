"""``messages ID`` sends a long dump to the machine writers a page at a time; what it prints
is what the per-message path prints, byte for byte.

The page path is taken when nothing needs each message on its own: no --type, --no-typing,
--redact, and no progress (stderr not a terminal). The same transcript then goes through the
per-message path three other ways, and all must agree: progress on a terminal stderr
(``main(argv, terminal=(False, True))``), a --type filter that names every type there is,
and the writer's own ``transcript()`` of the messages read one by one from the client.
Transcripts: the hostile scenario (control characters, bidi, a lone surrogate, a 200,000
character message) and one whose indexes repeat and go -1 across page overlaps.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from smscli.client import ClientOptions, GwsClient
from smscli.emulator import Emulator, EmulatorState
from smscli.emulator.hostile import HOSTILE_SESSION_IDS
from smscli.emulator.scenario import add_big_session
from smscli.models import as_text
from smscli.render import Output, TimeFormat, make_renderer

REPEATS = "0000PAGEDREPEATS"
FORMATS = ("ndjson", "plain", "json")


def _add_repeats(emu: Emulator) -> None:
    """Nine messages whose indexes repeat and go -1 across overlaps of any small page."""
    emu.state.add_session({"id": REPEATS, "state": "Completed", "participants": [],
                           "capabilities": [], "userData": {}})
    kinds = ["Text", "TypingStarted", "Notice", "Text", "TranscriptSaveDone", "Text",
             "TypingStopped", "Text", "Text"]
    for n, index in enumerate([1, 2, 2, 2, -1, 3, 3, 4, 5]):
        emu.state.append_message(REPEATS, {
            "index": index, "type": kinds[n], "text": f"m{n}\tsaid \\ here\n",
            "from": {"type": "Customer", "nickname": "C\x1b[31m", "participantId": "p1"},
            "timestamp": f"2026-03-29 0{n % 3}:59:5{n}.{n}00+0100"}, notify=False)


@pytest.fixture(scope="module")
def hostile() -> Iterator[Emulator]:
    with Emulator(users={"demo": "demo"}, seed=7, traffic_rate=0.0,
                  scenario="hostile") as emu:
        _add_repeats(emu)
        yield emu


def _reference(emu: Emulator, session_id: str, fmt: str, page_size: int) -> tuple[str, int]:
    """The writer's transcript() of the messages as the client reads them one by one."""
    client = GwsClient(emu.url, "demo", "demo", ClientOptions(read_timeout=30.0))
    out = io.StringIO()
    try:
        with client:
            messages = list(client.iter_messages(session_id, page_size=page_size))
    except Exception:  # noqa: BLE001 - a session made unreadable on purpose
        return "", -1
    make_renderer(Output(fmt, False, TimeFormat(None)), out).transcript(iter(messages))
    types = sorted({as_text(m.get("type")) for m in messages if isinstance(m, dict)})
    return out.getvalue(), len(types)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("session_id", [*HOSTILE_SESSION_IDS, REPEATS])
@pytest.mark.parametrize("page_size", ["2", "1000"])
def test_the_page_path_prints_what_the_message_path_prints(
        cli: Any, hostile: Emulator, password_env: dict[str, str], fmt: str,
        session_id: str, page_size: str) -> None:
    args = ["--server", hostile.url, "--user", "demo", "messages", session_id, "-o", fmt,
            "--page-size", page_size]
    by_page = cli(*args, env=password_env, terminal=(False, False))
    with_progress = cli(*args, env=password_env, terminal=(False, True))
    assert (by_page.code, by_page.stdout) == (with_progress.code, with_progress.stdout)
    expected, kinds = _reference(hostile, session_id, fmt, int(page_size))
    if kinds < 0:  # unreadable: both paths fail alike, printing nothing
        assert by_page.code != 0 and by_page.stdout in ("", "[]\n")
        return
    assert by_page.code == 0, by_page.stderr
    assert by_page.stdout == expected
    if kinds:
        every_type = [a for k in _types(hostile, session_id) for a in ("--type", k)]
        typed = cli(*args, *every_type, env=password_env, terminal=(False, False))
        assert typed.stdout == expected


def _types(emu: Emulator, session_id: str) -> list[str]:
    return sorted({as_text(m.get("type")) for m in emu.state.messages(session_id, 1, 0)
                   if isinstance(m, dict)})


def _records(fmt: str, text: str) -> list[Any]:
    if fmt == "json":
        return json.loads(text)
    return text.splitlines()


@pytest.fixture(scope="module")
def wholes() -> dict[str, str]:
    """The whole REPEATS transcript in each format, read once per format for the module."""
    return {}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 5, 8, 9, 50])
def test_limit_cuts_the_pages_where_the_messages_would_stop(
        cli: Any, hostile: Emulator, password_env: dict[str, str], wholes: dict[str, str],
        fmt: str, limit: int) -> None:
    base = ["--server", hostile.url, "--user", "demo", "messages", REPEATS, "-o", fmt,
            "--page-size", "2"]
    if fmt not in wholes:
        whole = cli(*base, env=password_env)
        assert whole.code == 0 and len(_records(fmt, whole.stdout)) == 9
        wholes[fmt] = whole.stdout
    cut = cli(*base, "--limit", str(limit), env=password_env, terminal=(False, False))
    one_by_one = cli(*base, "--limit", str(limit), env=password_env, terminal=(False, True))
    assert cut.code == 0
    assert cut.stdout == one_by_one.stdout
    assert _records(fmt, cut.stdout) == _records(fmt, wholes[fmt])[:limit]


def test_limit_with_a_filter_counts_what_is_shown(cli: Any, hostile: Emulator,
                                                  password_env: dict[str, str]) -> None:
    base = ["--server", hostile.url, "--user", "demo", "messages", REPEATS, "-o", "ndjson",
            "--page-size", "2"]
    whole = [json.loads(line) for line in cli(*base, env=password_env).stdout.splitlines()]
    texts = [m for m in whole if m["type"] == "Text"]
    got = cli(*base, "--type", "text", "--limit", "3", env=password_env)
    assert [json.loads(line) for line in got.stdout.splitlines()] == texts[:3]
    assert len(texts) > 3


@pytest.fixture(scope="module")
def big() -> Iterator[tuple[Emulator, str]]:
    """A server with one 30,000-message session (and nothing else), for the module."""
    with Emulator(users={"demo": "demo"}, state=EmulatorState()) as emu:
        yield emu, add_big_session(emu.state, 30_000)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_pipe_closed_early_ends_quietly(clean_env: dict[str, str],
                                          big: tuple[Emulator, str], fmt: str) -> None:
    """``smscli messages ID -o FMT | head -1`` on a long transcript: exit 0, nothing on
    stderr, and within the minute the wait allows (it stops rather than fetching on)."""
    emu, session_id = big
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", "--server", emu.url, "--user", "demo",
         "messages", session_id, "-o", fmt],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**clean_env, "SMSCLI_PASSWORD": "demo"})
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # what head does after its line
    try:
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert first.strip()
    assert code == 0
    assert err == b""


def test_the_machine_writers_take_pages_and_the_table_does_not():
    """_dump hands a machine writer whole pages (render.base.PageWriter); were one of them to
    lose transcript_pages, dumps would quietly go message by message again."""
    import io

    from smscli.render.base import PageWriter, TimeFormat
    from smscli.render.human import TableWriter
    from smscli.render.machine import JsonWriter, NdjsonWriter
    from smscli.render.plain import PlainWriter

    out = io.StringIO()
    times = TimeFormat()
    assert all(isinstance(writer, PageWriter) for writer in
               (JsonWriter(out), NdjsonWriter(out), PlainWriter(out, times)))
    assert not issubclass(TableWriter, PageWriter)  # a table goes a message at a time
