"""render/highlight.py and the writers that mark matches: the union of ranges, the text as
shown, wrapped table cells, the chat view, a bounded regular expression, the palette."""

from __future__ import annotations

import io
import re
import time

import pytest

from smscli.emulator.hostile import HOSTILE_CASES
from smscli.render.chatview import ChatWriter
from smscli.render.highlight import GIVE_UP_AFTER, Highlighter, HighlightError
from smscli.render.human import TableWriter
from smscli.render.output import Output
from smscli.render.spans import (
    HIGHLIGHT,
    HIGHLIGHT_ESCAPED,
    MUTED,
    safe_spans,
    sgr_codes,
)
from smscli.render.styles import (
    ESCAPED,
    HEADER,
    MESSAGE_STYLES,
    PARTICIPANT_STYLES,
    STATE_STYLES,
)

ON, OFF = sgr_codes(HIGHLIGHT)
SGR = re.compile(r"\x1b\[[0-9;]*m")


def marked(text: str, *texts: str, regexes: tuple[str, ...] = ()) -> str:
    """``text`` with each match in [brackets], from the ranges the highlighter gives."""
    shown = text
    for start, end in reversed(Highlighter(texts, regexes).ranges(text)):
        shown = shown[:start] + "[" + shown[start:end] + "]" + shown[end:]
    return shown


def test_overlapping_matches_of_one_or_several_patterns_merge():
    assert marked("aaa", "aa") == "[aaa]"
    assert marked("xaaaax", "aa") == "x[aaaa]x"
    assert marked("refund requested", "fund re", "request") == "re[fund request]ed"
    assert marked("abcdef", "abc", "def") == "[abcdef]"  # touching ranges: one run
    assert marked("abc abc", "b", regexes=(r"a\w",)) == "[ab]c [ab]c"
    assert marked("aaaa", regexes=("a{2}",)) == "[aaaa]"  # overlapped regex matches


def test_plain_text_is_literal_and_any_case_regexes_are_as_written():
    assert marked("Call +1 555 (0100)", "+1 555 (0100)") == "Call [+1 555 (0100)]"
    assert marked("SIM sim Sim", "sIm") == "[SIM] [sim] [Sim]"
    assert marked("SIM sim", regexes=("sim",)) == "SIM [sim]"
    assert marked("SIM sim", regexes=("(?i)sim",)) == "[SIM] [sim]"
    assert marked("abc", regexes=("x*",)) == "abc"  # empty matches mark nothing


@pytest.mark.parametrize("texts, regexes", [([""], []), ([], ["("]), ([], ["a{2,1}"])])
def test_an_unusable_pattern_is_refused(texts, regexes):
    with pytest.raises(HighlightError):
        Highlighter(texts, regexes)


def test_matches_are_found_on_the_text_as_shown_and_only_restyle_it():
    for case in HOSTILE_CASES.values():
        spans = safe_spans(case.text, "bold", keep_newlines=True)
        shown = "".join(chunk for chunk, _ in spans)
        highlight = Highlighter(["x1b", "\\", "[", "u202e", "evil"], [r"\\x[0-9a-f]{2}"])
        restyled = highlight.mark(spans)
        assert "".join(chunk for chunk, _ in restyled) == shown
        for chunk, style in restyled:
            was_escape = any(chunk in c for c, s in spans if s == ESCAPED)
            if style == HIGHLIGHT_ESCAPED:
                assert was_escape
    # an escape made visible is matched as shown: "\x1b" is four characters, ESC is none
    assert Highlighter(["\x1b"]).ranges("\\x1b[2J") == []
    spans = Highlighter(["x1b[2"]).mark(safe_spans("a\x1b[2Jb"))
    assert spans == [("a", "none"), ("\\", ESCAPED), ("x1b[2", HIGHLIGHT_ESCAPED),
                     ("J", ESCAPED), ("b", "none")]


def test_the_highlight_style_is_none_of_the_palettes():
    palette = [*MESSAGE_STYLES.values(), *PARTICIPANT_STYLES.values(), *STATE_STYLES.values(),
               ESCAPED, HEADER, MUTED]
    for style in (HIGHLIGHT, HIGHLIGHT_ESCAPED):
        codes = sgr_codes(style)[0]
        assert codes not in {sgr_codes(other)[0] for other in palette}
        params = codes[2:-1].split(";")
        assert any(40 <= int(p) <= 47 or 100 <= int(p) <= 107 for p in params), style
    for other in palette:  # nothing else has a background, so a highlight stands out
        params = sgr_codes(other)[0][2:-1].split(";")
        assert not any(40 <= int(p) <= 47 or 100 <= int(p) <= 107 for p in params if p)


def table(messages: list[dict], width: int, *texts: str, regexes: tuple[str, ...] = ()) -> str:
    out = io.StringIO()
    highlight = Highlighter(texts, regexes) if texts or regexes else None
    output = Output(format="table", color=True, width=width, highlight=highlight)
    TableWriter(out, output).transcript(messages)
    return out.getvalue()


def text_message(text: str, index: int = 1) -> dict:
    return {"index": index, "type": "Text", "text": text,
            "from": {"type": "Customer", "nickname": "Cleo"},
            "timestamp": "2024-02-29 12:00:00.000+0000"}


def test_a_match_is_marked_across_the_lines_of_a_wrapped_cell():
    body = "x" * 20 + " refund policy applies to this order"
    lines = table([text_message(body)], 70, "xxxxx refund").splitlines()[2:]
    assert len(lines) >= 2  # the text wrapped: the phrase starts on one line, ends on the next
    assert lines[0].endswith("x" * 15 + f"{ON}xxxxx{OFF}")
    assert SGR.sub("", lines[1]).strip().startswith("refund policy")
    assert f"{ON}refund{OFF}" in lines[1]
    plain = [SGR.sub("", line) for line in lines]
    assert plain == [SGR.sub("", line) for line in table([text_message(body)], 70).splitlines()[2:]]


def test_a_short_ascii_text_leaves_its_fast_path_only_when_a_highlight_matches():
    messages = [text_message("my SIM stopped", 1), text_message("all good now", 2)]
    shown = table(messages, 100, "sim").splitlines()
    assert f"my {ON}SIM{OFF} stopped" in shown[2]
    assert shown[3] == table(messages, 100).splitlines()[3]  # no match: as without
    assert table(messages, 100, "nowhere") == table(messages, 100)


def test_the_sender_and_type_cells_are_marked_too():
    shown = table([text_message("hello")], 100, "cle", "tex")
    assert f"{ON}Cle{OFF}" in shown and f"{ON}Tex{OFF}" in shown


def test_the_chat_view_marks_bubbles_names_and_events():
    messages = [
        {"index": 1, "type": "ParticipantJoined",
         "from": {"type": "Customer", "nickname": "Cleo"}},
        text_message("The cot arrived with a cracked rail, can I get a refund?", 2),
        {"index": 3, "type": "Text", "text": "A refund is on its way",
         "from": {"type": "Agent", "nickname": "Sam"}},
    ]
    out = io.StringIO()
    output = Output(format="table", color=True, width=60,
                    highlight=Highlighter(["refund", "joined", "sam"]))
    ChatWriter(out, output).transcript(messages)
    shown = out.getvalue()
    assert shown.count(f"{ON}refund{OFF}") == 2
    assert f"{ON}joined{OFF}" in shown and f"{ON}Sam{OFF}" in shown
    unmarked = io.StringIO()
    ChatWriter(unmarked, output.but(highlight=None)).transcript(messages)
    assert SGR.sub("", shown) == SGR.sub("", unmarked.getvalue())


def test_a_regex_that_backtracks_without_end_is_bounded_and_warned_about_once():
    said: list[str] = []
    started = time.monotonic()
    highlight = Highlighter(["b"], [r"(a|aa)+$"], warn=said.append)
    texts = ["a" * 40 + "b"] * (GIVE_UP_AFTER + 2)
    results = [highlight.ranges(text) for text in texts]
    assert time.monotonic() - started < 60  # does not hang (each try gives up after 0.1 s)
    # a text the pattern timed out on is shown without highlights, even the plain ones
    assert results[:GIVE_UP_AFTER] == [[]] * GIVE_UP_AFTER
    # then the pattern is dropped: the plain text is marked again, the regex no more
    assert results[GIVE_UP_AFTER:] == [[(40, 41)]] * 2
    assert highlight.ranges("aa") == []
    assert len(said) == 1 and "(a|aa)+$" in said[0]


def test_the_issues_own_catastrophic_example_finishes():
    started = time.monotonic()
    said: list[str] = []
    highlight = Highlighter([], [r"(a+)+$"], warn=said.append)
    assert highlight.ranges("a" * 40 + "b") == []
    assert highlight.ranges("b" + "a" * 40) == [(1, 41)]
    assert time.monotonic() - started < 30


SESSION = {"id": "0000HIGHLIGHT001", "state": "Chatting", "uri": "https://gws/sessions/1",
           "capabilities": ["SendMessage", "Complete"],
           "participants": [{"type": "Customer", "nickname": "Cleo Refundson",
                             "participantId": "00AA00000000C001", "visibility": "All"},
                            {"type": "Agent", "nickname": "Sam", "participantId": "A1"}],
           "userData": {"topic": "refund request", "refund_id": None}}


def only_marks(text: str) -> str:
    """``text`` without its escape codes but the highlight's own."""
    return SGR.sub(lambda m: m.group() if m.group() in (ON, OFF) else "", text)


def detail(*texts: str) -> str:
    out = io.StringIO()
    highlight = Highlighter(texts) if texts else None
    TableWriter(out, Output(format="table", color=True, width=80,
                            highlight=highlight)).session_detail(SESSION)
    return out.getvalue()


def test_sessions_show_marks_every_cell_that_matches():
    shown = detail("refund", "chat", "complete", "0000high")
    for word in ("Refund", "refund", "Chat", "Complete", "0000HIGH"):
        assert f"{ON}{word}{OFF}" in only_marks(shown), word
    assert shown.count(f"{ON}refund{OFF}") >= 2  # the user data's key and its value
    assert SGR.sub("", shown) == SGR.sub("", detail())  # the same text, only restyled
    assert ON not in detail()


def live_watch(*texts: str) -> str:
    from datetime import datetime, timezone

    from rich.console import Console

    from smscli.follow.watch import Change
    from smscli.render import TimeFormat
    from smscli.render.watch import LiveWatch

    out = io.StringIO()
    options = Output(format="table", color=True, width=120, times=TimeFormat(timezone.utc),
                     highlight=Highlighter(texts) if texts else None)
    view = LiveWatch(out, options)
    when = datetime(2026, 12, 1, 14, 5, tzinfo=timezone.utc)
    view.change(Change("added", SESSION["id"], SESSION, when, initial=True))
    Console(file=out, force_terminal=True, width=120, color_system="standard").print(view._view())
    return out.getvalue()


def test_the_live_watch_table_marks_ids_states_and_names():
    shown = live_watch("refund", "chat", "light")
    for word in ("Refund", "Chat", "LIGHT"):
        assert f"{ON}{word}{OFF}" in only_marks(shown), word
    assert SGR.sub("", shown) == SGR.sub("", live_watch())
    assert ON not in live_watch()
