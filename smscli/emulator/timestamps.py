"""GWS timestamps (``yyyy-MM-dd HH:mm:ss.SSS+hhmm``): formatting, parsing, per-session style."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})([ T])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([+-])(\d{2}):?(\d{2})"
)


def now_ms() -> int:
    """Current time as epoch milliseconds, the unit GWS puts in ``timestampSeconds``."""
    return time.time_ns() // 1_000_000


def fixed_offset(hours: int, minutes: int = 0) -> timezone:
    """A fixed UTC offset such as +0200 or -0800."""
    sign = -1 if hours < 0 else 1
    return timezone(sign * timedelta(hours=abs(hours), minutes=minutes))


@dataclass(frozen=True)
class TimestampStyle:
    """How one session writes its timestamps: the UTC offset and the date/time separator."""

    tz: timezone
    separator: str = " "

    def format(self, epoch_ms: int) -> str:
        """Render epoch milliseconds in this style, e.g. ``2016-01-20 14:24:10.000+0200``."""
        seconds, millis = divmod(epoch_ms, 1000)
        offset_s = int((self.tz.utcoffset(None) or timedelta(0)).total_seconds())
        # gmtime of the shifted instant is several times faster than datetime formatting,
        # which matters when synthetic transcripts format 100,000 timestamps.
        wall = time.strftime(f"%Y-%m-%d{self.separator}%H:%M:%S", time.gmtime(seconds + offset_s))
        sign = "-" if offset_s < 0 else "+"
        hours, minutes = divmod(abs(offset_s) // 60, 60)
        return f"{wall}.{millis:03d}{sign}{hours:02d}{minutes:02d}"

    @classmethod
    def local(cls) -> TimestampStyle:
        """The machine's current UTC offset with the space separator GWS normally uses."""
        offset = datetime.now().astimezone().utcoffset() or timedelta(0)
        return cls(timezone(offset))


def parse_timestamp(text: str) -> tuple[int, TimestampStyle] | None:
    """Epoch milliseconds and style of a GWS timestamp, or None when it is not one."""
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, separator, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    try:
        tz = timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz
        )
    except ValueError:  # out-of-range fields such as month 13 or an offset beyond 24 hours
        return None
    millis = int((fraction or "0").ljust(3, "0")[:3])
    epoch_ms = round(moment.timestamp()) * 1000 + millis
    return epoch_ms, TimestampStyle(tz, separator)
