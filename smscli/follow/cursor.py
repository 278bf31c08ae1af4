"""A follow's last printed position, kept in a file so a later run resumes without gap or repeat."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from smscli.errors import UsageError
from smscli.files import interrupt_deferred, write_private

VERSION = 1


@dataclass
class Cursor:
    path: Path
    session_id: str
    last_index: int = 0
    tail_keys: set[tuple] = field(default_factory=set)  # printed messages at last_index

    @classmethod
    def load(cls, path: Path, session_id: str) -> Cursor:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path, session_id)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read cursor file {path}: {exc}",
                             "remove it to start from the beginning") from None
        if not isinstance(document, dict) or document.get("version") != VERSION:
            raise UsageError(f"{path} is not an smscli cursor file",
                             "give another --cursor-file path")
        if document.get("session") != session_id:
            # A cursor belongs to one session; another session starts afresh in the same file.
            return cls(path, session_id)
        keys = {tuple(str(part) for part in key) for key in document.get("tailKeys", [])
                if isinstance(key, list)}
        index = document.get("lastIndex")
        return cls(path, session_id, index if isinstance(index, int) else 0, keys)

    @property
    def has_position(self) -> bool:
        return self.last_index > 0 or bool(self.tail_keys)

    def save(self, last_index: int, tail_keys: set[tuple]) -> None:
        """Write atomically (temporary file, then rename) so a crash never leaves half a file,
        and whole even when Ctrl-C comes during it: the line it records is already printed, so
        the interrupt waits for the write (a next run would print that line again)."""
        self.last_index, self.tail_keys = last_index, set(tail_keys)
        document = {"version": VERSION, "session": self.session_id, "lastIndex": last_index,
                    "tailKeys": sorted(list(key) for key in tail_keys)}
        with interrupt_deferred():
            write_private(self.path, json.dumps(document))
