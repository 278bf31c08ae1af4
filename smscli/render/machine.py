"""Machine formats: JSON as the server sent it and ndjson one object per line (plain TSV is
render/plain.py; the JSON text itself render/codec.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import IO, Any

from smscli.render.codec import compact_json, compact_server_json, dumps_json, lines_server
from smscli.render.streams import FLUSH_EVERY_S, write_all, write_pages


class JsonWriter:
    """One JSON document per invocation: an array for lists and transcripts."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def session_list(self, sessions: list[Any]) -> None:
        self.out.write(dumps_json(sessions, indent=2) + "\n")

    def session_detail(self, session: Any) -> None:
        self.out.write(dumps_json(session, indent=2) + "\n")

    def transcript(self, messages: Iterable[Any]) -> int:
        # Streamed element by element so a long transcript never sits in memory.
        return write_all(self.message_stream(), messages)

    def transcript_pages(self, pages: Iterable[list]) -> int:
        return write_pages(self.message_stream(), pages)

    def message_stream(self, live: bool = False) -> JsonArrayStream | NdjsonStream:
        """A dump is one JSON array; a live follow never ends, so it is ndjson (README)."""
        return NdjsonStream(self.out, live=True) if live else JsonArrayStream(self.out)


class NdjsonWriter:
    """One compact JSON object per line, flushed per line so ``jq`` sees each at once."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def _line(self, value: Any) -> None:
        self.out.write(compact_server_json(value) + "\n")
        self.out.flush()

    def session_list(self, sessions: list[Any]) -> None:
        for session in sessions:
            self._line(session)

    def session_detail(self, session: Any) -> None:
        self._line(session)

    def transcript(self, messages: Iterable[Any]) -> int:
        return write_all(self.message_stream(), messages)

    def transcript_pages(self, pages: Iterable[list]) -> int:
        return write_pages(self.message_stream(), pages)

    def message_stream(self, live: bool = False) -> NdjsonStream:
        return NdjsonStream(self.out, live)


class JsonArrayStream:
    """A JSON array written element by element; nothing before the first, so errors leave none.

    Elements are held back and written a batch at a time, as the text stream's own buffer
    would hold them, and encoded a batch at a time (``lines_server``: a compact element has
    no newline of its own, so its lines joined by ",\\n" are the elements joined by it).
    """

    BATCH = 256

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.count = 0
        self._written = 0
        self._items: list[Any] = []

    def message(self, raw: Any) -> None:
        self._items.append(raw)
        self.count += 1
        if len(self._items) >= self.BATCH:
            self.drain()

    def messages(self, page: list) -> None:
        """A page of elements, written as the elements one by one would be."""
        self.drain()
        self.count += len(page)
        self._write(page)

    def drain(self) -> None:
        """Write the elements held back for the next batch."""
        self._write(self._items)
        self._items.clear()

    def _write(self, items: list) -> None:
        if items:
            lines = lines_server(items)[:-1].replace("\n", ",\n")
            self.out.write(("[\n" if self._written == 0 else ",\n") + lines)
            self._written += len(items)

    def event(self, record: Any) -> None:
        pass  # events are ndjson-only records

    def close(self) -> None:
        self.drain()
        self.out.write("\n]\n" if self.count else "[]\n")


class NdjsonStream:
    """One object per line; follow events are records of their own.

    Live (``--follow``), every line is written and flushed at once. A dump holds lines back
    and writes them together, flushed at least every 50 ms, so a reader such as ``jq`` sees
    lines promptly without costing a write per line.
    """

    BATCH = 256

    def __init__(self, out: IO[str], live: bool = False) -> None:
        self.out = out
        self.live = live
        self._next_flush = 0.0
        self._items: list[Any] = []  # messages held back, encoded together (lines_server)

    def message(self, raw: Any) -> None:
        items = self._items
        items.append(raw)
        if self.live:
            self.drain()
            self.out.flush()
            return
        now = time.monotonic()
        if now >= self._next_flush:
            self.drain()
            self.out.flush()
            self._next_flush = now + FLUSH_EVERY_S
        elif len(items) >= self.BATCH:
            self.drain()

    def messages(self, page: list) -> None:
        """A page of messages: its lines encoded in one call, written and flushed."""
        if self.live:
            for raw in page:
                self.message(raw)
            return
        self.drain()
        if page:
            self.out.write(lines_server(page))
            self.out.flush()

    def drain(self) -> None:
        """Write the lines held back for the next batch."""
        if self._items:
            self.out.write(lines_server(self._items))
            self._items.clear()

    def event(self, record: Any) -> None:
        """A follow event: a record smscli made, so json writes it (its floats are plain)."""
        self.drain()
        self.out.write(compact_json(record) + "\n")
        if self.live:
            self.out.flush()

    def close(self) -> None:
        self.drain()
        self.out.flush()


# The columns of a message in ``-o plain``: a contract for scripts (``cut -f``), in the order
# of the CSV export. Columns added later go after the last one.
