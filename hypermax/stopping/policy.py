"""The seam every early-stopping policy fills: record reports, forget a trial, judge."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

from hypermax.stopping.curve import Curve
from hypermax.stopping.rule import EarlyStopping
from hypermax.stopping.standing import Standing


class StoppingPolicy(ABC):
    """Judges a trial's reports against the other trials' curves.

    Args:
        rule: the spec's ``early_stopping`` section.
    """

    def __init__(self, rule: EarlyStopping) -> None:
        self.rule = rule
        self.curves: dict[int, Curve] = {}

    def observe(self, trial_id: int, step: int, loss: float) -> Standing:
        """Record one report of a running trial and judge it."""
        self.record(trial_id, step, loss)
        return self.judge(trial_id, step, loss)

    def record(self, trial_id: int, step: int, loss: float) -> None:
        """Add a report to what the policy knows, without judging it (a replayed report)."""
        self.curves.setdefault(trial_id, Curve()).add(step, loss)

    def forget(self, trial_id: int) -> None:
        """Drop a trial's reports (it runs again from the start)."""
        self.curves.pop(trial_id, None)

    @abstractmethod
    def judge(self, trial_id: int, step: int, loss: float) -> Standing:
        """Where the trial stands after its recorded report ``(step, loss)``."""


def worse(loss: float, cutoff: float) -> bool:
    """Whether a trial at ``loss`` is stopped against ``cutoff``: when it is worse, or when it
    diverged (an infinite loss), even against others that diverged too."""
    return loss > cutoff or loss == math.inf
