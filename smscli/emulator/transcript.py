"""One session's transcript, kept as encoded JSON and paged by GWS startIndex/count rules."""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# Returns the encoded JSON of the message whose index is the argument; it lets huge synthetic
# transcripts exist without holding their messages in memory.
MessageEncoder = Callable[[int], bytes]


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, the way the emulator puts every document on the wire."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (legal as a JSON escape, illegal in UTF-8) can arrive in a client's
        # text; ASCII escapes keep the document valid and the text exactly as it was sent.
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def join_json_array(chunks: list[bytes]) -> bytes:
    """A JSON array from already-encoded elements, without decoding them again."""
    return b"[" + b",".join(chunks) + b"]"


@dataclass(frozen=True)
class TranscriptPage:
    """A selected run of messages; generated ones are built only when read, outside any lock."""

    encoder: MessageEncoder | None
    generated_indexes: range
    stored: list[bytes]

    def chunks(self) -> list[bytes]:
        """Each message as encoded JSON, in transcript order."""
        return [*self._generated_chunks(), *self.stored]

    def messages(self) -> list[dict[str, Any]]:
        """Fresh message dicts, decoded from exactly the bytes a client would receive."""
        messages: list[dict[str, Any]] = json.loads(join_json_array(self.chunks()))
        return messages

    def _generated_chunks(self) -> Iterator[bytes]:
        if self.encoder is not None:
            yield from map(self.encoder, self.generated_indexes)


class Transcript:
    """Messages in arrival order: an optional generated prefix (indexes 1..N), then stored ones.

    Not thread-safe on its own; EmulatorState guards it with its lock.
    """

    def __init__(self, encoder: MessageEncoder | None = None, generated_count: int = 0) -> None:
        if generated_count < 0:
            raise ValueError("generated_count must not be negative")
        self._encoder = encoder
        self._generated = generated_count if encoder is not None else 0
        self._stored: list[bytes] = []
        # Effective index per stored message, kept non-decreasing so paging can bisect it.
        self._effective: list[int] = []
        self._max_index = self._generated

    def __len__(self) -> int:
        return self._generated + len(self._stored)

    @property
    def next_index(self) -> int:
        """The index GWS would give the next message: highest positive index so far plus one."""
        return self._max_index + 1

    def append(self, message: dict[str, Any]) -> bytes:
        """Store a complete message and return its encoded form."""
        encoded = encode_json(message)
        index = message.get("index")
        if isinstance(index, int) and not isinstance(index, bool) and index > 0:
            self._max_index = max(self._max_index, index)
        # A non-positive index (TranscriptSaveDone carries -1) rides with the message before it;
        # taking the running maximum also keeps out-of-order indexes from breaking the bisect.
        self._effective.append(self._max_index)
        self._stored.append(encoded)
        return encoded

    def page(self, start_index: int, count: int) -> TranscriptPage:
        """Up to ``count`` messages (0 = all) from the first with effective index >= start_index."""
        if start_index < 0 or count < 0:
            raise ValueError("start_index and count must not be negative")
        position = self._first_position(start_index)
        total = len(self)
        end = total if count == 0 else min(total, position + count)
        generated_end = min(end, self._generated)
        return TranscriptPage(
            encoder=self._encoder,
            generated_indexes=range(position + 1, generated_end + 1),
            stored=self._stored[max(0, position - self._generated) : max(0, end - self._generated)],
        )

    def _first_position(self, start_index: int) -> int:
        # startIndex 0 and 1 both mean "from the start", which also returns leading messages
        # that have no positive index yet (their effective index is 0).
        if start_index <= 1:
            return 0
        if start_index <= self._generated:
            return start_index - 1
        return self._generated + bisect.bisect_left(self._effective, start_index)
