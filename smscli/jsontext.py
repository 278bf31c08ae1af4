"""Any JSON value as display text, in a module light enough for every path (`history search`
loads it; models.py, with its dataclasses, is not loaded there: docs/architecture.md,
"Start-up"). models.py re-exports it."""

from __future__ import annotations

import json
from typing import Any


def as_text(value: Any) -> str:
    """Any JSON value as display text: strings as they are, null as empty, the rest as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
