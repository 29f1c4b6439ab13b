"""The clocks of a search, which stand still while it cannot go on.

:func:`awake` is a monotonic clock that leaves out the time this process spent stopped by
Ctrl-Z (from :func:`~hypermax.interrupts.stop_this_process` until ``fg`` or ``bg``), when its
trials were stopped with it. A :class:`SearchClock` counts a search's own time on it: what its
``timeout`` counts and what its elapsed time and ETA show; it also stands still while the search
is paused (the dashboard's ``p``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

#: the seconds this process spent stopped, and since when it is stopped (None: it runs); one
#: tuple, replaced whole, so that a thread reads both parts as they were together
_stood: tuple[float, float | None] = (0.0, None)


def awake() -> float:
    """Monotonic seconds, the time this process spent stopped (Ctrl-Z) left out."""
    stood, since = _stood
    return (time.monotonic() if since is None else since) - stood


def stood_still() -> float:
    """Seconds this process spent stopped (Ctrl-Z) so far: what :func:`awake` leaves out."""
    return _stood[0]


@contextlib.contextmanager
def standing_still() -> Iterator[None]:
    """While inside (the process stops itself, and is continued), :func:`awake` stands still:
    from before the stop until this thread runs again, so that no other thread, continued
    first, sees the time it stood still."""
    global _stood
    stood, _ = _stood
    since = time.monotonic()
    _stood = (stood, since)
    try:
        yield
    finally:
        _stood = (stood + time.monotonic() - since, None)


class SearchClock:
    """Seconds a search has run in this run: started by :meth:`start`, standing still while
    :meth:`pause` holds it and once :meth:`end` froze it, and while ``clock`` does (the default,
    :func:`awake`, stands still while hypermax is stopped)."""

    def __init__(self, clock: Callable[[], float] = awake) -> None:
        self.clock = clock
        self._started: float | None = None
        self._stood: float | None = None  # the clock's time when it began to stand still

    def start(self) -> None:
        """Count from 0 again, now."""
        self._started = self.clock()
        self._stood = None

    def pause(self, paused: bool) -> None:
        """Stand still (the search was paused), or run again (it was resumed)."""
        if self._started is None:
            return
        if paused and self._stood is None:
            self._stood = self.clock()
        elif not paused and self._stood is not None:
            self._started += self.clock() - self._stood
            self._stood = None

    def end(self) -> None:
        """Stand still for good (the search ended)."""
        self.pause(True)

    def elapsed(self) -> float:
        """Seconds counted so far (0 before :meth:`start`)."""
        if self._started is None:
            return 0.0
        now = self._stood if self._stood is not None else self.clock()
        return max(0.0, now - self._started)
