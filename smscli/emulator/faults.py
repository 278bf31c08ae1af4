"""Switchable, seeded fault injection for the emulator: drops, errors, delays and CometD quirks."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Iterable
from typing import Any

# Counter names in Faults.injected, one per kind of fault that fired.
DROP = "drop"  # a response cut short (truncated body or no byte at all), connection closed
ERROR = "error"  # a request answered 500 or 503 without being processed
DELAY = "delay"  # a request answered late
DUPLICATE = "duplicate"  # a CometD event delivered a second time
REORDER = "reorder"  # two adjacent CometD events swapped in one connect reply
SILENT = "silent"  # a traffic message stored without a CometD notification
FORGET_CLIENTS = "forget_clients"  # CometD clients forgotten (counted per client)
EXPIRE_SESSIONS = "expire_sessions"  # HTTP sessions expired (counted per session)
KINDS = (DROP, ERROR, DELAY, DUPLICATE, REORDER, SILENT, FORGET_CLIENTS, EXPIRE_SESSIONS)

_RATES = ("drop_rate", "error_rate", "duplicate_rate", "reorder_rate", "silent_rate")
_SETTINGS = (*_RATES, "delay_s", "delay_range", "paths")

# Called by forget_clients() / expire_sessions(); each returns how many it affected.
Hook = Callable[[], int]


class _Setting:
    """A switch read and written as an attribute; writes go through Faults.configure."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, faults: Faults | None, owner: type | None = None) -> Any:
        if faults is None:
            return self
        return faults.settings()[self.name]

    def __set__(self, faults: Faults, value: Any) -> None:
        faults.configure(**{self.name: value})


class Faults:
    """Fault switches, all off by default, settable at any time from any thread.

    Every random decision comes from one private ``random.Random(seed)``, so a given seed
    and a given sequence of requests always inject the same faults.
    """

    drop_rate = _Setting()
    error_rate = _Setting()
    duplicate_rate = _Setting()
    reorder_rate = _Setting()
    silent_rate = _Setting()
    delay_s = _Setting()
    delay_range = _Setting()
    paths = _Setting()

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._injected: dict[str, int] = {}
        self._rates = dict.fromkeys(_RATES, 0.0)
        self._delay_s = 0.0
        self._delay_range: tuple[float, float] | None = None
        self._paths: frozenset[str] | None = None
        self._forget_hook: Hook | None = None
        self._expire_hook: Hook | None = None

    # -- settings ---------------------------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        """Set several switches at once; all are validated before any is applied.

        Names: drop_rate, error_rate, duplicate_rate, reorder_rate, silent_rate (0..1),
        delay_s (seconds >= 0), delay_range ((low, high) seconds, or None), paths (iterable
        of path prefixes, or None for every path). Raises ValueError for an unknown name or
        a value out of range, TypeError for a value of the wrong type.
        """
        unknown = sorted(set(settings) - set(_SETTINGS))
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        checked = {name: _VALIDATORS[name](name, value) for name, value in settings.items()}
        with self._lock:
            for name, value in checked.items():
                self._apply(name, value)

    def reset(self) -> None:
        """Switch every fault off again; the counters are kept."""
        self.configure(**dict.fromkeys(_RATES, 0.0), delay_s=0.0, delay_range=None, paths=None)

    def _apply(self, name: str, value: Any) -> None:
        if name in self._rates:
            self._rates[name] = value
        elif name == "delay_s":
            self._delay_s = value
        elif name == "delay_range":
            self._delay_range = value
        else:
            self._paths = value

    def settings(self) -> dict[str, Any]:
        """The current switches, in the form configure() accepts."""
        with self._lock:
            paths = None if self._paths is None else sorted(self._paths)
            return {
                **self._rates,
                "delay_s": self._delay_s,
                "delay_range": self._delay_range,
                "paths": paths,
            }

    # -- counters ---------------------------------------------------------------------------

    @property
    def injected(self) -> dict[str, int]:
        """A snapshot: fault kind -> how many times it fired."""
        with self._lock:
            return dict(self._injected)

    def record(self, kind: str, count: int = 1) -> None:
        """Count ``count`` injections of ``kind``."""
        if count > 0:
            with self._lock:
                self._injected[kind] = self._injected.get(kind, 0) + count

    # -- one-shot actions -------------------------------------------------------------------

    def bind(self, forget_clients: Hook | None = None, expire_sessions: Hook | None = None) -> None:
        """Connect the one-shot actions to the server that owns this object."""
        with self._lock:
            self._forget_hook = forget_clients
            self._expire_hook = expire_sessions

    def forget_clients(self) -> int:
        """Forget every CometD client now, as a server restart would; returns how many."""
        return self._run_hook(self._forget_hook, FORGET_CLIENTS)

    def expire_sessions(self) -> int:
        """Expire every current JSESSIONID (and its CSRF token); returns how many."""
        return self._run_hook(self._expire_hook, EXPIRE_SESSIONS)

    def _run_hook(self, hook: Hook | None, kind: str) -> int:
        if hook is None:
            raise RuntimeError("these faults are not attached to an emulator")
        affected = hook()
        self.record(kind, affected)
        return affected

    # -- decisions (each counts itself when it fires) ---------------------------------------

    def applies_to(self, path: str) -> bool:
        """Whether the HTTP faults (drop, error, delay) cover this request path."""
        with self._lock:
            paths = self._paths
        return paths is None or any(path.startswith(prefix) for prefix in paths)

    def roll(self, kind: str, *, record: bool = True) -> bool:
        """Draw once against the rate of ``kind`` (drop, error, duplicate, reorder, silent)."""
        with self._lock:
            rate = self._rates[f"{kind}_rate"]
            # No draw at rate 0, so switching one fault on leaves the others' sequence alone.
            hit = rate > 0 and self._rng.random() < rate
            if hit and record:
                self._injected[kind] = self._injected.get(kind, 0) + 1
        return hit

    def choice(self, options: int) -> int:
        """A seeded number in ``range(options)``, for the details of a fault that fired."""
        with self._lock:
            return self._rng.randrange(options)

    def error_status(self, path: str) -> int | None:
        """500 or 503 when an error is injected into this request, else None."""
        if not self.applies_to(path) or not self.roll(ERROR):
            return None
        return (500, 503)[self.choice(2)]

    def should_drop(self, path: str) -> bool:
        """Whether to cut this request's response short."""
        return self.applies_to(path) and self.roll(DROP)

    def delay_for(self, path: str) -> float:
        """Seconds to wait before answering this request (0.0 when no delay applies)."""
        if not self.applies_to(path):
            return 0.0
        with self._lock:
            low_high = self._delay_range
            delay = self._rng.uniform(*low_high) if low_high else self._delay_s
            if delay > 0:
                self._injected[DELAY] = self._injected.get(DELAY, 0) + 1
        return delay

    def __repr__(self) -> str:
        active = {name: value for name, value in self.settings().items() if value}
        return f"Faults({active}, injected={self.injected})"


def _rate(name: str, value: Any) -> float:
    number = _number(name, value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1")
    return number


def _seconds(name: str, value: Any) -> float:
    number = _number(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative")
    return number


def _delay_range(name: str, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        low, high = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (low, high) pair of seconds or None") from None
    low, high = _seconds(name, low), _seconds(name, high)
    if low > high:
        raise ValueError(f"{name} must have low <= high")
    return low, high


def _paths(name: str, value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    # A lone string would otherwise be taken as a set of one-character prefixes.
    items: Iterable[Any] = (value,) if isinstance(value, str) else value
    try:
        prefixes = frozenset(items)
    except TypeError:
        raise TypeError(f"{name} must be an iterable of path prefixes or None") from None
    if not all(isinstance(prefix, str) for prefix in prefixes):
        raise TypeError(f"{name} must hold strings")
    if not all(prefix.startswith("/") for prefix in prefixes):
        raise ValueError(f"{name} must hold path prefixes starting with '/'")
    return prefixes


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite")
    return float(value)


_VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    **dict.fromkeys(_RATES, _rate),
    "delay_s": _seconds,
    "delay_range": _delay_range,
    "paths": _paths,
}
