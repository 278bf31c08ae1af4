"""Background threads that leave every signal to the main thread.

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
import threading
from collections.abc import Callable
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
    if not hasattr(signal, "pthread_sigmask"):  # no per-thread masks here
        thread.start()
        return thread
    # Read first, changed inside the try: pthread_sigmask runs any pending handler as it
    # returns, and a KeyboardInterrupt raised there must not leave the signals blocked.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, _OUTSIDE)
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    return thread
