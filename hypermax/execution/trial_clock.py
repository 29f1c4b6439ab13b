"""A trial's own time: from its start, the time its processes were stopped (Ctrl-Z) left out.

Its time limit, its kill grace, its wall time and the time the dashboard shows all read it.
"""

from __future__ import annotations

import time


class TrialClock:
    """How long a trial has run, paused while its processes are stopped.

    ``started`` (monotonic) moves on by the time each pause lasted, so that ``now - started``
    is the running time; while paused, the time stands at the moment the pause began.
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.paused_at: float | None = None  # its processes are stopped (SIGSTOP) since then

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def start(self) -> None:
        """Count from now (the trial's process starts now)."""
        self.started = time.monotonic()

    def elapsed(self, now: float | None = None) -> float:
        """How long the trial has run by ``now`` (monotonic; by default, now); 0 while it was
        paused as it started."""
        if now is None:
            now = time.monotonic()
        return max(0.0, (self.paused_at or now) - self.started)

    def pause(self) -> bool:
        """Stop the clock; False if it was stopped already."""
        if self.paused_at is not None:
            return False
        self.paused_at = time.monotonic()
        return True

    def resume(self) -> bool:
        """Run the clock again from where it stood (from when it was paused, or started,
        whichever came later); False if it was not paused."""
        paused_at = self.paused_at
        if paused_at is None:
            return False
        self.started += time.monotonic() - max(paused_at, self.started)
        self.paused_at = None
        return True

    def due(self, limit: float | None) -> float | None:
        """When a time limit of ``limit`` seconds falls due (monotonic), if the clock runs."""
        if limit is None or self.paused_at is not None:
            return None
        return self.started + limit
