"""Exports (Markdown, HTML, CSV, JSON), the terminal chat view and --redact, on real emulators."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC
from html.parser import HTMLParser

import pytest

from smscli.client import GwsClient
from smscli.emulator import Emulator
from smscli.emulator.hostile import HOSTILE_CASES, HOSTILE_SESSION_IDS
from smscli.emulator.state import EmulatorState
from smscli.render.export import ExportOptions, export_transcript
from smscli.models import parse_timestamp
from smscli.render import Output, TimeFormat
from smscli.render.chatview import ChatWriter

IN_UTC = TimeFormat(UTC)
RICH_SESSION = "0000Wa9CAM6W00FN"  # every message type, agents-only and supervisor-only ones
VENDOR_SESSION = "0000Na9B26EF002G"  # the vendor's sample, with typing events
PII_SESSION = "0000PII000000001"
MARKUP_SESSION = "0000MARKUP000001"
SYSTEM_TYPES = {"ParticipantJoined", "ParticipantLeft", "ParticipantRejoined", "Notice",
                "CustomNotice", "TranscriptSaveDone"}
TYPING = {"TypingStarted", "TypingStopped"}
M = "\u2022"

# Known personal data and what --redact must make of it.
PII = {
    "+44 20 7946 0958": f"+{M*2} {M*2} {M*4} 0958",
    "+1 (555) 010-0199": f"+{M} ({M*3}) {M*3}-0199",
    "0044 20 7946 0958": f"{M*4} {M*2} {M*4} 0958",
    "4111 1111 1111 1234": f"{M*4} {M*4} {M*4} 1234",
    "5500-0000-0000-0004": f"{M*4}-{M*4}-{M*4}-0004",
    "jane.doe@example.com": f"j{M*3}@example.com",
    "+44 7700 900123": f"+{M*2} {M*4} {M*2}0123",  # the customer's nickname
}
ORDINARY = "Order 4711 ships 2026-11-29 at 14:05 for £7.50 (item 3 of 12)"
FORMULA = '=HYPERLINK("http://evil.example","click")'
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MD_ATTACK = "a | b *c* _d_ [x](javascript:alert(1)) `code` ~~s~~ <b>bold</b> &amp; \\"


def _person(kind: str, nickname: str, pid: str) -> dict:
    return {"type": kind, "nickname": nickname, "participantId": pid}


def _chat(messages: list[tuple]) -> list[dict]:
    out = []
    for n, (index, kind, sender, fields) in enumerate(messages):
        millis = 1_795_961_100_000 + n * 61_000  # 2026-11-29 14:05 IN_UTC onwards, a minute apart
        out.append({"index": index, "type": kind, "from": sender, **fields,
                    "timestampSeconds": millis})
    return out


def _crafted_state() -> EmulatorState:
    state = EmulatorState()
    customer = _person("Customer", "+44 7700 900123", "00F0000000000901")
    agent = _person("Agent", "Sam", "00F0000000000902")
    bot = _person("External", "Bot", "00F0000000000903")
    state.add_session({
        "id": PII_SESSION, "state": "Chatting", "participants": [agent, customer, bot],
        "receivedDate": "2026-11-29 14:04:00.000+0000",
        "userData": {"CustomerPhone": "+44 20 7946 0958", "Email": "jane.doe@example.com",
                     "Card": "4111 1111 1111 1234", "Order": "4711", "Count": 12,
                     "Fax": None},
    }, _chat([
        (1, "ParticipantJoined", customer, {}),
        (2, "ParticipantJoined", agent, {}),
        (3, "Text", customer, {"text": "Hi, call me on +44 20 7946 0958 or +1 (555) 010-0199"}),
        (4, "TypingStarted", agent, {}),
        (5, "TypingStopped", agent, {}),
        (6, "Text", agent, {"text": "Card 4111 1111 1111 1234 or 5500-0000-0000-0004? "
                                    "Mail jane.doe@example.com"}),
        (7, "Text", customer, {"text": "0044 20 7946 0958\nsecond line"}),
        (8, "Notice", bot, {"text": ORDINARY, "visibility": "Agents"}),
        (9, "CustomNotice", agent, {"noticeText": FORMULA}),
        (10, "PushUrl", agent, {"url": "https://example.com/track?id=4711"}),
        (11, "ParticipantLeft", customer, {}),
        (-1, "TranscriptSaveDone", bot, {}),
    ]))
    eve = _person("Agent", "<b>Eve</b>", "00F0000000000912")
    mallory = _person("Customer", IMG, "00F0000000000911")
    state.add_session({
        "id": MARKUP_SESSION, "state": f"Chatting{SCRIPT}", "participants": [eve, mallory],
        "userData": {"<i>key</i>": "<svg onload=alert(1)>", "Subject": MD_ATTACK},
    }, _chat([
        (1, "Text", mallory, {"text": SCRIPT}),
        (2, "Text", eve, {"text": MD_ATTACK}),
        (3, "PushUrl", eve, {"url": "javascript:alert(document.cookie)"}),
        (4, "PushUrl", eve, {"url": 'https://ok.example/x"onmouseover="alert(1)'}),
        (5, "PushUrl", eve, {"url": "https://ok.example/track"}),
        (6, "Notice", eve, {"text": IMG}),
    ]))
    return state


@pytest.fixture(scope="module")
def demo() -> Iterator[GwsClient]:
    with Emulator(users={"demo": "demo"}, seed=1) as emu, \
            GwsClient(emu.url, "demo", "demo") as client:
        yield client


@pytest.fixture(scope="module")
def hostile() -> Iterator[GwsClient]:
    with Emulator(users={"demo": "demo"}, scenario="hostile") as emu, \
            GwsClient(emu.url, "demo", "demo") as client:
        yield client


@pytest.fixture(scope="module")
def crafted_emulator() -> Iterator[Emulator]:
    with Emulator(users={"demo": "demo"}, state=_crafted_state()) as emu:
        yield emu


@pytest.fixture(scope="module")
def crafted(crafted_emulator: Emulator) -> Iterator[GwsClient]:
    with GwsClient(crafted_emulator.url, "demo", "demo") as client:
        yield client


def export(client: GwsClient, session_id: str, fmt: str, **options) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    session = client.get_session(session_id)
    export_transcript(fmt, out, client.iter_messages(session_id),
                      ExportOptions(times=IN_UTC, **options), session)
    return out.getvalue()


def served(client: GwsClient, session_id: str) -> list:
    return list(client.iter_messages(session_id))


# -- Markdown -------------------------------------------------------------------------------

def conversation_rows(markdown: str) -> list[tuple[int, str]]:
    """(column holding the content, content) for each row of the conversation table."""
    table = markdown.split("| :--- | :---: | ---: |\n", 1)[1]
    rows = []
    for line in table.splitlines():
        cells = re.split(r"(?<!\\)\|", line)
        assert len(cells) == 5 and cells[0] == cells[-1] == "", line  # exactly three cells
        filled = [(i, cell.strip()) for i, cell in enumerate(cells[1:4]) if cell.strip()]
        assert len(filled) == 1, line
        if not re.fullmatch(r"\*\*\d{4}-\d\d-\d\d\*\*", filled[0][1]):  # not a day line
            rows.append(filled[0])
    return rows


def expected_column(raw: dict) -> int:
    if raw["type"] in SYSTEM_TYPES:
        return 1
    return 0 if raw["from"]["type"] == "Customer" else 2


def test_markdown_puts_the_customer_left_agents_right_and_events_in_the_middle(demo):
    markdown = export(demo, RICH_SESSION, "md")
    session = demo.get_session(RICH_SESSION)
    assert markdown.startswith(f"# SMS session {RICH_SESSION}\n")
    assert "- **State:** Chatting\n" in markdown
    assert "- **Customer:** Zoë 🌸 Müller\n" in markdown
    assert "- **Agents:** Sam\n" in markdown
    assert "- **External:** PoD service\n" in markdown
    received = IN_UTC.human(parse_timestamp(session["receivedDate"]))
    assert f"- **Received:** {received}\n" in markdown
    assert "- **Times:** UTC\n" in markdown
    assert "| CustomerPhone | +44 20 7946 0958 |" in markdown

    messages = [m for m in served(demo, RICH_SESSION) if m["type"] not in TYPING]
    rows = conversation_rows(markdown)
    assert [column for column, _ in rows] == [expected_column(m) for m in messages]
    by_type = dict(zip((m["type"] for m in messages), (cell for _, cell in rows)))
    assert by_type["ParticipantRejoined"].startswith("*Zoë 🌸 Müller rejoined · ")
    assert by_type["TranscriptSaveDone"].startswith("*Transcript saved · ")
    assert by_type["CustomNotice"].startswith("*(Agents only)* *Sam: Order 4711 opened in CRM")
    assert by_type["PushUrl"].endswith(
        "<br>Link: https://photos.example.com/s/cot-rail-4711.jpg")
    # Server text is inert: Rich markup and an escape sequence are shown, not applied.
    assert r"Sorry, lost signal \[bold red\]again\[/\] :smile: \\x1b\[2J" in markdown


def test_markdown_leaves_typing_out_unless_asked(demo):
    assert "typing" not in export(demo, VENDOR_SESSION, "md")
    markdown = export(demo, VENDOR_SESSION, "md", include_typing=True)
    typing = [m for m in served(demo, VENDOR_SESSION) if m["type"] in TYPING]
    assert markdown.count(" is typing…") == sum(m["type"] == "TypingStarted" for m in typing)
    assert markdown.count(" stopped typing") == sum(m["type"] == "TypingStopped" for m in typing)
    assert "| | | *Agent1 is typing… · " in markdown  # on the typist's side
    assert "| *PersonP is typing… · " in markdown


def test_markdown_makes_server_text_inert(crafted):
    markdown = export(crafted, MARKUP_SESSION, "md")
    assert set(re.findall(r"<[^>]*>", markdown)) == {"<br>"}  # no HTML from the server
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert ("a \\| b \\*c\\* \\_d\\_ \\[x\\](javascript:alert(1)) \\`code\\` \\~\\~s\\~\\~ "
            "&lt;b&gt;bold&lt;/b&gt; &amp;amp; \\\\") in markdown
    conversation_rows(markdown)  # every row still has exactly three cells


# -- HTML -----------------------------------------------------------------------------------

class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "dl", "dt",
            "dd", "table", "tr", "th", "td", "main", "div", "b", "span", "a", "footer"}
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def parse_page(document: str) -> Page:
    page = Page()
    page.feed(document)
    page.close()
    return page


def assert_inert_html(document: str) -> Page:
    assert document.startswith("<!DOCTYPE html>\n") and document.endswith("</html>\n")
    assert "<script" not in document.lower()
    assert not CONTROLS.search(document)
    page = parse_page(document)
    assert {tag for tag, _ in page.tags} <= OUR_TAGS
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        if tag == "a":
            assert attrs["href"].startswith("https://"), attrs
    csp = [a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0].startswith("default-src 'none'")
    return page


def test_html_is_self_contained_and_shows_hostile_markup_as_text(crafted):
    document = export(crafted, MARKUP_SESSION, "html")
    page = assert_inert_html(document)
    text = "".join(page.text)
    for attack in (SCRIPT, IMG, MD_ATTACK, "<b>Eve</b>", "<i>key</i>", "<svg onload=alert(1)>",
                   f"Chatting{SCRIPT}"):
        assert attack not in document
        assert attack in text  # shown to the reader, as text
    hrefs = [a["href"] for t, a in page.tags if t == "a"]
    assert hrefs == ["https://ok.example/track"]  # javascript: and a quote-breaking url: text
    assert "javascript:alert(document.cookie)" in text


@pytest.mark.parametrize("session_id", HOSTILE_SESSION_IDS)
def test_html_neutralises_every_hostile_string(hostile, session_id):
    document = export(hostile, session_id, "html")
    text = "".join(assert_inert_html(document).text)
    for name, case in HOSTILE_CASES.items():
        if case.session_id != session_id or name == "huge_text":
            continue
        if CONTROLS.search(case.text):
            assert case.text not in document, name
    if session_id == HOSTILE_SESSION_IDS[0]:
        assert "Hello\\x1b[2J\\x1b[Hthe screen was cleared" in text  # visible, not applied
        assert '<span class="esc">\\x1b[2J\\x1b[H</span>' in document
    if session_id == HOSTILE_SESSION_IDS[3]:
        assert document.count("All work and no play") > 2900  # an export is never cut short


@pytest.mark.parametrize("fmt", ["md", "html", "csv", "json"])
def test_hostile_sessions_export_to_valid_utf8_files(hostile, tmp_path, fmt):
    from smscli.cli.export_cmd import atomic_text_file

    for session_id in HOSTILE_SESSION_IDS:
        target = tmp_path / f"{session_id}.{fmt}"
        with atomic_text_file(target) as handle:
            export_transcript(fmt, handle, hostile.iter_messages(session_id),
                              ExportOptions(times=IN_UTC), hostile.get_session(session_id))
        document = target.read_bytes().decode("utf-8")  # strict: no lone surrogate got through
        if fmt == "json":
            assert json.loads(document) == served(hostile, session_id)  # exact, escapes and all
            continue
        assert not CONTROLS.search(document.replace("\r\n", "").replace("\n", "")), session_id
        if fmt == "md":
            assert set(re.findall(r"<[^>]*>", document)) <= {"<br>"}
            conversation_rows(document)


def test_html_header_and_sides(demo):
    page = assert_inert_html(export(demo, RICH_SESSION, "html"))
    assert page.tags[0] == ("html", {"lang": "en"})
    text = "".join(page.text)
    assert f"SMS session {RICH_SESSION}" in text and "Zoë 🌸 Müller" in text
    classes = [a["class"].split() for t, a in page.tags if t == "div" and "data-type" in a]
    sides = [c[1] if c[0] == "msg" else c[0] for c in classes]
    messages = [m for m in served(demo, RICH_SESSION) if m["type"] not in TYPING]
    assert sides == [("customer", "event", "agent")[expected_column(m)] for m in messages]
    assert ["msg", "agent", "external"] in classes  # PoD service, coloured apart


# -- CSV and JSON ---------------------------------------------------------------------------

def test_csv_is_rfc4180_with_one_row_per_message(crafted):
    document = export(crafted, PII_SESSION, "csv")
    assert document.endswith("\r\n") and "\n" not in document.replace("\r\n", "").replace(
        "0958\nsecond", "")  # CRLF rows; a newline only inside a quoted field
    rows = list(csv.reader(io.StringIO(document, newline="")))
    assert rows[0] == ["index", "time", "from_type", "from", "type", "visibility", "text"]
    messages = [m for m in served(crafted, PII_SESSION) if m["type"] not in TYPING]
    assert [r[0] for r in rows[1:]] == [str(m["index"]) for m in messages]
    assert [r[4] for r in rows[1:]] == [m["type"] for m in messages]
    by_index = {r[0]: r for r in rows[1:]}
    assert by_index["3"] == ["3", "2026-11-29T14:07:02.000+00:00", "Customer", "+44 7700 900123",
                             "Text", "All",
                             "Hi, call me on +44 20 7946 0958 or +1 (555) 010-0199"]
    assert by_index["7"][6] == "0044 20 7946 0958\nsecond line"
    assert by_index["8"][5:] == ["Agents", ORDINARY]
    assert by_index["9"][6] == "'" + FORMULA  # a spreadsheet shows it instead of running it
    assert by_index["10"][6] == "https://example.com/track?id=4711"
    with_typing = list(csv.reader(io.StringIO(export(crafted, PII_SESSION, "csv",
                                                     include_typing=True))))
    assert [r[4] for r in with_typing[1:]] == [m["type"] for m in served(crafted, PII_SESSION)]


def test_csv_keeps_control_characters_out(hostile):
    rows = list(csv.reader(io.StringIO(export(hostile, HOSTILE_SESSION_IDS[0], "csv"))))
    assert not any(CONTROLS.search(cell) for row in rows for cell in row)
    assert ["Hello\\x1b[2J\\x1b[Hthe screen was cleared"] == [
        r[6] for r in rows if r[6].startswith("Hello")]


def test_json_is_the_transcript_as_served(demo):
    messages = served(demo, VENDOR_SESSION)
    assert json.loads(export(demo, VENDOR_SESSION, "json", include_typing=True)) == messages
    assert json.loads(export(demo, VENDOR_SESSION, "json")) == [
        m for m in messages if m["type"] not in TYPING]


# -- redaction ------------------------------------------------------------------------------

def assert_redacted(document: str) -> None:
    for original, masked in PII.items():
        assert original not in document, original
        assert masked in document, masked
    for digits in ("7946", "900123", "555", "4111", "5500", "jane"):
        assert digits not in document, digits


@pytest.mark.parametrize("fmt", ["md", "html", "csv", "json"])
def test_redact_masks_text_names_and_user_data_in_every_format(crafted, fmt):
    plain = export(crafted, PII_SESSION, fmt)
    assert "+44 20 7946 0958" in plain and "jane.doe@example.com" in plain  # unredacted
    document = export(crafted, PII_SESSION, fmt, redact=True)
    if fmt == "html":
        assert_inert_html(document)
        document = "".join(parse_page(document).text)
    if fmt == "json":
        document = json.dumps(json.loads(document), ensure_ascii=False)
    assert_redacted(document)
    assert ORDINARY in document  # order, date, time, price and small numbers survive
    assert "https://example.com/track?id=4711" in document
    if fmt in ("md", "html"):  # user data: keys and short values kept, the rest masked
        assert "Order" in document and "4711" in document and "Fax" in document
        assert "phone numbers, e-mail addresses and long digit runs are masked" in document


def test_redacted_json_keeps_the_structure(crafted):
    plain = json.loads(export(crafted, PII_SESSION, "json", include_typing=True))
    redacted = json.loads(export(crafted, PII_SESSION, "json", include_typing=True,
                                 redact=True))

    def same_shape(a, b, path="$"):  # type: ignore[no-untyped-def]
        assert type(a) is type(b), path
        if isinstance(a, dict):
            assert list(a) == list(b), path
            for key in a:
                same_shape(a[key], b[key], f"{path}.{key}")
        elif isinstance(a, list):
            assert len(a) == len(b), path
            for i, (x, y) in enumerate(zip(a, b)):
                same_shape(x, y, f"{path}[{i}]")
        elif not isinstance(a, str):
            assert a == b, path

    same_shape(plain, redacted)
    for before, after in zip(plain, redacted):
        assert after["timestamp"] == before["timestamp"]
        assert after["timestampSeconds"] == before["timestampSeconds"]
        assert after["from"]["participantId"] == before["from"]["participantId"]
    texts = {m["index"]: m.get("text") for m in redacted}
    assert texts[3] == f"Hi, call me on {PII['+44 20 7946 0958']} or {PII['+1 (555) 010-0199']}"
    assert texts[6] == (f"Card {PII['4111 1111 1111 1234']} or {PII['5500-0000-0000-0004']}? "
                        f"Mail {PII['jane.doe@example.com']}")
    assert texts[7] == f"{PII['0044 20 7946 0958']}\nsecond line"
    assert texts[8] == ORDINARY


# -- the command ----------------------------------------------------------------------------

@pytest.fixture
def smscli(clean_env, capsys, monkeypatch, crafted_emulator):  # type: ignore[no-untyped-def]
    """The real entry point and error boundary, in this process."""
    from smscli.cli import main as entry

    monkeypatch.setenv("SMSCLI_PASSWORD", "demo")

    def run(*args: str):  # type: ignore[no-untyped-def]
        capsys.readouterr()
        code = entry.main(["--server", crafted_emulator.url, "--user", "demo", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_export_writes_a_file_in_the_format_of_its_extension(smscli, tmp_path):
    target = tmp_path / "chat.htm"
    code, out, err = smscli("export", PII_SESSION, str(target), "--redact", "--utc")
    assert (code, out) == (0, "")
    assert err == f"smscli: wrote 10 messages to {target} (redacted)\n"
    document = target.read_text(encoding="utf-8")
    assert_inert_html(document)
    assert_redacted("".join(parse_page(document).text))
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600  # customer data: private by default
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.htm"]


def test_export_to_stdout_and_format_over_extension(smscli, tmp_path):
    code, out, err = smscli("export", PII_SESSION, "-", "--format", "csv", "--typing", "--utc")
    assert (code, err) == (0, "")
    assert len(list(csv.reader(io.StringIO(out)))) == 1 + 12
    code, out, _ = smscli("export", PII_SESSION, "-", "-F", "csv", "--tz", "Asia/Kolkata")
    assert code == 0 and "\r\n3,2026-11-29T19:37:02.000+05:30,Customer," in out
    code, out, _ = smscli("export", PII_SESSION, "-", "-F", "md", "--tz", "Asia/Kolkata")
    assert "- **Received:** 2026-11-29 19:34:00\n- **Customer:**" in out
    assert "- **Times:** Asia/Kolkata\n" in out and "| | *Sam joined · 19:36:01* | |" in out
    target = tmp_path / "notes.txt"
    target.write_text("old")
    os.chmod(target, 0o644)
    assert smscli("export", PII_SESSION, str(target), "-F", "json")[0] == 0
    assert len(json.loads(target.read_text())) == 10
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644  # a replaced file keeps its mode


@pytest.mark.parametrize(("args", "message"), [
    (["out.txt"], "cannot tell the export format from the file name 'out.txt'"),
    (["-"], "writing to stdout needs a format"),
    (["out.md", "--format", "xml"], "Invalid value for '--format'"),
])
def test_export_usage_errors_exit_2_and_write_nothing(smscli, tmp_path, monkeypatch, args,
                                                      message):
    monkeypatch.chdir(tmp_path)
    code, out, err = smscli("export", PII_SESSION, *args)
    assert (code, out) == (2, "")
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_the_old_file_and_no_partial_one(smscli, crafted, tmp_path):
    target = tmp_path / "chat.md"
    target.write_text("old")
    code, _, err = smscli("export", "0000NOSUCHSESSION", str(target))
    assert code == 3 and "no SMS session 0000NOSUCHSESSION" in err
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["chat.md"]

    from smscli.cli.export_cmd import atomic_text_file
    from smscli.errors import NetworkError

    def dropped_after_three():  # type: ignore[no-untyped-def]
        for i, raw in enumerate(crafted.iter_messages(PII_SESSION)):
            if i == 3:
                raise NetworkError("cannot connect")
            yield raw

    with pytest.raises(NetworkError), atomic_text_file(target) as handle:
        export_transcript("csv", handle, dropped_after_three(), ExportOptions(times=IN_UTC))
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["chat.md"]


# -- the chat view in a terminal ------------------------------------------------------------

def chat(client: GwsClient, session_id: str, width: int = 80, color: bool = False,
         **options) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    writer = ChatWriter(out, Output("table", color, IN_UTC, width=width), **options)
    writer.transcript(client.iter_messages(session_id))
    return out.getvalue()


def test_chat_view_sides_and_centred_events(demo):
    text = chat(demo, RICH_SESSION)
    lines = text.splitlines()
    assert "\x1b" not in text and all(len(line) <= 80 for line in lines)
    first = lines.index("\u2502 Hi, my cot arrived with a cracked rail 😞")  # customer: left
    assert lines[first - 1].startswith("Zoë 🌸 Müller  ")
    agent = [line for line in lines if "Hello Zoë, I'm sorry" in line]
    assert len(agent) == 1 and agent[0].endswith(" \u2502") and len(agent[0]) == 80  # right
    for sentence in ("PoD service joined", "Transcript saved", "Zoë 🌸 Müller rejoined"):
        [line] = [line for line in lines if sentence in line]
        content = line.strip()
        left = len(line) - len(line.lstrip())
        assert abs(left - (80 - left - len(content))) <= 2, line  # centred
    assert "(Agents only) Sam: Order 4711 opened in CRM" in text
    assert "\u2500\u2500\u2500 " in lines[0]  # the day, between rules


def test_chat_view_typing_only_when_asked(demo):
    assert "typing" not in chat(demo, VENDOR_SESSION)
    text = chat(demo, VENDOR_SESSION, include_typing=True)
    typing = [m for m in served(demo, VENDOR_SESSION) if m["type"] == "TypingStarted"]
    assert text.count(" is typing…") == len(typing)


def test_chat_view_paints_only_its_own_colours_and_shows_escapes(hostile):
    for session_id in HOSTILE_SESSION_IDS:
        plain = chat(hostile, session_id)
        assert not CONTROLS.search(plain.replace("\n", "")), session_id
        coloured = chat(hostile, session_id, color=True)
        leftover = re.sub(r"\x1b\[[0-9;]*m", "", coloured)  # our SGR codes only
        assert leftover == plain, session_id
    text = chat(hostile, HOSTILE_SESSION_IDS[0])
    assert "Hello\\x1b[2J\\x1b[Hthe screen was cleared" in text
    huge = chat(hostile, HOSTILE_SESSION_IDS[3])
    # The notice wraps inside the bubble like the text above it.
    assert "more characters not shown" in huge and "(--full" in huge
    assert all(len(line) <= 80 for line in huge.splitlines())


def test_chat_view_streams_for_follow(demo):
    out = io.StringIO()
    stream = ChatWriter(out, Output("table", False, IN_UTC, width=60)).message_stream(
        live=True)
    messages = served(demo, VENDOR_SESSION)
    stream.message(messages[3])
    assert out.getvalue().endswith("\u2502 dddd\n")  # written at once, before the next arrives
    stream.event({"event": "StatusChange", "state": "Completed"})
    stream.message(messages[6])
    stream.close()
    last = out.getvalue().splitlines()[-2:]  # wrapped in a bubble of two thirds of 60 columns
    assert [line.split() for line in last] == [
        ["Hello", "PersonP,", "how", "can", "I", "help", "you", "\u2502"], ["today?", "\u2502"]]
    assert len(last[0]) == len(last[1]) == 60


# -- the options on `smscli messages` ---------------------------------------------------------

def test_messages_view_chat_redact_and_export_through_the_cli(cli, emulator, tmp_path):
    args = ["--server", emulator.url, "--user", "demo", "messages", "0000Wa9CAM6W00FN"]
    env = {"SMSCLI_PASSWORD": "demo"}
    chat = cli(*args, "--view", "chat", env=env)
    assert chat.code == 0, chat.stderr
    assert "joined" in chat.stdout and "TypingStarted" not in chat.stdout
    assert "│" in chat.stdout  # speech bubbles, not the index/time/from/type table
    redacted = cli(*args, "--redact", "--json", env=env)
    assert "4711.jpg" in redacted.stdout  # ordinary short numbers survive
    plain = cli(*args, "--json", env=env)
    assert json.loads(plain.stdout)[0].keys() == json.loads(redacted.stdout)[0].keys()
    target = tmp_path / "t.csv"
    exported = cli(*args, "--export", str(target), env=env)
    assert exported.code == 0 and exported.stdout == ""
    rows = list(csv.reader(target.open(newline="")))
    assert rows[0][:3] == ["index", "time", "from_type"] and len(rows) > 5
    assert cli(*args, "--format", "csv", env=env).code == 2  # --format belongs to --export
    assert cli(*args, "--view", "chat", "-o", "json", env=env).code == 2
    assert cli(*args, "--export", str(target), "--follow", env=env).code == 2
