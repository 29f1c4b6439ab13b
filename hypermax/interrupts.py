"""Route Ctrl-C and SIGTERM to a handler while a search runs."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def signals_to(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call ``handler`` instead of their usual action.

    Only the main thread can set signal handlers; elsewhere this changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stopping_note(running: int, grace: float) -> str:
    """What an interrupt does to the ``running`` trials, and how to hurry it."""
    trials = "trial" if running == 1 else "trials"
    return (
        f"stopping {running} running {trials} (SIGTERM, then SIGKILL after {grace:g} s);"
        " interrupt again to kill them at once"
    )
