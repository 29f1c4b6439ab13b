"""From the driver's thread to the UI's: a Reporter that queues events and wakes the urwid loop.

The wake-up is one byte on the pipe of ``loop.watch_pipe``, written only when none is pending,
so a burst of events costs the UI one wake-up and one drain.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypermax.clock import awake
from hypermax.events import SearchFinished

if TYPE_CHECKING:
    from hypermax.events import SearchOutcome

log = logging.getLogger("hypermax")


@dataclass(frozen=True)
class DriverDone:
    """Put on the queue when ``driver.run()`` returned or raised."""

    outcome: SearchOutcome | None
    error: BaseException | None


#: the events that wake the UI even while it holds wake-ups back: the end shows at once
_URGENT = (SearchFinished, DriverDone)


class DashboardReporter:
    """A Reporter that queues events for the UI thread and wakes it through a pipe.

    ``handle`` never blocks: the pipe is non-blocking and a byte is written only when no wake-up
    is pending, so a burst of events wakes the UI once; while the UI waits to redraw (at most
    every ``MIN_REDRAW_SECONDS``, longer while redraws cost much) it holds wake-ups back
    (:meth:`hold`) and drains the queue itself; the search's end wakes it all the same. Once
    :meth:`forward_to` is called (the UI gave up), events go straight to another reporter, in
    order, nothing lost. Each event is queued with the time it came (the
    dashboard's clock, :func:`hypermax.clock.awake`): the UI drains them in batches, at most
    every redraw, and a batch's events did not all happen as it was drained.
    """

    def __init__(self, clock: Callable[[], float] = awake) -> None:
        self.clock = clock
        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.wakeups = 0
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pending = False
        self._forward: Any = None
        self._closed = False

    @property
    def forwarding(self) -> bool:
        """Whether events now go to another reporter (the UI gave up)."""
        return self._forward is not None

    def connect(self, fd: int) -> None:
        """Wake the UI by writing to ``fd`` (the write end of ``loop.watch_pipe``)."""
        os.set_blocking(fd, False)
        with self._lock:
            self._fd = fd
            self._pending = False

    def handle(self, event: Any) -> None:
        """Queue ``event`` for the UI (from any thread)."""
        broken: OSError | None = None
        with self._lock:
            if self._forward is not None:
                self._forward.handle(event)
                return
            if self._closed:
                return
            self.events.put((self.clock(), event))
            if self._fd is None or (self._pending and not isinstance(event, _URGENT)):
                return
            self._pending = True
            self.wakeups += 1
            try:
                os.write(self._fd, b"!")
            except BlockingIOError:
                pass  # the pipe is full of wake-ups already; the UI will drain the queue
            except OSError as exc:
                self._closed = True
                broken = exc
        if broken is not None:  # logged outside the lock: the log comes back here as a Message
            log.warning("cannot wake the dashboard (%s); it stops receiving events", broken)

    def hold(self) -> None:
        """Write no wake-up until the next :meth:`drain` (the UI will drain on its own)."""
        with self._lock:
            self._pending = True

    def drain(self) -> list[Any]:
        """Every queued event, oldest first; the next event wakes the UI again."""
        return [event for _, event in self.drain_timed()]

    def drain_timed(self) -> list[tuple[float, Any]]:
        """:meth:`drain`, each event with the time it came."""
        with self._lock:
            self._pending = False
        return self._take_queued()

    def forward_to(self, reporter: Any) -> list[Any]:
        """Send every later event to ``reporter``; returns the ones queued but not yet drained."""
        with self._lock:
            self._fd = None
            self._forward = reporter
            return [event for _, event in self._take_queued()]

    def close(self) -> None:
        """Drop every later event (the dashboard is gone and nothing took over)."""
        with self._lock:
            self._fd = None
            self._closed = True

    def _take_queued(self) -> list[tuple[float, Any]]:
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out
