"""The conversation view in a terminal: customer left, agents right, events centred, streamed."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from typing import IO, Any

from smscli.models import Message
from smscli.render.output import Output
from smscli.render.conversation import CUSTOMER, SYSTEM, Turn, conversation_turn, split_time
from smscli.render.human import PaintedStream
from smscli.render.spans import (
    MUTED,
    PREVIEW_LINES,
    Spans,
    cell_len,
    merge_spans,
    preview,
    rstrip,
    safe_spans,
    truncate,
    wrap,
)
from smscli.render.styles import HEADER, message_style, participant_style

BAR = "\u2502"  # │ beside each bubble, on the speaker's side: the side reads without colour


class ChatWriter:
    """``messages ID --view chat``: the same writer interface as the table."""

    def __init__(self, out: IO[str], options: Output, include_typing: bool = False) -> None:
        self.out = out
        self.options = options
        self.include_typing = include_typing
        self.width = options.width or shutil.get_terminal_size((100, 24)).columns

    def transcript(self, messages: Iterable[Any]) -> int:
        from smscli.render.streams import write_all

        return write_all(self.message_stream(), messages)

    def message_stream(self, live: bool = False) -> ChatStream:
        return ChatStream(self.out, self.options, self.width, live, self.include_typing)


class ChatStream(PaintedStream):
    """Each message painted as it arrives: bubbles on two sides, events centred."""

    def __init__(self, out: IO[str], options: Output, width: int, live: bool = False,
                 include_typing: bool = False) -> None:
        super().__init__(out, options, live)
        self.include_typing = include_typing
        self.width = max(30, width)
        # A bubble takes at most two thirds of the line, so the two sides stay apart.
        self.bubble_width = max(20, self.width * 2 // 3 - 2)
        self.day = ""

    def write(self, m: Message) -> bool:
        if m.is_typing and not self.include_typing:
            return False
        turn = conversation_turn(m)
        day, clock = split_time(self.options.times, m.time)
        lines: list[str] = []
        if day and day != self.day:
            self.day = day
            lines += self._centred([(day, HEADER)], rule=True)
        if turn.side == SYSTEM:
            lines += self._event(turn, clock)
        else:
            lines += self._bubble(turn, clock)
        self.out.write("\n".join(line.rstrip() for line in lines) + "\n")
        return True

    # -- layout ---------------------------------------------------------------------------

    def _event(self, turn: Turn, clock: str) -> list[str]:
        spans: Spans = []
        if turn.visibility_note:
            spans += safe_spans(turn.visibility_note + " ", MUTED)
        spans += self._marked(safe_spans(turn.text, message_style(turn.message.type)))
        tail = [(f" \u00b7 {clock}", MUTED)] if clock else []
        return self._centred(spans, rule=False, tail=tail)

    def _centred(self, spans: Spans, rule: bool, tail: Spans | None = None) -> list[str]:
        """Lines centred on the screen; with ``rule``, between two short rules: ── day ──.

        ``tail`` (an event's time) ends the last line and is never wrapped apart from it.
        """
        tail = tail or []
        tail_width = sum(cell_len(c) for c, _ in tail)
        lines = wrap(spans, self.width - 8)
        if not self.options.full:
            lines = lines[:PREVIEW_LINES]
        if tail:
            last = sum(cell_len(c) for c, _ in lines[-1])
            if last + tail_width > self.width - 8:
                # Rewrap the end so the time fits beside the last words, not on its own line.
                rest = wrap(lines[-1], self.width - 8 - tail_width)
                lines = lines[:-1] + rest
            lines[-1] = lines[-1] + tail
        out = []
        for line in lines:
            merged = merge_spans(line)
            used = sum(cell_len(c) for c, _ in merged)
            text = "".join(self.paint(c, s) for c, s in merged)
            if rule:
                edge = self.paint("\u2500" * 3, MUTED)
                text, used = f"{edge} {text} {edge}", used + 8
            out.append(" " * max(0, (self.width - used) // 2) + text)
        return out

    def _bubble(self, turn: Turn, clock: str) -> list[str]:
        sender_style = participant_style(turn.sender_type)
        name = self._marked(safe_spans(turn.speaker, sender_style))
        if cell_len("".join(c for c, _ in name)) > self.bubble_width - 12:
            name = truncate(name, self.bubble_width - 13) + [("\u2026", MUTED)]
        meta = name + ([(f"  {clock}", MUTED)] if clock else [])
        if turn.typing:
            return [self._typing(name, turn, clock)]
        body = self._body_lines(turn)
        bar = self.paint(BAR, sender_style if sender_style != "none" else MUTED)
        widths = [sum(cell_len(c) for c, _ in line) for line in body]
        painted = ["".join(self.paint(c, s) for c, s in merge_spans(line)) for line in body]
        meta_width = sum(cell_len(c) for c, _ in meta)
        meta_text = "".join(self.paint(c, s) for c, s in merge_spans(meta))
        if turn.side == CUSTOMER:
            return [meta_text] + [f"{bar} {text}" for text in painted]
        # On the right: a block of left-aligned lines whose right edge is the screen's.
        block = max(widths + [meta_width - 2])
        left = max(0, self.width - block - 2)
        out = [" " * max(0, self.width - meta_width) + meta_text]
        out += [" " * left + text + " " * (block - used) + f" {bar}"
                for text, used in zip(painted, widths)]
        return out

    def _typing(self, name: Spans, turn: Turn, clock: str) -> str:
        """A typing event, when asked for: one muted line on the typist's side."""
        spans = name + [(f" {turn.text}", "italic " + MUTED)]
        if clock:
            spans.append((f"  {clock}", MUTED))
        used = sum(cell_len(c) for c, _ in spans)
        text = "".join(self.paint(c, s) for c, s in merge_spans(spans))
        if turn.side == CUSTOMER:
            return f"  {text}"
        return " " * max(0, self.width - used - 2) + text

    def _body_lines(self, turn: Turn) -> list[Spans]:
        kind = turn.message.type
        style = "none" if kind == "Text" else message_style(kind)
        lead = safe_spans(turn.visibility_note + " ", MUTED) if turn.visibility_note else None
        lines = preview(turn.text, style, self.bubble_width, full=self.options.full, lead=lead,
                        mark=self._mark)
        return [rstrip(line) for line in lines] or [[]]

    def _marked(self, spans: Spans) -> Spans:
        """``spans`` with what --highlight matches restyled."""
        return spans if self._mark is None else self._mark(spans)
