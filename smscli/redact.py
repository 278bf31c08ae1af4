"""Mask phone numbers, e-mail addresses and long digit runs, keeping the last digits to match."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

MASK = "\u2022"  # •
KEEP_DIGITS = 4  # the last four digits stay, so "…0958" can still be matched to a customer
MIN_DIGITS = 7  # fewer digits than this is an ordinary number: an order, a year, a price

# Separators inside one number: spaces (also no-break and thin ones), dots, slashes, hyphens
# and dashes; parentheses around an area code are handled apart.
_SPACE = "[ \u00a0\u2009\u202f]"
_JOIN = "[ \u00a0\u2009\u202f./\\-\u2010-\u2015]"
_SEP = rf"(?:{_SPACE}?\){_JOIN}?\(?|{_JOIN}\(?|\()"

# A masked digit still counts as a digit where a match may begin or end, so that masking
# never uncovers a new match: redacting twice changes nothing more.
_DIGIT_AFTER = "(?![\\d\u2022])"
_NOT_ALNUM_BEFORE = "(?<![^\\W_])(?<!\u2022)"
_NOT_ALNUM_AFTER = "(?![^\\W_]|\u2022)"

# Text that looks like a number but is not personal data, kept as it is. None of these can
# hold more than six digits in a row, so everything with seven or more is still masked.
_DATE = (r"(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
         r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)\d\d"
         r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)\d\d")
_TIME = (r"(?:[01]?\d|2[0-4]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,6})?)?"
         r"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?")
_PROTECTED = (
    rf"(?:{_DATE})(?:[T ]{_TIME})?{_DIGIT_AFTER}"  # 2026-11-29, 2026-11-30 01:47:03.927+0200
    rf"|{_TIME}{_DIGIT_AFTER}"  # 14:05, 14:05:59
    rf"|(?:19|20)\d\d ?[-\u2013] ?(?:19|20)\d\d{_DIGIT_AFTER}"  # 2020-2026
    rf"|[£$€¥₹] ?\d{{1,6}}(?:[,.' ]\d{{3}})*(?:[.,]\d{{1,2}})?{_DIGIT_AFTER}"  # £7.50, $1,299.00
    rf"|\d{{1,6}}(?:[,.' ]\d{{3}})*(?:[.,]\d{{1,2}})? ?(?:[£$€¥₹]|EUR|USD|GBP|CHF)"
    rf"{_NOT_ALNUM_AFTER}"  # 12,50 €
    rf"|(?<![\d.\u2022])\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?![\d.\u2022])"  # an IPv4 address, e.g. in a server uri
)
_EMAIL = (rf"{_NOT_ALNUM_BEFORE}(?<![.%+\-@])(?P<local>[\w.%+\-]+)@"
          r"(?P<domain>(?:[^\W_]|-)+(?:\.(?:[^\W_]|-)+)*\.[^\W\d_]{2,})")
# IBAN: two letters, two check digits, 11 to 30 more letters and digits, maybe in groups of 4.
_IBAN = (rf"{_NOT_ALNUM_BEFORE}[A-Z]{{2}}\d\d(?: ?[A-Z0-9]{{4}}){{2,7}}(?: ?[A-Z0-9]{{1,4}})?"
         rf"{_NOT_ALNUM_AFTER}(?!{_SEP}[\d\u2022])")
_NUMBER = (rf"{_NOT_ALNUM_BEFORE}(?:\+{_SPACE}?)?\(?\d+"
           rf"(?:{_SEP}(?!{_PROTECTED})\d+)*\)?{_NOT_ALNUM_AFTER}")
_PATTERN = re.compile(
    rf"(?P<email>{_EMAIL})|(?P<iban>{_IBAN})"
    rf"|(?P<kept>{_NOT_ALNUM_BEFORE}(?:{_PROTECTED}))|(?P<number>{_NUMBER})"
)
_NUMBERS_ONLY = re.compile(_NUMBER)
_MAX_PASSES = 8


def _mask_last(text: str, keep: int, is_secret: Any) -> str:
    """Every character for which ``is_secret`` holds becomes a bullet, except the last ``keep``."""
    secret = sum(1 for ch in text if is_secret(ch))
    hide = secret - keep
    out = []
    for ch in text:
        if hide > 0 and is_secret(ch):
            out.append(MASK)
            hide -= 1
        else:
            out.append(ch)
    return "".join(out)


def _mask_number(match: re.Match[str]) -> str:
    text = match.group()
    if sum(1 for ch in text if ch.isdecimal()) < MIN_DIGITS:
        return text
    return _mask_last(text, KEEP_DIGITS, str.isdecimal)


def _replace(match: re.Match[str]) -> str:
    if match.group("email") is not None:
        local, domain = match.group("local"), match.group("domain")
        return f"{local[0]}{MASK * 3}@{_NUMBERS_ONLY.sub(_mask_number, domain)}"
    if match.group("iban") is not None:
        return _mask_last(match.group(), KEEP_DIGITS, str.isalnum)
    if match.group("kept") is not None:
        return match.group()
    return _mask_number(match)


def redact_text(text: str) -> str:
    """Text with phone numbers, e-mail addresses, IBANs and long digit runs masked.

    A number of seven or more digits (phone numbers in any usual notation, card and account
    numbers, also split by spaces, dots, dashes or parentheses) keeps its last four digits
    and its separators: ``+44 20 7946 0958`` becomes ``+•• •• •••• 0958``. An e-mail
    address keeps its first character and its domain: ``j•••@example.com``. Dates, times,
    prices, IPv4 addresses, short numbers and digits inside words (ids such as
    ``0000Wa9CAM6W00FN``) are kept. Redacting twice changes nothing more.
    """
    if not any(ch.isdecimal() or ch == "@" for ch in text):
        return text  # the common case: nothing that could be masked
    # Masking only ever hides characters, so this ends; in practice the second pass finds
    # nothing, and it makes "redacting twice changes nothing" true by construction.
    for _ in range(_MAX_PASSES):
        masked = _PATTERN.sub(_replace, text)
        if masked == text:
            break
        text = masked
    return text


def redact_value(value: Any) -> Any:
    """A JSON value with every string redacted; keys, structure and other types stay as they are.

    Numbers stay numbers (``timestampSeconds`` is one): only text is masked.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    return value


def redact_messages(messages: Iterable[Any]) -> Iterator[Any]:
    """Each message redacted as it passes, for ``messages --redact`` dumps."""
    for raw in messages:
        yield redact_value(raw)


class RedactingStream:
    """Wraps a renderer's message stream (``--follow``) so messages and events are redacted."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def message(self, raw: Any) -> None:
        self.inner.message(redact_value(raw))

    def event(self, record: Any) -> None:
        self.inner.event(redact_value(record))

    def close(self) -> None:
        self.inner.close()
