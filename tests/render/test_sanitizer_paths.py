"""Generated hostile text through every output path: only smscli's own colour codes escape.

The text mixes every escape-sequence shape (7-bit and 8-bit CSI, OSC, DCS/SOS/PM/APC, two-byte
escapes, a lone ESC), each possibly cut off at any byte, with ASCII and invisible characters.
It is put into a session of the emulator (its public state API: sessions, participants, user
data, messages, a message long enough to be previewed) and shown through the CLI in-process:
the table with colour forced, the chat view, plain, `sessions show` and `list`, `stats`, the
watch views, and error lines on stderr for a server that answers with it. Whatever the text,
the only ESC bytes in the output start SGR colour codes (``ESC [ digits/; m``) and there is no
C1 byte (U+0080..U+009F) at all: a terminal may read either as the start of a command.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smscli.follow.watch import Change
from smscli.render import Output, TimeFormat
from smscli.render.watch import LiveWatch, PlainWatch
from smscli.safety import escape, escape_plain_field, preview_bytes, segments

SGR = re.compile(r"\x1b\[[0-9;]*m")
# What Rich's live display writes besides colour: hide/show the cursor, erase a line, go up.
LIVE_CONTROL = re.compile(r"\x1b\[(?:\?25[lh]|2K|\d*A|\d*G)")
C1 = re.compile("[\x80-\x9f]")
BIG = 2500  # past the table's 2000-character preview


def assert_only_our_sgr(output: str, where: object, live: bool = False) -> None:
    rest = SGR.sub("", output)
    if live:
        rest = LIVE_CONTROL.sub("", rest)
    assert "\x1b" not in rest, (where, ascii(output[:2000]))
    bad = C1.search(output)
    assert bad is None, (where, ascii(bad.group()), ascii(output[:2000]))


# --- hostile text ---------------------------------------------------------------------------

PARAMS = "0123456789:;<=>?"
INTERMEDIATES = "".join(map(chr, range(0x20, 0x30)))
FINALS = "".join(map(chr, range(0x40, 0x7F)))
BODY = st.text(st.sampled_from("ab;:/ =?[]\\\x07\x1b\x9c\u202e\u00e9\U0001f600"), max_size=6)
TERMINATORS = st.sampled_from(["\x07", "\x1b\\", "\x9c", ""])


def csi(intro: str) -> st.SearchStrategy[str]:
    return st.builds(lambda p, i, f: intro + p + i + f, st.text(st.sampled_from(PARAMS),
                     max_size=5), st.text(st.sampled_from(INTERMEDIATES), max_size=2),
                     st.sampled_from([*FINALS, ""]))


def string(intro: str) -> st.SearchStrategy[str]:
    return st.builds(lambda b, t: intro + b + t, BODY, TERMINATORS)


SHAPES = st.one_of(
    csi("\x1b["), csi("\x9b"),
    *(string(intro) for intro in ("\x1b]", "\x1bP", "\x1bX", "\x1b^", "\x1b_",
                                  "\x90", "\x98", "\x9d", "\x9e", "\x9f")),
    st.builds(lambda c: "\x1b" + c, st.sampled_from(["", " ", "c", "7", "~", "(", "#"])),
    st.sampled_from([chr(c) for c in range(0x80, 0xA0)] + ["\x00", "\x08", "\r", "\x7f"]),
    st.sampled_from(["\u00ad", "\u061c", "\u180e", "\u200b", "\u200d", "\u200e", "\u200f",
                     "\u2028", "\u202e", "\u2066", "\ufeff", "\ud800"]),
)


@st.composite
def cut(draw: st.DrawFn, shape: st.SearchStrategy[str]) -> str:
    whole = draw(shape)
    return whole[: draw(st.integers(0, len(whole)))] if draw(st.booleans()) else whole


ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
PIECE = st.one_of(ASCII, cut(SHAPES), st.just("\U0001f469\u200d\U0001f467"), st.just("\t\n"))
HOSTILE = st.lists(PIECE, min_size=1, max_size=8).map("".join)

WHOLE_SHAPES = [
    "\x1b[0;1:2<3=4>5?6 !/~", "\x1b[?25l", "\x1b[", "\x9b0;1:2<3=4>5?6 !/@", "\x9b2J",
    "\x1b]8;;https://evil\x1b\\", "\x1b]0;title\x07", "\x1b]52;c;eA==\x9c",
    "\x1bP+q544e\x1b\\", "\x1bXsos\x9c", "\x1b^pm\x1b\\", "\x1b_apc\x1b\\", "\x1bc", "\x1b",
    "\x90dcs\x9c", "\x98sos\x07", "\x9d0;t\x9c", "\x9epm\x9c", "\x9fapc\x07",
]

# Every shape whole, then every shape cut off halfway: the inputs that matter to the CLI paths
# below, besides NASTY, whatever Hypothesis draws.
EVERY_SHAPE = "x".join(WHOLE_SHAPES)
EVERY_SHAPE_CUT = "y".join(shape[: max(1, len(shape) // 2)] for shape in WHOLE_SHAPES)

NASTY = ("a\x1b[1;2:3<=>?4 !/~b\x9b?25l\x1b]8;;u\x1b\\c\x9d0;t\x07\x1bPq\x9c\x90dcs\x1b_apc"
         "\x1bc\x1b\x9f\x9e\x98\x1b[\u202e\u200d\x85\x9b")


# --- the same text everywhere ---------------------------------------------------------------

_ids = itertools.count(1)


def hostile_session(emulator, text: str) -> tuple[str, dict]:
    session_id = f"0000PATHS{next(_ids):07d}"
    customer = {"type": "Customer", "nickname": text, "participantId": text,
                "visibility": "All"}
    agent = {"type": "Agent", "nickname": f"agent {text}", "participantId": "00AG0001",
             "visibility": text}
    raw = {"id": session_id, "state": "Chatting", "participants": [customer, agent],
           "capabilities": [text, "SendMessage"], "userData": {text: text, "Subject": text}}
    emulator.state.add_session(raw)
    for kind, fields, sender in (
        ("Text", {"text": text}, customer),
        ("Text", {"text": (text + " ") * (BIG // (len(text) + 1) + 1)}, customer),  # previewed
        ("Text", {"text": f"re: {text}"}, agent),
        ("PushUrl", {"url": text}, agent),
        ("Notice", {"noticeText": text}, agent),
        ("TypingStarted", {"text": text}, customer),
    ):
        emulator.state.append_message(session_id, {"type": kind, "from": sender, **fields},
                                      notify=False)
    return session_id, raw


PATHS = [
    ("messages", "{id}", "-o", "table", "--color", "always"),
    ("messages", "{id}", "-o", "table", "--color", "always", "--full"),
    ("messages", "{id}", "--view", "chat", "--color", "always", "--typing"),
    ("messages", "{id}", "--view", "chat", "--color", "always", "--full"),
    ("messages", "{id}", "-o", "plain"),
    ("messages", "{id}", "-o", "table", "--color", "never"),
    ("sessions", "show", "{id}", "-o", "table", "--color", "always"),
    ("sessions", "show", "{id}", "-o", "plain"),
    ("sessions", "list", "-o", "table", "--color", "always"),
    ("sessions", "list", "-o", "plain"),
    ("sessions", "stats", "{id}", "-o", "table", "--color", "always"),
    ("sessions", "stats", "{id}", "-o", "plain"),
]

# Eight drawn texts a run beside the explicit ones (20 before: each example runs the CLI a
# dozen times); test_every_cut_of_every_shape below takes every cut of every shape through
# the sanitizer itself.
HYPOTHESIS = settings(max_examples=8, deadline=None, derandomize=True,
                      suppress_health_check=[HealthCheck.too_slow,
                                             HealthCheck.function_scoped_fixture,
                                             HealthCheck.data_too_large])


@HYPOTHESIS
@given(HOSTILE)
@example(NASTY)
@example(EVERY_SHAPE)
@example(EVERY_SHAPE_CUT)
@pytest.mark.slow
def test_every_cli_path_shows_hostile_text_inert(cli, emulator, server_args, password_env,
                                                 text: str) -> None:
    session_id, raw = hostile_session(emulator, text)
    env = {**password_env, "COLUMNS": "100"}
    try:
        for path in PATHS:
            args = [part.format(id=session_id) for part in path]
            result = cli(*server_args, *args, env=env)
            assert result.code == 0, (args, result.stderr)
            assert_only_our_sgr(result.stdout, args)
            assert_only_our_sgr(result.stderr, args)
            if "always" in args and args[0] == "messages":
                assert SGR.search(result.stdout), args  # colour really was forced
    finally:
        # Hypothesis runs every example on the same emulator: without this, each `sessions
        # list` would show every earlier example's session again, and cost more each time.
        emulator.state.remove_session(session_id)

    # The watch: its tab-separated lines and its live table (on a terminal it redraws).
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    for kind in ("added", "state", "messages", "removed"):
        change = Change(kind, text, raw, when, previous_state=text, count=1, new_messages=2)
        out = io.StringIO()
        plain = PlainWatch(out, TimeFormat(UTC))
        plain.start()
        plain.change(change)
        plain.close()
        assert_only_our_sgr(out.getvalue(), ("watch plain", kind))
        assert out.getvalue().count("\n") == 1
    out = io.StringIO()
    live = LiveWatch(out, Output(format="table", color=True, times=TimeFormat(UTC),
                                        width=100))
    live.start()
    live.change(Change("added", text, raw, when, initial=True))
    live.change(Change("state", text, raw, when, previous_state="Invited", new_messages=1))
    live.close()
    assert_only_our_sgr(out.getvalue(), "watch live", live=True)


@HYPOTHESIS
@given(HOSTILE)
@example(NASTY)
@example(EVERY_SHAPE)
@example(EVERY_SHAPE_CUT)
@pytest.mark.slow
def test_error_lines_on_stderr_are_inert(cli, raw_server, text: str) -> None:
    """A server (or a proxy) that answers with hostile text: the error quotes it, inert."""
    body = b"<p>" + text.encode("utf-8", "surrogatepass")
    raw_server.route("/api/v2/me/smssessions", (200, {"Content-Type": "text/html"}, body * 40))
    raw_server.route("/api/v2/me/smssessions/X", (500, {"Content-Type": "text/plain"}, body))
    for args in (["sessions", "list"], ["sessions", "show", "X"],
                 ["--debug", "sessions", "list"]):
        result = cli("--server", raw_server.url, "--user", "u", *args,
                     env={"SMSCLI_PASSWORD": "p"})
        assert result.code != 0, args
        assert "not JSON: " in result.stderr, args  # the body is quoted
        assert_only_our_sgr(result.stdout, args)
        assert_only_our_sgr(result.stderr, args)


# --- every shape, cut at every position, straight through the sanitizer ---------------------

CUTS = sorted({shape[:n] for shape in WHOLE_SHAPES for n in range(1, len(shape) + 1)})


@pytest.mark.parametrize("tail", ["", "x", "[31m", "\\", "\x1b", "\x9c", "\U0001f600"])
def test_every_cut_of_every_shape(tail: str) -> None:
    for piece in CUTS:
        text = f"ab{piece}{tail}"
        for shown in (escape(text), escape(text, keep_newlines=True, keep_tabs=True),
                      escape_plain_field(text), preview_bytes(text.encode(), 8),
                      preview_bytes(text.encode())):
            assert "\x1b" not in shown and not C1.search(shown), ascii(text)
        runs = segments(text)
        assert "".join(chunk for chunk, _ in runs) == escape(text)
        assert all(chunk for chunk, _ in runs)
        # Plain runs are the text's own characters; only escaped runs hold backslash escapes.
        assert all("\\" not in chunk for chunk, escaped in runs if not escaped) or "\\" in tail
        assert runs[0] == ("ab", False), ascii(text)
