"""Times on the command line: a span back from now (90d, 2h, 30m) or a date and time."""

from __future__ import annotations

import re
import time
from datetime import datetime

from smscli.errors import UsageError

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SPAN = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)", re.ASCII)


def span_seconds(text: str, option: str) -> float:
    """``90d``, ``2h``, ``30m``, ``45s``, ``1w`` as seconds; a UsageError otherwise."""
    found = _SPAN.fullmatch(text.strip().lower())
    if not found:
        raise UsageError(f"{option} {text!r} is not a span of time",
                         "write it like 90d, 12h, 30m or 2w")
    return float(found.group(1)) * _UNITS[found.group(2)]


def moment_ms(text: str, option: str, now: float | None = None) -> int:
    """A point in time as epoch ms: a span back from now (``2h``), or an ISO date or date and
    time (``2026-12-01``, ``2026-12-01 08:30``, with an offset or in the local zone)."""
    now = time.time() if now is None else now
    if _SPAN.fullmatch(text.strip().lower()):
        return int((now - span_seconds(text, option)) * 1000)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r} is neither a date nor a span of time",
                         "write 2026-12-01, '2026-12-01 08:30', or a span like 2h or 7d"
                         ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the machine's zone, as the times shown are
    return int(moment.timestamp() * 1000)
