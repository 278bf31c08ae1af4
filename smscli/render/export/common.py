"""What the export formats share: their options, server text made safe for a file, and the
facts a document's header shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smscli.models import Session
from smscli.render.base import TimeFormat
from smscli.safety import segments

CSV_COLUMNS = ("index", "time", "from_type", "from", "type", "visibility", "text")


@dataclass(frozen=True, slots=True)
class ExportOptions:
    times: TimeFormat = field(default_factory=TimeFormat)
    redact: bool = False
    include_typing: bool = False


# -- text that is safe in a file -------------------------------------------------------------

# Unicode noncharacters are not text either, and make an HTML file invalid.
NONCHARACTERS = re.compile("[\ufdd0-\ufdef\ufffe\uffff]")


def inert_segments(text: str) -> list[tuple[str, bool]]:
    """Server text as (chunk, escaped) pairs: controls, bidi and zero-width made visible."""
    text = NONCHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return segments(text, keep_newlines=True, keep_tabs=True)


# -- the header both documents share ------------------------------------------------------

_GROUPS = (("Customer", "Customer"), ("Agent", "Agents"), ("External", "External"))


def header_facts(session: Session, options: ExportOptions) -> list[tuple[str, str]]:
    facts = [("State", session.state or "-"),
             ("Received", options.times.human(session.received) or "-")]
    for kind, label in _GROUPS:
        names = session.nicknames(kind)
        if names:
            facts.append((label, ", ".join(names)))
    others = [f"{p.nickname} ({p.type})" for p in session.participants
              if p.type not in dict(_GROUPS)]
    if others:
        facts.append(("Others", ", ".join(others)))
    return facts


REDACTED_NOTE = ("phone numbers, e-mail addresses and long digit runs are masked; "
                 "the last four digits are kept")
