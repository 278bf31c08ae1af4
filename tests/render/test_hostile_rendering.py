"""The emulator's hostile scenario through the real CLI: what reaches stdout, byte for byte."""

from __future__ import annotations

import json
import re

import pytest

from smscli.emulator import Emulator
from smscli.emulator.hostile import HOSTILE_CASES, HOSTILE_SESSION_IDS

SGR = re.compile(r"\x1b\[[0-9;]*m")
DIM_REVERSE = "\x1b[2;7m"  # how smscli marks an escape it made visible
RESET = "\x1b[0m"
SURVIVE = {"non_bmp_emoji", "emoji_zwj_sequence", "tabs_newlines"}
WIDE = {"COLUMNS": "4000", "SMSCLI_PASSWORD": "demo"}


def dangerous(ch: str) -> bool:
    """The issue's list, written out independently of smscli's own table."""
    code = ord(ch)
    return (code < 0x20 and ch not in "\t\n") or 0x7F <= code <= 0x9F or \
        0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or \
        code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF) or 0xD800 <= code <= 0xDFFF


def is_emoji(ch: str) -> bool:
    return ord(ch) >= 0x1F000 or 0x2190 <= ord(ch) <= 0x2BFF or ch == "\ufe0f"


def any_dangerous(text: str) -> bool:
    """Any dangerous character, except a zero-width joiner inside an emoji sequence."""
    for i, ch in enumerate(text):
        if ch == "\u200d" and 0 < i < len(text) - 1 and is_emoji(text[i - 1]) \
                and is_emoji(text[i + 1]):
            continue
        if dangerous(ch):
            return True
    return False


def visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@pytest.fixture(scope="module")
def hostile():
    with Emulator(users={"demo": "demo"}, scenario="hostile") as emu:
        yield emu


@pytest.fixture(scope="module")
def shown() -> dict[tuple[str, ...], str]:
    """What each command line printed, once per module: the hostile sessions do not change,
    and many tests look at the same command's output for different attacks."""
    return {}


@pytest.fixture
def show(run_cli, hostile, shown):
    def run(*args: str) -> str:
        if args not in shown:
            result = run_cli("--server", hostile.url, "--user", "demo", *args, env=WIDE)
            assert result.code == 0, result.stderr
            assert "Traceback" not in result.stderr
            shown[args] = result.stdout
        return shown[args]

    return run


def screen_text(output: str) -> str:
    return SGR.sub("", output)


@pytest.mark.parametrize("args", [
    *(["messages", session_id] for session_id in HOSTILE_SESSION_IDS),
    *(["sessions", "show", session_id] for session_id in HOSTILE_SESSION_IDS),
    ["sessions", "list"],  # once: the list does not depend on a session id
], ids=" ".join)
def test_nothing_but_smscli_colours_reaches_the_terminal(show, args):
    for extra in (["-o", "table", "--color", "always"], ["-o", "table"], ["-o", "plain"]):
        out = show(*args, *extra)
        leftover = SGR.sub("", out) if "always" in extra else out
        assert not any_dangerous(leftover), (args, extra)
        if "always" not in extra:
            assert "\x1b" not in out


@pytest.mark.parametrize("name", sorted(set(HOSTILE_CASES) - SURVIVE))
def test_each_attack_is_shown_as_visible_dim_escapes(show, name):
    case = HOSTILE_CASES[name]
    if case.path[:1] == ("from",):
        # Senders are cut to the FROM column in the table: plain shows them whole. A sender's
        # participantId is shown nowhere; it must simply not leak.
        out = show("messages", case.session_id, "-o", "plain")
        assert not any_dangerous(out)
        if case.path[-1] == "participantId":
            return
        for ch in {ch for ch in case.text if dangerous(ch)}:
            assert visible(ch) in out, (name, hex(ord(ch)))
        return
    if case.message_index is not None:
        out = show("messages", case.session_id, "-o", "table", "--color", "always", "--full")
    else:
        out = show("sessions", "show", case.session_id, "-o", "table", "--color", "always")
    plain = screen_text(out)
    for ch in {ch for ch in case.text if dangerous(ch)}:
        assert visible(ch) in plain, (name, hex(ord(ch)))
    if any(dangerous(ch) for ch in case.text):
        assert DIM_REVERSE + "\\" in out, name


def test_exact_bytes_for_the_headline_attacks(show):
    out = show("messages", HOSTILE_CASES["csi_clear_screen"].session_id, "-o", "table",
               "--color", "always")
    assert f"Hello{DIM_REVERSE}\\x1b[2J\\x1b[H{RESET}the screen was cleared" in out
    osc52 = HOSTILE_CASES["osc52_clipboard"]
    assert f"{DIM_REVERSE}\\x1b]52;c;" in out and "\x1b]52" not in out
    assert f"I agree{DIM_REVERSE}\\x0d{RESET}I refuse" in out
    markup = show("messages", HOSTILE_CASES["rich_markup_style"].session_id, "-o", "table",
                  "--color", "always")
    assert "[bold red]ALERT[/bold red]" in markup and ":smile:" in markup
    assert "javascript:alert(document.cookie)" in screen_text(markup)
    plain = show("messages", osc52.session_id, "-o", "plain")
    line = next(row for row in plain.splitlines() if row.startswith(f"{osc52.message_index}\t"))
    assert line.split("\t")[6] == osc52.text.replace("\x1b", "\\x1b").replace("\x07", "\\x07")


def test_emoji_and_layout_that_must_survive(show):
    case = HOSTILE_CASES["emoji_zwj_sequence"]
    out = show("messages", case.session_id, "-o", "table", "--color", "always")
    assert case.text in out
    assert HOSTILE_CASES["non_bmp_emoji"].text in out
    tabs = HOSTILE_CASES["tabs_newlines"]
    plain = show("messages", tabs.session_id, "-o", "plain")
    row = next(r for r in plain.splitlines() if r.startswith(f"{tabs.message_index}\t"))
    assert row.split("\t")[6] == tabs.text.replace("\t", "\\t").replace("\n", "\\n")


@pytest.mark.parametrize("session_id", HOSTILE_SESSION_IDS)
def test_json_keeps_every_hostile_string_exactly(show, session_id):
    messages = json.loads(show("messages", session_id, "--json"))
    session = json.loads(show("sessions", "show", session_id, "--json"))
    for case in HOSTILE_CASES.values():
        if case.session_id != session_id:
            continue
        if case.message_index is None:
            doc = session
        else:
            doc = next(m for m in messages if m["index"] == case.message_index)
        found = case.find(doc)
        if case.in_key:
            assert case.text in found
        else:
            assert found == case.text
    # Split on newlines only: str.splitlines() would also split on \x1c, \x85, \u2028...
    for line in show("messages", session_id, "-o", "ndjson").rstrip("\n").split("\n"):
        json.loads(line)


def test_the_200000_character_text_is_a_preview_in_table_and_whole_elsewhere(show):
    case = HOSTILE_CASES["huge_text"]
    table = show("messages", case.session_id, "-o", "table")
    assert len(table) < 20_000 and "more characters not shown" in table
    as_json = json.loads(show("messages", case.session_id, "--json"))
    assert next(m for m in as_json if m["index"] == case.message_index)["text"] == case.text
