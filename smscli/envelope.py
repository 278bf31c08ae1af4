"""GWS answers into values or errors: the JSON envelope, ``statusCode``, HTTP statuses.

Every GWS answer is a JSON object with a ``statusCode`` (0 means success) and the payload
under a named key; the codes are listed in docs/gws-notes.md ("Status codes").
"""

from __future__ import annotations

import gc
import json
from typing import Any

from smscli.errors import (
    AuthError,
    BadResponseError,
    NotFoundError,
    ServerError,
    SmscliError,
)
from smscli.safety import escape, preview_bytes

NOT_JSON = object()

GWS_CODES = {
    0: "success", 1: "required parameter missing", 2: "not valid for the current state",
    3: "operation forbidden", 4: "internal server error", 5: "permission denied",
    6: "not found", 7: "partial success", 10: "invalid input", 20: "not authenticated",
}


class JsonFloat(float):
    """A float read from a server's JSON: written back exactly as ``json.dumps`` writes it.

    A faster encoder formats some floats its own way (``1e-7`` for ``1e-07``, ``1e16`` for
    ``1e+16``); the machine formats spot this type and keep today's bytes (render/codec.py).
    """

    __slots__ = ()


_decoder: Any = None


def parse_json(content: bytes) -> Any:
    """The JSON document in ``content``, or NOT_JSON: the values ``json.loads`` gives, faster.

    msgspec decodes the usual answer several times faster than ``json`` and keeps integers of
    any size exact. What it refuses (a lone surrogate, NaN, a byte order mark, UTF-16) goes
    to ``json.loads``, so what is accepted and what it means stay as they were. Every float
    is a JsonFloat made by ``float(text)``, as ``json.loads`` makes floats.

    The cyclic garbage collector is off while msgspec builds the document: a page of 1,000
    messages is some 2,000 new dicts, which would set off a collection every 700 of them
    (each young one, and now and then the whole heap, walked for cycles that a decoded
    document cannot have), half the decoding time of a long dump (bench/perf2.py). It is
    switched back on as it was found, whatever happens.
    """
    global _decoder
    if _decoder is None:
        import msgspec  # here, not at the top: --help and --version never decode anything

        _decoder = msgspec.json.Decoder(float_hook=JsonFloat)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _decoder.decode(content)
    except (ValueError, RecursionError):  # msgspec.DecodeError is a ValueError
        pass
    finally:
        if collecting:
            gc.enable()
    try:
        return json.loads(content, parse_float=JsonFloat, parse_constant=JsonFloat)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return NOT_JSON


def status_code(body: dict) -> int | None | object:
    """``statusCode`` as an int, None when absent, or NOT_JSON when it is not a number at all
    (``"6"`` counts as 6: a sloppy server is still understood)."""
    code = body.get("statusCode")
    if code is None:
        return None
    if isinstance(code, bool):
        return NOT_JSON
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        return int(code.strip())
    if isinstance(code, float) and code.is_integer():
        return int(code)
    return NOT_JSON


def decode(response: Any, user: str | None, attempts_made: int) -> dict:
    """The envelope of a successful answer, or the error it means."""
    status = response.status_code
    body = parse_json(response.content)
    if body is NOT_JSON:
        raise not_json_error(response, attempts_made)
    if not isinstance(body, dict):
        raise BadResponseError(
            f"server answered HTTP {status} with JSON that is not an object "
            f"({type(body).__name__}): {preview_bytes(response.content)}",
            "is --server the GWS base URL (without /api/v2)?", status=status,
        )
    code = status_code(body)
    if status < 400 and code in (0, None):
        return body
    raise gws_error(status, body, user, attempts_made)


def member(body: dict, key: str, kind: type) -> Any:
    """The envelope's payload under ``key``; a missing or mistyped payload is a clear error."""
    value = body.get(key)
    if isinstance(value, kind):
        return value
    keys = ", ".join(sorted(escape(str(k)) for k in body)) or "none"
    found = "missing" if value is None else f"a {type(value).__name__}"
    raise BadResponseError(
        f"the server's answer has no '{key}' {kind.__name__} ({found}; keys: {keys})",
        "this server may not speak GWS API v2 as smscli expects; try --debug",
    )


def not_json_error(response: Any, attempts_made: int) -> SmscliError:
    status = response.status_code
    ctype = escape(response.headers.get("Content-Type", "no content type"))
    if not response.content:
        what = "an empty body"
    else:
        what = f"{ctype}, not JSON: {preview_bytes(response.content)!s}"
    tried = f" after {attempts_made} attempts" if attempts_made > 1 else ""
    if status == 401:
        return AuthError(f"authentication failed (HTTP 401, {what})",
                         "check --user and SMSCLI_PASSWORD", status=status)
    if status == 403:
        return AuthError(f"access denied (HTTP 403, {what})",
                         "the user may lack permission, or the CSRF token was refused",
                         status=status)
    if status == 404:
        return NotFoundError(f"not found (HTTP 404, {what})",
                             "is --server the GWS base URL (without /api/v2)?", status=status)
    return BadResponseError(f"server answered HTTP {status}{tried} with {what}",
                            "a proxy or the server is failing; try again later or use --debug",
                            status=status)


def gws_error(status: int, body: dict, user: str | None, attempts_made: int) -> SmscliError:
    code = status_code(body)
    raw_code = escape(str(body.get("statusCode"))[:40])
    if code is NOT_JSON:
        return BadResponseError(f"server answered HTTP {status} with an odd statusCode "
                                f"({raw_code})", "try --debug to see the answer", status=status)
    assert code is None or isinstance(code, int)
    text = body.get("statusMessage")
    message = escape(str(text)[:300] if text else GWS_CODES.get(code or 0, "no message"))
    where = f"HTTP {status}, statusCode {raw_code}"
    if status == 401 or code == 20:
        who = escape(user or "(none)")
        return AuthError(f"authentication failed for user {who}: {message} ({where})",
                         "check --user and SMSCLI_PASSWORD", status=status, status_code=code)
    if status == 403 or code in (3, 5):
        return AuthError(f"permission denied: {message} ({where})",
                         "the user needs the SMS (api-multimedia) feature for this",
                         status=status, status_code=code)
    if status == 404 or code == 6:
        return NotFoundError(f"not found: {message} ({where})", status=status, status_code=code)
    if status >= 500 or code == 4:
        tried = f" after {attempts_made} attempts" if attempts_made > 1 else ""
        return ServerError(f"server error{tried}: {message} ({where})",
                           "the GWS server or one of its back ends is failing; try again later",
                           status=status, status_code=code)
    if status < 400 and code is not None and code not in GWS_CODES:
        return BadResponseError(f"server answered with an unknown statusCode ({where})",
                                "try --debug to see the answer", status=status, status_code=code)
    return SmscliError(f"request rejected: {message} ({where})", status=status, status_code=code)
