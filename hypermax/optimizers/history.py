"""What an optimizer backend has been told, by trial id, and the loss each trial teaches;
the base of the optimizers backed by other libraries.

Every finished trial teaches: one that ended with a loss (ok, stopped with a report, killed with
``auto_kill_loss``, imported) teaches that loss; one without (failed, killed without
``auto_kill_loss``, stopped before any report) teaches "bad", which a backend that ranks losses
reads as worse than everything, and one that fits a model to losses as the worst loss seen.
A trial stopped early (or imported by a warm start from one: only those carry a step) also
leaves the step it reached (:attr:`History.stopped_at`), for a
backend that ranks such trials apart (TPE: after every trial that ran to its end).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import BaseOptimizer
from hypermax.optimizers.dimensions import dimensions
from hypermax.trial import Proposal, Trial, TrialState

if TYPE_CHECKING:
    import numpy as np


def taught_loss(trial: Trial) -> float | None:
    """The loss ``trial`` teaches, or None for "bad" (no usable loss)."""
    loss = trial.loss
    if loss is None or not math.isfinite(loss):
        return None
    return float(loss)


@dataclass
class History:
    """The trials an optimizer knows: finished ones with the loss they teach, and running ones."""

    finished: dict[int, tuple[dict[str, Any], float | None]] = field(default_factory=dict)
    running: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: trial id → the step a trial stopped early had reached (its loss is that report's)
    stopped_at: dict[int, int] = field(default_factory=dict)

    def note(self, trial_id: int, internal: dict[str, Any]) -> bool:
        """Note a running trial; False when it was known already."""
        if trial_id in self.running or trial_id in self.finished:
            return False
        self.running[trial_id] = dict(internal)
        return True

    def finish(self, trial: Trial) -> bool:
        """Record ``trial`` as finished; False when it was unknown (never noted as running)."""
        known = self.running.pop(trial.id, None) is not None or trial.id in self.finished
        self.finished[trial.id] = (dict(trial.internal), taught_loss(trial))
        if trial.state in (TrialState.STOPPED, TrialState.IMPORTED) and trial.step is not None:
            self.stopped_at[trial.id] = trial.step
        return known

    def losses(self) -> list[float]:
        """The losses the finished trials teach (without the "bad" ones)."""
        return [loss for _, loss in self.finished.values() if loss is not None]

    def worst(self) -> float | None:
        """The worst loss taught so far, or None when no trial has a loss yet."""
        losses = self.losses()
        return max(losses) if losses else None

    def best(self) -> float | None:
        """The best loss taught so far, or None."""
        losses = self.losses()
        return min(losses) if losses else None


class HistoryOptimizer(BaseOptimizer):
    """Base of the optimizers backed by another library: the space as search
    :attr:`dimensions`, and the :attr:`history` of what they were told, by trial id.

    Subclasses implement :meth:`ask` (returning :meth:`proposal`) and set up their own state in
    :meth:`setup`; ``pending`` and ``tell`` record the trial, and a subclass that keeps more
    state extends them.
    """

    def setup(self) -> None:
        """The dimensions and the history; a backend that keeps more state extends this."""
        self.dimensions = dimensions(self.space)
        self.history = History()

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        self.history.note(trial_id, internal)

    def tell(self, trial: Trial) -> None:
        self.history.finish(trial)

    def proposal(self, trial_id: int, internal: dict[str, Any]) -> Proposal:
        """Note ``internal`` as running trial ``trial_id`` and propose it."""
        self.history.note(trial_id, internal)
        return Proposal(trial_id, self.space.decode(internal), internal)

    def from_unit_cube(self, x: Sequence[float]) -> dict[str, Any]:
        """A point of the unit cube (a coordinate per dimension) → the internal values of the
        leaves it makes active."""
        internal: dict[str, Any] = {}
        for i, dim in enumerate(self.dimensions):
            if dim.leaf.active(internal):
                internal[dim.label] = dim.from_unit(x[i])
        return internal

    def to_unit_cube(self, internal: dict[str, Any], fill: Sequence[float]) -> np.ndarray:
        """Internal values → a point of the unit cube; a leaf they leave inactive takes its
        coordinate from ``fill``."""
        import numpy as np

        x = np.array(fill, dtype=float)
        for i, dim in enumerate(self.dimensions):
            if dim.label in internal and dim.leaf.active(internal):
                x[i] = dim.to_unit(internal[dim.label])
        return x
