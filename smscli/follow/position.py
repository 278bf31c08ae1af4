"""How far one session's transcript has been taken in, shared by the follow and tail engines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smscli.models import message_key, positive_index


@dataclass
class Position:
    """The highest index taken in, the messages taken in at that index, and every message
    taken in so far (docs/gws-notes.md, "Paging": identity, never the index alone).

    A re-read starts at ``start`` (the last index, not after it: more messages can share an
    index) and skips what ``knows``; an index above ``last_index + 1`` is a gap to fill.
    """

    last_index: int = 0
    tail_keys: set[tuple] = field(default_factory=set)
    seen: set[tuple] = field(default_factory=set)

    @classmethod
    def resumed(cls, last_index: int, tail_keys: Iterable[tuple]) -> Position:
        """A position kept elsewhere (a cursor file, an archive): the messages at
        ``last_index`` are known, those before it are behind the next read's start."""
        keys = set(tail_keys)
        return cls(last_index, keys, set(keys))

    @property
    def start(self) -> int:
        """The startIndex of the next read (0 and 1 are the same to GWS)."""
        return max(self.last_index, 1)

    def knows(self, raw: Any) -> bool:
        return message_key(raw) in self.seen

    def jumps(self, raw: Any) -> bool:
        """Whether ``raw`` leaves a gap after what was taken in: an index past the next one."""
        index = positive_index(raw)
        return index is not None and index > self.last_index + 1

    def mark(self, raw: Any) -> None:
        """Take ``raw`` in."""
        key = message_key(raw)
        self.seen.add(key)
        index = positive_index(raw)
        if index is not None and index > self.last_index:
            self.last_index = index
            self.tail_keys = {key}
        else:
            self.tail_keys.add(key)
