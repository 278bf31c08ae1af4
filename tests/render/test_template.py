"""render/template.py: the template syntax, values made inert, cells, times and colours."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest

from smscli.emulator.hostile import HOSTILE_CASES
from smscli.render.base import TimeFormat
from smscli.render.highlight import Highlighter
from smscli.render.output import Output
from smscli.render.spans import HIGHLIGHT, cell_len, sgr_codes
from smscli.render.styles import message_style, participant_style, state_style
from smscli.render.template import TemplateError, TemplateWriter, parse
from tests.render.test_hostile_rendering import any_dangerous

UTC = TimeFormat.from_options(True, None)
SGR = re.compile(r"\x1b\[[0-9;]*m")
MESSAGE = {
    "index": 7, "type": "Notice", "text": "Parcel 4711 is late",
    "from": {"type": "Agent", "nickname": "Sam", "participantId": "00F0"},
    "timestamp": "2024-02-29 12:34:56.789+0200", "timestampSeconds": 1709202896789,
    "tags": ["a", "b"], "extra": {"k": 1}, "flag": True, "nothing": None,
}


def line(template: str, item: object = MESSAGE, times: TimeFormat = UTC, **options) -> str:
    """What TemplateWriter prints for one item (a session list of one)."""
    out = io.StringIO()
    output = Output(template=parse(template), times=times, **options)
    TemplateWriter(out, output).session_list([item])
    assert out.getvalue().endswith("\n")
    return out.getvalue()[:-1]


@pytest.mark.parametrize("template, column, what", [
    ("{index} {text", 9, 'unclosed "{"'),
    ("{index}}", 8, 'stray "}"'),
    ("}", 1, 'stray "}"'),
    ("ab {}", 5, "without a path"),
    ("{ }", 2, "without a path"),
    ("{|x}", 2, "without a path"),
    ("{from..nickname}", 2, "empty name"),
    ("{from.}", 2, "empty name"),
    ("{index:>>>5}", 8, "format spec"),
    ("{index:5q}", 8, "format spec"),
    ("{type!purple}", 7, 'unknown style "purple"'),
    ("{type!bold+purple}", 7, 'unknown style "purple"'),
    ("{type!style+bold}", 7, "takes no other"),
    ("{type!}", 7, 'unknown style ""'),
    ("x {a {b}}", 6, '"{" inside a field'),
])
def test_a_malformed_template_names_the_column_where_it_breaks(template, column, what):
    with pytest.raises(TemplateError) as caught:
        parse(template)
    assert caught.value.column == column
    assert what in str(caught.value) and str(caught.value).endswith(f"at column {column}")


def test_literal_text_braces_and_backslash_escapes():
    assert line(r"{{{index}}} a\tb\nc \\ \d") == "{7} a\tb\nc \\ \\d"
    assert line("no fields at all") == "no fields at all"
    assert line("") == ""


def test_paths_lists_defaults_and_missing_fields():
    session = {"participants": [{"nickname": "Ann", "type": "Agent"},
                                {"nickname": None, "type": "Customer"}],
               "userData": {"0": "key zero", "Subject": "Cot"}}
    assert line("{participants.0.nickname}", session) == "Ann"
    assert line("{participants.1.nickname|anon}", session) == "anon"  # null: the default
    assert line("[{participants.5.nickname}]", session) == "[]"  # past the end: nothing
    assert line("{participants.x.nickname|?}", session) == "?"  # a name on a list: missing
    assert line("{userData.0} {userData.Subject.0|-}", session) == "key zero -"
    assert line("{missing|-} {nothing|n/a} {nothing}|", MESSAGE) == "- n/a |"
    assert line("{from.nickname.deeper|x}") == "x"  # into a string: missing
    assert line("{tags} {extra} {flag} {tags.1}") == '["a","b"] {"k":1} true b'
    assert line("{index}", ["not", "a", "dict"]) == ""


def test_numbers_take_pythons_format_and_a_misfit_spec_prints_the_value():
    assert line("{index:>5}|{index:03d}|{index:x}|{index:.1f}") == (
        f"{7:>5}|{7:03d}|{7:x}|{7:.1f}")
    assert line("{timestampSeconds:,}") == f"{MESSAGE['timestampSeconds']:,}"
    assert line("{text:,d}") == MESSAGE["text"]  # a number's spec on text
    assert line("{flag:>6}") == "  true"  # booleans are text
    assert line("{index:<4s}|") == "7   |"  # a text spec on a number: the number as text


VALUES = ["ab", "漢字", "Zoë 🌸 Müller", "e\u0301t\u00e9", "x" * 30]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("align", ["", "<", ">", "^", "*^"])
def test_text_width_counts_terminal_cells(value, align):
    shown = line(f"{{v:{align}12}}|", {"v": value})[:-1]
    assert cell_len(shown) == max(12, cell_len(value))
    fill = "*" if "*" in align else " "
    start = shown.index(value)
    assert shown[:start] == fill * start and set(shown[start + len(value):]) <= {fill}
    gap = 12 - cell_len(value)
    if gap > 0:
        expected_before = {"": 0, "<": 0, ">": gap, "^": gap // 2, "*^": gap // 2}[align]
        assert start == expected_before


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("precision", [1, 3, 5])
def test_text_precision_cuts_at_cells_never_inside_a_character(value, precision):
    shown = line(f"{{v:.{precision}}}", {"v": value})
    assert value.startswith(shown)
    assert cell_len(shown) <= precision
    assert cell_len(shown) >= min(cell_len(value), precision - 1)  # at most a wide char short
    padded = line(f"{{v:8.{precision}}}|", {"v": value})[:-1]
    assert padded.startswith(shown) and cell_len(padded) == 8


def test_times_are_strftime_in_the_output_zone():
    moment = datetime(2024, 2, 29, 10, 34, 56, 789000, tzinfo=timezone.utc)
    assert line("{timestamp:%H:%M:%S}") == moment.strftime("%H:%M:%S")
    tokyo = TimeFormat.from_options(False, "Asia/Tokyo")
    assert line("{timestamp:%Y-%m-%d %H:%M %z}", times=tokyo) == \
        tokyo.convert(moment).strftime("%Y-%m-%d %H:%M %z")
    assert line("{timestampSeconds:%H:%M:%S}") == moment.strftime("%H:%M:%S")  # epoch ms
    assert line("{text:%H:%M}") == MESSAGE["text"]  # not a time: the text as it is
    assert line("{missing|--:--:%H}") == "--"  # ":" ends the default: documented


def test_every_hostile_text_is_inert_in_every_kind_of_field():
    for name, case in HOSTILE_CASES.items():
        item = {"text": case.text, "from": {"nickname": case.text}, "list": [case.text],
                "obj": {case.text: case.text}}
        for template in ("{text}", "{from.nickname:<30.20}", "{list}", "{obj}",
                         "{text!style}", "{text:>500}"):
            shown = SGR.sub("", line(template, item, color=True))
            assert not any_dangerous(shown) and "\t" not in shown, (name, template)
            if any_dangerous(case.text) and "." not in template:
                assert "\\" in shown, (name, template)  # an escape, ours or JSON's


def test_the_templates_own_text_is_written_as_it_is():
    assert line("\x1b[1m{index}\x1b[0m\ttab") == "\x1b[1m7\x1b[0m\ttab"
    assert line("{text}", {"text": "a\tb\x1b[2J"}) == "a\\tb\\x1b[2J"


def test_styles_are_the_tables_colours_or_named_and_only_with_colour():
    def painted(text: str, style: str) -> str:
        before, after = sgr_codes(style)
        return f"{before}{text}{after}"

    assert line("{type!style}", color=True) == painted("Notice", message_style("Notice"))
    assert line("{type:style}", color=True) == painted("Notice", message_style("Notice"))
    assert line("{from.type!style} {from.nickname:style}", color=True) == (
        painted("Agent", participant_style("Agent")) + " "
        + painted("Sam", participant_style("Agent")))
    assert line("{text!style}", color=True) == painted(MESSAGE["text"], message_style("Notice"))
    assert line("{state!style}", {"state": "Chatting"}, color=True) == \
        painted("Chatting", state_style("Chatting"))
    assert line("{index!bold+red}", color=True) == painted("7", "bold red")
    assert line("{type!style} {index!bold}", color=False) == "Notice 7"
    assert line("{type!style:>8}", color=True) == "  " + painted("Notice", message_style("Notice"))


def test_highlights_mark_values_not_the_templates_text():
    out = io.StringIO()
    output = Output(template=parse("late: {text}"), times=UTC, color=True,
                    highlight=Highlighter(["LATE"]))
    TemplateWriter(out, output).session_list([MESSAGE])
    before, after = sgr_codes(HIGHLIGHT)
    assert out.getvalue() == f"late: Parcel 4711 is {before}late{after}\n"


def test_a_follow_writes_and_flushes_each_line():
    class Counting(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            self.flushes += 1
            super().flush()

    out = Counting()
    stream = TemplateWriter(out, Output(template=parse("{index}"))).message_stream(live=True)
    for n in range(3):
        stream.message({"index": n})
        assert out.getvalue().splitlines() == [str(i) for i in range(n + 1)]
        assert out.flushes >= n + 1
    stream.close()
