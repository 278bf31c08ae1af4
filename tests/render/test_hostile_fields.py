"""Every human renderer over every field of a hostile message and session, one field at a time.

Each field in turn holds text with CSI, OSC 52 (a clipboard write), OSC 0 (a window title),
8-bit C1 controls and bidi overrides; nothing of it may reach the output raw. The only escape
sequences allowed in the output are the renderers' own colours (SGR).
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from smscli.render.export import ExportOptions, export_transcript
from smscli.render import Output, TimeFormat
from smscli.render.chatview import ChatWriter
from smscli.render.human import TableWriter
from smscli.render.stats import TableStats
from smscli.render.watch import LiveWatch
from smscli.stats import session_stats, summarize
from smscli.follow.watch import Change

HOSTILE = ("\x1b[2J\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b]0;owned\x1b\\\x9b31m\x9d0;t\x9c"
           "\u202eevil\u2066\x1bP+q\x1b\\\x07\x08\r")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def forbidden(text: str) -> list[str]:
    """Raw control characters left once the renderers' own SGR colours are taken out."""
    rest = SGR.sub("", text)
    return sorted({hex(ord(ch)) for ch in rest
                   if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F
                   or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"})


def base_session() -> dict[str, Any]:
    return {
        "id": "0000HOSTILEFIELD", "state": "Chatting",
        "receivedDate": "2026-12-01 14:00:00.000+0000",
        "participants": [
            {"type": "Customer", "nickname": "Eve", "participantId": "00C1",
             "visibility": "All"},
            {"type": "Agent", "nickname": "Sam", "participantId": "00A1", "visibility": "All"}],
        "capabilities": ["SendMessage", "Complete"],
        "userData": {"Subject": "refund"},
    }


def base_messages() -> list[dict[str, Any]]:
    customer = {"type": "Customer", "nickname": "Eve", "participantId": "00C1",
                "visibility": "All"}
    agent = {"type": "Agent", "nickname": "Sam", "participantId": "00A1", "visibility": "All"}
    stamp = "2026-12-01 14:00:{:02d}.000+0000"
    return [
        {"index": 1, "type": "ParticipantJoined", "from": dict(customer), "visibility": "All",
         "timestamp": stamp.format(1)},
        {"index": 2, "type": "Text", "from": dict(customer), "text": "hello",
         "visibility": "All", "timestamp": stamp.format(2)},
        {"index": 3, "type": "TypingStarted", "from": dict(agent), "visibility": "All",
         "timestamp": stamp.format(3)},
        {"index": 4, "type": "Text", "from": dict(agent), "text": "hi", "visibility": "Agents",
         "timestamp": stamp.format(4)},
        {"index": 5, "type": "PushUrl", "from": dict(agent), "url": "https://example.com/x",
         "visibility": "All", "timestamp": stamp.format(5)},
        {"index": 6, "type": "CustomNotice", "from": dict(agent), "noticeText": "note",
         "visibility": "All", "timestamp": stamp.format(6)},
        {"index": 7, "type": "Notice", "from": dict(agent), "text": "notice",
         "visibility": "Supervisors", "timestamp": stamp.format(7)},
        {"index": -1, "type": "TranscriptSaveDone", "visibility": "All",
         "timestamp": stamp.format(8)},
    ]


def leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place a string or number sits in a JSON document (and every key of a dict)."""
    found: list[tuple] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append(path + (("key", key),))
            found += leaves(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += leaves(item, path + (i,))
    else:
        found.append(path)
    return found


def poisoned(document: Any, path: tuple) -> Any:
    """A copy of ``document`` with the field at ``path`` (or that key) set to HOSTILE."""
    copied = copy.deepcopy(document)
    target = copied
    for step in path[:-1]:
        target = target[step]
    last = path[-1]
    if isinstance(last, tuple):  # a key: renamed to the attack, its value kept
        target[HOSTILE + str(last[1])] = target.pop(last[1])
    else:
        target[last] = HOSTILE
    return copied


def options(color: bool, width: int = 80) -> Output:
    return Output(format="table", color=color, times=TimeFormat(timezone.utc),
                         width=width, relative_times=True)


Renderer = Callable[[dict, list, bool], str]


def table_transcript(session: dict, messages: list, color: bool) -> str:
    out = io.StringIO()
    TableWriter(out, options(color)).transcript(messages)
    return out.getvalue()


def table_follow(session: dict, messages: list, color: bool) -> str:
    out = io.StringIO()
    stream = TableWriter(out, options(color, 60)).message_stream(live=True)
    for raw in messages:
        stream.message(raw)
    stream.close()
    return out.getvalue()


def chat(session: dict, messages: list, color: bool) -> str:
    out = io.StringIO()
    ChatWriter(out, options(color), include_typing=True).transcript(messages)
    return out.getvalue()


def session_views(session: dict, messages: list, color: bool) -> str:
    out = io.StringIO()
    writer = TableWriter(out, options(color))
    writer.session_list([session])
    writer.session_detail(session)
    return out.getvalue()


# The stats tables are drawn from a SessionStats alone, and many poisoned fields (a message's
# text, a URL) leave the stats as they were: each distinct one is drawn once per colour.
_stats_tables: dict[tuple[str, bool], str] = {}


def stats_table(session: dict, messages: list, color: bool) -> str:
    stats = session_stats(session, messages)
    key = (repr(stats), color)
    if key not in _stats_tables:
        out = io.StringIO()
        for many in (False, True):
            writer = TableStats(out, options(color))
            writer.session(stats)
            if many:
                writer.session(stats)
            writer.close(summarize([stats, stats] if many else [stats]))
        _stats_tables[key] = out.getvalue()
    return _stats_tables[key]


def watch_table(session: dict, messages: list, color: bool) -> str:
    from rich.console import Console

    out = io.StringIO()
    view = LiveWatch(out, options(color, 200))
    when = datetime(2026, 12, 1, 14, 5, tzinfo=timezone.utc)
    session_id = str(session.get("id"))
    view.change(Change("added", session_id, session, when, initial=True))
    view.change(Change("state", session_id, session, when, previous_state=HOSTILE,
                       new_messages=3))
    Console(file=out, force_terminal=True, no_color=not color, width=200,
            color_system="standard" if color else None).print(view._view())
    return out.getvalue()


def export_md(session: dict, messages: list, color: bool) -> str:
    out = io.StringIO()
    export_transcript("md", out, messages, ExportOptions(include_typing=True), session)
    return out.getvalue()


def export_html(session: dict, messages: list, color: bool) -> str:
    out = io.StringIO()
    export_transcript("html", out, messages, ExportOptions(include_typing=True), session)
    return out.getvalue()


def session_only(render: Renderer) -> Renderer:
    """A renderer that reads the session alone gives the same text whatever the messages:
    each message field poisoned in turn would draw the clean session again, so it is drawn
    once per distinct session and colour."""
    drawn: dict[tuple[str, bool], str] = {}

    def cached(session: dict, messages: list, color: bool) -> str:
        key = (repr(session), color)
        if key not in drawn:
            drawn[key] = render(session, messages, color)
        return drawn[key]

    return cached


RENDERERS: dict[str, Renderer] = {
    "messages table": table_transcript, "messages --follow table": table_follow,
    "chat view": chat, "sessions list and show": session_only(session_views),
    "sessions stats": stats_table, "sessions watch": session_only(watch_table),
    "export md": export_md, "export html": export_html,
}


def test_the_attack_is_caught_by_the_check() -> None:
    assert forbidden(HOSTILE) and forbidden("\x1b]52;c;x\x07") and forbidden("\u202e")
    assert forbidden("\x1b[31mred\x1b[0m") == []


@pytest.mark.parametrize("color", [False, True], ids=["no-colour", "colour"])
@pytest.mark.parametrize("name", RENDERERS)
def test_no_field_reaches_the_output_raw(name: str, color: bool) -> None:
    render = RENDERERS[name]
    session, messages = base_session(), base_messages()
    clean = render(session, messages, color)
    assert clean and forbidden(clean) == []
    checked = 0
    for path in leaves(session):
        out = render(poisoned(session, path), messages, color)
        assert forbidden(out) == [], f"{name}: session field {path}: {forbidden(out)}"
        checked += 1
    for i, message in enumerate(messages):
        for path in leaves(message):
            changed = list(messages)
            changed[i] = poisoned(message, path)
            out = render(session, changed, color)
            assert forbidden(out) == [], f"{name}: message {i} field {path}: {forbidden(out)}"
            checked += 1
    assert checked > 80
