"""How a trial's processes end stays known: a process whose SIGCHLD is ignored (``SIG_IGN``,
set by a daemon or a server, or inherited from the program that started hypermax, since an
ignored signal stays ignored across ``exec``) has its children reaped by the kernel, and
waiting for one then tells nothing of its exit: a trial that printed its loss and exited 3 was
recorded ``ok``, one killed by a signal as if it had ended well.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from hypermax.errors import UsageError


def ignored_elsewhere_problem() -> str | None:
    """Why a search cannot run here, or None: SIGCHLD is ignored and this is not the main
    thread, which alone can set it back (:func:`exit_statuses_kept`)."""
    if signal.getsignal(signal.SIGCHLD) is not signal.SIG_IGN:
        return None
    if threading.current_thread() is threading.main_thread():
        return None
    return (
        "SIGCHLD is ignored in this process (signal.SIG_IGN), so how a trial ends (its exit "
        "code) could not be known: restore it, signal.signal(signal.SIGCHLD, signal.SIG_DFL), "
        "or call it from the main thread, which sets it back while the search runs"
    )


@contextlib.contextmanager
def exit_statuses_kept() -> Iterator[None]:
    """While inside, SIGCHLD has its default action if it was ignored (and is ignored again
    after), so that the trials' processes, and theirs, can be waited for: they inherit the
    default action too. UsageError when that cannot be done (:func:`ignored_elsewhere_problem`).
    """
    problem = ignored_elsewhere_problem()
    if problem is not None:
        raise UsageError(f"hypermax: {problem}")
    if signal.getsignal(signal.SIGCHLD) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
