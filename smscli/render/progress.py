"""Progress of a long dump on stderr: shown only after half a second, and only on a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any


def with_progress(items: Iterable[Any], stream: IO[str] | None = None, *, delay: float = 0.5,
                  every: float = 0.2, what: str = "messages") -> Iterator[Any]:
    """Yield items; past ``delay`` seconds keep one line on ``stream`` with the count and rate."""
    out = stream or sys.stderr
    start = time.monotonic()
    next_update = start + delay
    count = 0
    shown = False
    try:
        for item in items:
            count += 1
            now = time.monotonic()
            if now >= next_update:
                rate = count / (now - start)
                out.write(f"\r{count:,} {what} fetched ({rate:,.0f}/s)\x1b[K")
                out.flush()
                shown = True
                next_update = now + every
            yield item
    finally:
        if shown:
            out.write("\r\x1b[K")  # leave the terminal as it was
            out.flush()
