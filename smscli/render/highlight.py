"""``--highlight TEXT`` and ``--highlight-regex RE``: where they match in the text as shown.

Matches are looked for in the text a writer shows, after safety.py made it inert (the
joined chunks of `spans.safe_spans`), and only restyle spans (`spans.restyle`): a match
can neither build nor split a live escape sequence, whatever the server sent. The ranges
of every pattern, overlapping or not, are merged into one union.

Plain text is found with the standard library (case-insensitive); a regular expression
with the ``regex`` package, imported only when one is given, for its time limit: a
pattern that backtracks without end (``(a|aa)+$``) gives up on that text after
REGEX_TIMEOUT seconds, the text is shown without highlights and a warning is said once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from smscli.render.spans import Spans, restyle

REGEX_TIMEOUT = 0.1  # seconds for one pattern over one text
GIVE_UP_AFTER = 3  # a pattern that times out on this many texts is dropped for the run


class HighlightError(ValueError):
    """A pattern that cannot be used: a usage error (exit 2)."""


class Highlighter:
    """The highlights of one run: ``mark(spans)`` restyles every match."""

    def __init__(self, texts: Sequence[str] = (), regexes: Sequence[str] = (),
                 warn: Callable[[str], None] | None = None) -> None:
        for text in texts:
            if not text:
                raise HighlightError("--highlight: the text to mark is empty")
        # Longest first: at each position the alternation then takes the longest text that
        # starts there, whose range holds every shorter one's. The lookahead finds matches
        # at every position, so overlapping ones ("aa" in "aaa") are all found.
        ordered = sorted(set(texts), key=len, reverse=True)
        self._plain = (re.compile("(?=(" + "|".join(map(re.escape, ordered)) + "))",
                                  re.IGNORECASE) if ordered else None)
        self._regexes: list[Any] = []
        self._sources: list[str] = []
        if regexes:
            import regex

            for source in regexes:
                try:
                    compiled = regex.compile(source, regex.VERSION0)
                except (regex.error, ValueError, TypeError, OverflowError) as exc:
                    raise HighlightError(f"--highlight-regex: {source!r} is not a regular "
                                         f"expression: {exc}") from None
                self._regexes.append(compiled)
                self._sources.append(source)
        self._timeouts = [0] * len(self._regexes)
        self.warn = warn
        self._warned = False

    def __bool__(self) -> bool:
        return self._plain is not None or bool(self._regexes)

    def ranges(self, text: str) -> list[tuple[int, int]]:
        """Where the patterns match ``text``: sorted ranges, merged where they touch or
        overlap; none at all when a regular expression ran out of time on it."""
        found: list[tuple[int, int]] = []
        if self._plain is not None:
            found += [(m.start(), m.start() + len(m.group(1))) for m in
                      self._plain.finditer(text) if m.group(1)]
        for i, pattern in enumerate(self._regexes):
            if self._timeouts[i] >= GIVE_UP_AFTER:
                continue
            try:
                found += [m.span() for m in pattern.finditer(text, overlapped=True,
                                                             timeout=REGEX_TIMEOUT)
                          if m.end() > m.start()]
            except TimeoutError:
                self._timed_out(i)
                return []
        return _union(found)

    def mark(self, spans: Spans) -> Spans:
        """``spans`` with every match restyled; the same list when nothing matches."""
        ranges = self.ranges("".join(chunk for chunk, _ in spans))
        return restyle(spans, ranges) if ranges else spans

    def _timed_out(self, index: int) -> None:
        self._timeouts[index] += 1
        if self._warned or self.warn is None:
            return
        self._warned = True
        self.warn(f"--highlight-regex {self._sources[index]} took over {REGEX_TIMEOUT:g} s on "
                  f"a text, which is shown without highlights (after {GIVE_UP_AFTER} such "
                  "texts the pattern is dropped)")


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
