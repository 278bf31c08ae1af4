"""Times on the command line, one parser for every command: a span back from now (``90s``,
``10m``, ``2h``, ``7d``, ``2w``, or several: ``1h30m``) or a date and time (ISO 8601; without
an offset: the machine's zone, as the times shown are). ``tail --since`` and the history
commands' ``--since``/``--until`` read them here, and say the same when one means nothing.

Light on purpose: ``history search`` runs it before Typer loads (archive/quick.py).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from smscli.errors import UsageError

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_TERM = re.compile(r"(\d+(?:\.\d+)?)\s*(min|s|m|h|d|w)", re.ASCII | re.IGNORECASE)
_SPAN = re.compile(rf"(?:{_TERM.pattern}\s*)+", re.ASCII | re.IGNORECASE)


def _span(text: str) -> float | None:
    spec = text.strip()
    if not _SPAN.fullmatch(spec):
        return None
    return sum(float(amount) * _UNITS[unit.lower()] for amount, unit in _TERM.findall(spec))


def span_seconds(text: str, option: str) -> float:
    """A span of time (``90d``, ``12h``, ``1h30m``) in seconds; a UsageError otherwise."""
    seconds = _span(text)
    if seconds is None:
        raise UsageError(f"{option} {text!r} is not a span of time",
                         "write it like 90d, 12h, 30m, 1h30m or 2w")
    return seconds


def parse_moment(text: str, option: str, now: datetime | None = None) -> datetime:
    """A point in time, timezone-aware: a span back from ``now`` or a date and time."""
    seconds = _span(text)
    if seconds is not None:
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r} is neither a span of time nor a date",
                         "write a span back from now like 30s, 10m, 2h, 7d or 1h30m, or a "
                         "date and time like 2026-12-01 or '2026-12-01 08:30'") from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def moment_ms(text: str, option: str, now: float | None = None) -> int:
    """``parse_moment`` as epoch milliseconds (``now``: seconds since the epoch)."""
    at = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return int(parse_moment(text, option, at).timestamp() * 1000)
