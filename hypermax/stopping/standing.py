"""What a policy says of a running trial after one of its reports."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Standing:
    """Where a running trial stands after one of its reports.

    Attributes:
        trial_id: the trial.
        step: the step of the report.
        loss: the loss the policy weighed: the trial's best so far (median), its loss at the
            rung it reached (asha), else the report's composite loss.
        bar: the loss to beat: the median at this step, or the cutoff at a rung (the next one
            between rungs); None while there is nothing to compare with.
        against: what ``bar`` is (``"median of 6 at step 4"``, ``"rung 9: best 2 of 7"``), or
            why there is none (``"grace (step 0 < 1)"``).
        stop: the trial should stop now.
        best_at: the step of an earlier report whose loss is ``loss``, the best so far, when it
            is not this report's (median): the record keeps this report's loss.
    """

    trial_id: int
    step: int
    loss: float
    bar: float | None = None
    against: str = ""
    stop: bool = False
    best_at: int | None = None

    @property
    def reason(self) -> str:
        """The one line a stopped trial's record keeps. A trial stopped for a report that
        diverged (a NaN or an infinite metric) says so: ``loss inf worse than inf`` (against
        others that diverged too) told nothing."""
        if math.isinf(self.loss):
            return (
                f"stopped at step {self.step}: the loss diverged (a metric of its report is NaN"
                " or infinite)"
            )
        text = f"stopped at step {self.step}: loss {self.loss:.6g}"
        if self.best_at is not None:
            text = f"stopped at step {self.step}: best loss {self.loss:.6g} (step {self.best_at})"
        return text if self.bar is None else f"{text} worse than {self.bar:.6g} ({self.against})"
