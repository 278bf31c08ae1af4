"""Ctrl-C, whatever the threads: background threads that leave every signal to the main
thread, a Ctrl-C that is not lost when Python drops its KeyboardInterrupt, and one that
interrupts a request without raising inside the HTTP library (``interrupt_with``).

The kernel hands a signal sent to the process (Ctrl-C's SIGINT, a kill's SIGTERM) to any
thread that does not block it. Python runs handlers only in the main thread, and only the
main thread's blocking call (a long-poll's read, a sleep) is cut short by the signal's
arrival. A SIGINT that lands in a helper thread is therefore noticed late, and sometimes not
until the main thread next blocks and wakes; and while the main thread blocks SIGINT itself
(the recorder does, around a commit) every delivery lands in a helper. So smscli's threads
start with these signals blocked, and each one waits for the main thread.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Signals that come from outside (a terminal, a kill, a window resize); faults such as
# SIGSEGV stay with the thread that causes them.
_OUTSIDE = frozenset(
    getattr(signal, name) for name in (
        "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGTSTP", "SIGCONT", "SIGTTIN", "SIGTTOU",
        "SIGWINCH", "SIGALRM", "SIGCHLD", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name))


def start(target: Callable[..., Any], name: str, *args: Any) -> threading.Thread:
    """A daemon thread running ``target(*args)``, started with the outside signals blocked.

    A new thread inherits its creator's signal mask, so the mask is set around the start
    alone; the caller's own mask is as it was when this returns."""
    thread = threading.Thread(target=target, name=name, args=args, daemon=True)
    with blocked(_OUTSIDE):
        thread.start()
    return thread


@contextmanager
def blocked(signals: frozenset[int] | set[int]) -> Iterator[None]:
    """``signals`` blocked in this thread for the block (where the platform can), delivered
    right after it."""
    if not hasattr(signal, "pthread_sigmask"):  # no per-thread masks here
        yield
        return
    # Read first, changed inside the try: pthread_sigmask runs any pending handler as it
    # returns, and a KeyboardInterrupt raised there must not leave the signals blocked.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


# -- Ctrl-C in the main thread ------------------------------------------------------------------

_seen: list[bool] = [False]  # a Ctrl-C came during this command
_interrupter: list[Callable[[], None] | None] = [None]  # see interrupt_with


def interrupt_with(interrupter: Callable[[], None] | None) -> Callable[[], None] | None:
    """While set (and in the main thread, under ``ctrl_c_remembered``), a Ctrl-C calls
    ``interrupter`` instead of raising KeyboardInterrupt where the thread happens to be; its
    owner then raises it at a point of its own. The transport sets one around each request:
    a KeyboardInterrupt raised inside requests or urllib3 can leave one of their locks taken.
    A second Ctrl-C raises at once. Returns the interrupter it replaces."""
    if threading.current_thread() is not threading.main_thread():
        return None  # handlers run in the main thread only: nothing to set
    previous, _interrupter[0] = _interrupter[0], interrupter
    return previous


def _on_ctrl_c(number: int, frame: Any) -> None:
    again, _seen[0] = _seen[0], True
    interrupter = _interrupter[0]
    if interrupter is not None and not again:
        interrupter()
        return
    signal.default_int_handler(number, frame)  # KeyboardInterrupt, as Python's own handler


def _drop_dropped_interrupts(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def unraisable(info: Any) -> None:
        if isinstance(info.exc_value, KeyboardInterrupt) and _seen[0]:
            return  # remembered: the next check ends the command (no traceback for it)
        hook(info)

    return unraisable


@contextmanager
def ctrl_c_remembered() -> Iterator[None]:
    """For the block, in the main thread: a Ctrl-C is also remembered, for ``check_ctrl_c``.

    Python raises KeyboardInterrupt wherever the main thread happens to be. Raised inside a
    finalizer (a generator or object the garbage collector closes, a weakref callback) it is
    printed as "Exception ignored" and dropped, and a live command would run on as if no
    Ctrl-C had come. The live loops call ``check_ctrl_c`` before each wait."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield  # another thread (a test), or SIGINT ignored or handled by someone else
        return
    _seen[0] = False
    _interrupter[0] = None
    hook = sys.unraisablehook
    signal.signal(signal.SIGINT, _on_ctrl_c)
    sys.unraisablehook = _drop_dropped_interrupts(hook)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.unraisablehook = hook
        _seen[0] = False
        _interrupter[0] = None


def check_ctrl_c() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C came and was dropped on the way (see above)."""
    if _seen[0]:
        raise KeyboardInterrupt
