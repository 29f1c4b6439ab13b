"""One trial's reported losses, by step, as a policy reads them."""

from __future__ import annotations

import bisect


class Curve:
    """One trial's reported losses, by step."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.best = float("inf")
        #: the step of the report whose loss is ``best``
        self.best_step: int | None = None

    def add(self, step: int, loss: float) -> None:
        """Record a report; a later report of a step already reported is not recorded (as
        Optuna keeps a step's first value): a trial that reports each batch with its epoch as
        the step is weighed by each epoch's first batch, as the other trials are. Its last
        batch, set against another trial's first, made every trial that had just begun an
        epoch look worse than the trials past it."""
        i = bisect.bisect_left(self.steps, step)
        if i < len(self.steps) and self.steps[i] == step:
            return
        self.steps.insert(i, step)
        self.losses.insert(i, loss)
        if loss < self.best:
            self.best, self.best_step = loss, step

    def at(self, step: int) -> float | None:
        """The loss at ``step``: that of the last report at or before it, once the trial
        reported ``step`` or a later one; else None."""
        if not self.steps or self.steps[-1] < step:
            return None
        i = bisect.bisect_right(self.steps, step) - 1
        return self.losses[i] if i >= 0 else None
