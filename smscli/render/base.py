"""The render layer's base types: the colour rule, time formats and the writer protocols.
Every render module imports these from here; `smscli.render` re-exports them for the rest
of the program, with `Output` (render/output.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Protocol, runtime_checkable

from smscli.values import Frozen


def color_enabled(choice: str, isatty: bool, environ: dict[str, str] | None = None) -> bool:
    """The colour rule (README, "Output"): flag, NO_COLOR, FORCE_COLOR/CLICOLOR_FORCE,
    TERM=dumb, tty."""
    env = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    if any(env.get(var, "") not in ("", "0") for var in ("FORCE_COLOR", "CLICOLOR_FORCE")):
        return True
    if env.get("TERM") == "dumb":
        return False
    return isatty


class TimeFormat(Frozen):
    """Where times are shown: the local zone by default, UTC, or a named zone. (Not a
    dataclass: `history search` loads this module; see smscli/values.py.)"""

    __slots__ = ("zone",)
    zone: tzinfo | None  # None: the machine's local zone

    def __init__(self, zone: tzinfo | None = None) -> None:
        self._set(zone=zone)

    @classmethod
    def from_options(cls, utc: bool, tz_name: str | None) -> TimeFormat:
        if utc or (tz_name or "").upper() == "UTC":
            return cls(timezone.utc)
        if tz_name:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                return cls(ZoneInfo(tz_name))
            except (ZoneInfoNotFoundError, ValueError):
                from smscli.errors import UsageError

                raise UsageError(f"unknown time zone {tz_name!r}",
                                 "use an IANA name such as Europe/Paris, or --utc") from None
        return cls(None)

    def convert(self, moment: datetime) -> datetime:
        try:
            return moment.astimezone(self.zone)
        except (OverflowError, ValueError):
            return moment  # at the calendar's very ends: keep the server's own offset

    def human(self, moment: datetime | None) -> str:
        return "" if moment is None else self.convert(moment).strftime("%Y-%m-%d %H:%M:%S")

    def iso(self, moment: datetime | None) -> str:
        return "" if moment is None else self.convert(moment).isoformat(timespec="milliseconds")

    @staticmethod
    def relative(moment: datetime | None, now: datetime | None = None) -> str:
        """How long ago, as a person says it: "just now", "3 min ago", "2 h ago", "5 d ago"."""
        if moment is None:
            return ""
        now = now or datetime.now(timezone.utc)
        try:
            seconds = (now - moment).total_seconds()
        except OverflowError:
            return ""
        future = seconds < 0
        seconds = abs(seconds)
        if seconds < 45:
            return "just now"
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
            if seconds >= size:
                amount = round(seconds / size)
                return f"in {amount} {unit}" if future else f"{amount} {unit} ago"
        return "just now"


# A GWS timestamp in its usual shape: date, separator, hour, then minutes, seconds and
# milliseconds, then the offset (2016-01-20 14:24:10.000+0200, or ISO with T, Z, +02:00).
_USUAL_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:[0-5]\d:[0-5]\d\.\d{3}"
                         r"(?:[+-]\d\d:?\d\d|Z)", re.ASCII)
_LAST_MILLI_OF_HOUR = timedelta(minutes=59, seconds=59, milliseconds=999)
MILLISECOND_TEXTS = frozenset(f"{n:03d}" for n in range(1000))  # three ASCII digits


class TimeTexts:
    """``TimeFormat.iso`` and ``human`` of a message's time fields, for one transcript.

    The same text as ``times.iso(parse_timestamp(text, epoch_ms))``, several times faster:
    a transcript's timestamps share their hour, offset and shape, so the hour is converted
    to the display zone once and each message adds its own minutes, seconds and milliseconds.
    That holds when the hour converts to a whole hour and the zone keeps one offset through
    it (checked at its first and last millisecond: zone transitions are hours apart). Any
    other text (another shape, a half-hour zone, an hour with a transition, only epoch
    milliseconds) takes the general path. Lives as long as one stream: the local zone is
    read afresh by the next one.

    A text is known to have the usual shape without the regular expression when its hour
    (all but the minutes, seconds and milliseconds) is one the expression already accepted
    and those nine characters are too: minutes and seconds ("MM:SS.") one of those already
    seen in an accepted text, milliseconds three ASCII digits. Together they spell a text the
    expression accepts, at about half its cost.
    """

    def __init__(self, times: TimeFormat) -> None:
        from smscli.models import parse_timestamp

        self.times = times
        self._parse = parse_timestamp
        # Keyed by text[:14] + text[23:] of texts of the usual shape only; None for an hour
        # whose minutes do not carry over.
        self._hours: dict[str, tuple[str, str, str] | None] = {}
        self._minutes: set[str] = set()  # text[14:20] of accepted texts: at most 3,600

    def _usual(self, text: str) -> tuple[str, str, str] | None:
        """The hour of a text of the usual shape (``_hour``), or None: another shape, or an
        hour whose minutes do not carry over."""
        if not _USUAL_TIME.fullmatch(text):
            return None
        self._minutes.add(text[14:20])
        return self._hour(text)

    def _hour(self, text: str) -> tuple[str, str, str] | None:
        """For the hour of ``text``: the start and end of its ISO text, and the start of its
        human text; None when its minutes do not carry over unchanged."""
        key = text[:14] + text[23:]
        if key in self._hours:
            return self._hours[key]
        if len(self._hours) >= 4096:
            self._hours.clear()  # a bound, for a transcript that spans years
        found = None
        start = self._parse(text[:14] + "00:00.000" + text[23:])
        if start is not None:
            try:
                first = self.times.convert(start)
                last = self.times.convert(start + _LAST_MILLI_OF_HOUR)
                whole = (first.minute == first.second == first.microsecond == 0
                         and first.utcoffset() == last.utcoffset()
                         and last.replace(tzinfo=None) - first.replace(tzinfo=None)
                         == _LAST_MILLI_OF_HOUR)
            except (OverflowError, ValueError):
                whole = False
            if whole:
                iso = first.isoformat(timespec="milliseconds")
                human = first.strftime("%Y-%m-%d %H:%M:%S")
                found = (iso[:14], iso[23:], human[:-5])
        self._hours[key] = found
        return found

    def usual_hour(self, text: str) -> tuple[str, str, str, str] | None:
        """For a caller's own loop over many texts (render/plain.py, PlainStream): the hour
        of ``text`` once ``iso`` or ``human`` has taken a text of that hour in the usual
        shape, as (``text[:14]``, ``text[23:]``, the start and the end of its ISO text);
        else None. Any text with those two slices, its ``[14:20]`` in ``minute_texts`` and
        its ``[20:23]`` in ``MILLISECOND_TEXTS`` has the usual shape, and its ``iso`` is the
        ISO start + ``text[14:23]`` + the ISO end."""
        hour = self._hours.get(text[:14] + text[23:])
        return None if hour is None else (text[:14], text[23:], hour[0], hour[1])

    @property
    def minute_texts(self) -> set[str]:
        """The "MM:SS." of the texts taken in the usual shape (see ``usual_hour``)."""
        return self._minutes

    def iso(self, text: Any, epoch_ms: Any = None) -> str:
        if type(text) is str:
            # Known hour (a key of 15 characters or more: 23 or more in the text, so the
            # slices below are whole), known "MM:SS.", three ASCII digits: the usual shape.
            hour = self._hours.get(text[:14] + text[23:])
            if hour is not None and text[14:20] in self._minutes and text.isascii() \
                    and text[20:23].isdigit():
                return hour[0] + text[14:23] + hour[1]
            hour = self._usual(text)
            if hour is not None:
                return hour[0] + text[14:23] + hour[1]
        return self.times.iso(self._parse(text, epoch_ms))

    def human(self, text: Any, epoch_ms: Any = None) -> str:
        if type(text) is str:
            hour = self._hours.get(text[:14] + text[23:])
            if hour is not None and text[14:20] in self._minutes and text.isascii() \
                    and text[20:23].isdigit():
                return hour[2] + text[14:19]
            hour = self._usual(text)
            if hour is not None:
                return hour[2] + text[14:19]
        return self.times.human(self._parse(text, epoch_ms))


class MessageStream(Protocol):
    """Where a transcript goes one message at a time: every writer of every format has one
    (table, chat, plain, ndjson, json, export, redaction)."""

    def message(self, raw: Any) -> None: ...
    def event(self, record: Any) -> None: ...
    def close(self) -> None: ...


class TranscriptWriter(Protocol):
    """What writes a transcript: all at once (a dump), or a stream (a follow)."""

    def transcript(self, messages: Iterable[Any]) -> int: ...
    def message_stream(self, live: bool = False) -> MessageStream: ...


@runtime_checkable
class PageWriter(TranscriptWriter, Protocol):
    """A transcript writer that also takes the transcript a page (a list) at a time: the
    machine formats, which then make no Python call a message (cli/messages.py, _dump)."""

    def transcript_pages(self, pages: Iterable[list]) -> int: ...


class Renderer(TranscriptWriter, Protocol):
    def session_list(self, sessions: list[Any]) -> None: ...
    def session_detail(self, session: Any) -> None: ...
