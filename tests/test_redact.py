"""Redaction: phone numbers, e-mail addresses and long digit runs masked; the rest untouched."""

from __future__ import annotations

import random
import re

import pytest

from smscli.redact import MASK, RedactingStream, redact_messages, redact_text, redact_value

M = MASK


@pytest.mark.parametrize(("text", "expected"), [
    # International notations, split by spaces, dashes, dots and parentheses.
    ("+44 20 7946 0958", f"+{M*2} {M*2} {M*4} 0958"),
    ("+1 (555) 010-0199", f"+{M} ({M*3}) {M*3}-0199"),
    ("0044 20 7946 0958", f"{M*4} {M*2} {M*4} 0958"),
    ("+44 (0)20 7946 0958", f"+{M*2} ({M}){M*2} {M*4} 0958"),
    ("+49-30-901820-42", f"+{M*2}-{M*2}-{M*4}20-42"),
    ("+33 1.23.45.67.89", f"+{M*2} {M}.{M*2}.{M*2}.67.89"),
    ("+91 98765 43210", f"+{M*2} {M*5} {M}3210"),
    ("+44\u00a07700\u00a0900123", f"+{M*2}\u00a0{M*4}\u00a0{M*2}0123"),
    ("020-7946-0958", f"{M*3}-{M*4}-0958"),
    ("(555) 010 0199", f"({M*3}) {M*3} 0199"),
    ("555.010.0199", f"{M*3}.{M*3}.0199"),
    ("555-0199", f"{M*3}-0199"),
    # Card and account numbers, whole or in groups.
    ("4111111111111111", f"{M*12}1111"),
    ("4111 1111 1111 1234", f"{M*4} {M*4} {M*4} 1234"),
    ("4111-1111-1111-1234", f"{M*4}-{M*4}-{M*4}-1234"),
    ("account 12345678", f"account {M*4}5678"),
    ("IBAN GB82 WEST 1234 5698 7654 32", f"IBAN {M*4} {M*4} {M*4} {M*4} {M*2}54 32"),
    # E-mail addresses: the first character and the domain stay.
    ("jane.doe@example.com", f"j{M*3}@example.com"),
    ("Mail J.Doe+tag@mail.example.co.uk!", f"Mail J{M*3}@mail.example.co.uk!"),
    ("<bob@example.org>", f"<b{M*3}@example.org>"),
])
def test_masks_personal_numbers_and_addresses(text, expected):
    assert redact_text(text) == expected


def test_numbers_inside_sentences():
    text = ("Call me on +44 20 7946 0958 or 07700 900123, card 4111 1111 1111 1111, "
            "mail jane.doe@example.com. Order 4711.")
    assert redact_text(text) == (
        f"Call me on +{M*2} {M*2} {M*4} 0958 or {M*5} {M*2}0123, card {M*4} {M*4} {M*4} 1111, "
        f"mail j{M*3}@example.com. Order 4711.")


@pytest.mark.parametrize("text", [
    "Order 4711 is on its way",
    "See you at 14:05, or 14:05:59",
    "Delivered on 2026-11-29, 29/11/2026 or 29.11.2026",
    "2026-11-30 01:47:03.927+0200",  # GWS timestamps, as served
    "2026-11-29T15:52:47.939-0800",
    "It costs £7.50, $1,299.00 or 1.234.567,00 €",
    "Offer the rail plus a 10% voucher.",
    "item 3 of 12, message #42, page 2/7",
    "Seasons 2020-2026",
    "http://127.0.0.1:41395/api/v2/smssessions/0000Wa9CAM6W00FN",
    "/users/70245023c798527d9b12c27fd1d21645",  # digits inside an id are not a number
    "0093569F7C72006A",
    "no digits at all",
    "",
])
def test_ordinary_text_and_short_numbers_survive(text):
    assert redact_text(text) == text


def _random_texts(seed: int, count: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    tokens = ["2026-11-29", "14:05", "+44", "(0)", "20", "7946", "0958", " ", "-", ".", "/",
              "(", ")", "_", "@", "jane.doe@example.com", "£7.50", "€", "4711", "1234567",
              "a", "x1", "2020-2026", "127.0.0.1", "GB82WEST", "EUR", "T", "12",
              "01:47:03.927+0200", "\u00a0", "9"]
    for _ in range(count):
        yield "".join(rng.choice(tokens) for _ in range(rng.randint(1, 14)))


def test_redacting_twice_changes_nothing_more():
    for text in _random_texts(1, 20_000):
        once = redact_text(text)
        assert redact_text(once) == once, text


def test_no_seven_digits_in_a_row_survive_unless_inside_a_word():
    # Digits glued to letters are ids (0000Wa9CAM6W00FN, hex), not numbers; all else is masked.
    for text in _random_texts(2, 20_000):
        out = redact_text(text)
        for run in re.finditer(r"\d{7,}", out):
            before = out[run.start() - 1] if run.start() else ""
            after = out[run.end()] if run.end() < len(out) else ""
            assert before.isalpha() or after.isalpha(), (text, out)


def test_a_masked_number_keeps_only_its_last_four_digits():
    for text in ["+44 20 7946 0958", "4111 1111 1111 1111", "00 44 20 7946 0958 12"]:
        kept = [ch for ch in redact_text(text) if ch.isdigit()]
        assert kept == [ch for ch in text if ch.isdigit()][-4:]


def test_redact_value_keeps_structure_keys_and_other_types():
    value = {
        "index": 3,
        "timestampSeconds": 1795996023927,
        "timestamp": "2026-11-30 01:47:03.927+0200",
        "from": {"type": "Customer", "nickname": "+44 7700 900123", "participantId": "00F01"},
        "text": "mail jane.doe@example.com",
        "+44 20 7946 0958": ["4111 1111 1111 1111", None, True, 2.5, {"n": 447946095800}],
    }
    assert redact_value(value) == {
        "index": 3,
        "timestampSeconds": 1795996023927,
        "timestamp": "2026-11-30 01:47:03.927+0200",
        "from": {"type": "Customer", "nickname": f"+{M*2} {M*4} {M*2}0123",
                 "participantId": "00F01"},
        "text": f"mail j{M*3}@example.com",
        "+44 20 7946 0958": [f"{M*4} {M*4} {M*4} 1111", None, True, 2.5,
                             {"n": 447946095800}],
    }


def test_redacting_wrappers_for_dumps_and_follow():
    class Sink:
        def __init__(self) -> None:
            self.seen: list = []
            self.closed = False

        def message(self, raw):  # type: ignore[no-untyped-def]
            self.seen.append(("message", raw))

        def event(self, record):  # type: ignore[no-untyped-def]
            self.seen.append(("event", record))

        def close(self) -> None:
            self.closed = True

    assert list(redact_messages([{"text": "555-0199"}])) == [{"text": f"{M*3}-0199"}]
    sink = Sink()
    stream = RedactingStream(sink)
    stream.message({"text": "call 020-7946-0958"})
    stream.event({"event": "StatusChange", "smssession": {"userData": {"p": "555-0199"}}})
    stream.close()
    assert sink.seen == [
        ("message", {"text": f"call {M*3}-{M*4}-0958"}),
        ("event", {"event": "StatusChange", "smssession": {"userData": {"p": f"{M*3}-0199"}}}),
    ]
    assert sink.closed
