"""CSV export: RFC 4180, one row per message, in the column order of ``-o plain``."""

from __future__ import annotations

import csv
import re
from typing import IO, Any

from smscli.models import Message
from smscli.render.base import TimeFormat
from smscli.render.export.common import CSV_COLUMNS
from smscli.safety import escape

# A cell a spreadsheet would run as a formula; a sign before a phone number is not one.
_FORMULA = re.compile(r"[=@\t\r]|[+\-](?![\d\s().\-/\u2022]*$)")


def _csv_cell(text: str) -> str:
    cell = escape(text, keep_newlines=True, keep_tabs=True)
    return "'" + cell if _FORMULA.match(cell) else cell


class CsvWriter:
    """RFC 4180: a header row, CRLF line ends, fields quoted when they need it."""

    def __init__(self, out: IO[str], times: TimeFormat) -> None:
        self.out = out
        self.times = times
        self.rows = csv.writer(out, lineterminator="\r\n")
        self.rows.writerow(CSV_COLUMNS)

    def message(self, raw: Any) -> None:
        m = Message.from_raw(raw)
        sender = m.sender
        self.rows.writerow([
            "" if m.index is None else str(m.index),
            self.times.iso(m.time),
            _csv_cell(sender.type if sender else ""),
            _csv_cell(sender.nickname if sender else ""),
            _csv_cell(m.type),
            _csv_cell(m.visibility),
            _csv_cell(m.body),
        ])

    def close(self) -> None:
        self.out.flush()
