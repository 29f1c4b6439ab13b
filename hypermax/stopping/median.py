"""The ``median`` policy: a trial worse than the median of the others at its step stops."""

from __future__ import annotations

import bisect
import math

from hypermax.stopping.curve import Curve
from hypermax.stopping.policy import StoppingPolicy, worse
from hypermax.stopping.rule import EarlyStopping
from hypermax.stopping.standing import Standing


class MedianRule(StoppingPolicy):
    """Stop a trial whose best loss is worse than the median of the others at the same step.

    The losses at each step that was judged are kept sorted, and a report moves only its own
    trial's entries at the steps whose loss it changes (a step beyond its last report, or the
    steps from this one to its next): a report costs about the log of the number of trials,
    not a reading of every other curve. A step is read from every curve when first judged; its
    losses are kept while the kept entries of all steps stay within a few per report
    (:attr:`PER_REPORT`), so trials that each report steps of their own (samples seen, say) do
    not make them grow with steps times trials: such a step is read from the curves at each
    report, as before.
    """

    #: kept entries per recorded report, and at least :attr:`AT_LEAST`, before steps not yet
    #: kept are read from the curves at each report instead
    PER_REPORT = 4
    AT_LEAST = 1 << 16

    def __init__(self, rule: EarlyStopping) -> None:
        super().__init__(rule)
        #: step → the loss there (:meth:`Curve.at`) of every trial that reached it, sorted
        self._at: dict[int, list[float]] = {}
        #: the steps of ``_at``, sorted
        self._steps: list[int] = []
        self._entries = 0
        self._reports = 0

    def record(self, trial_id: int, step: int, loss: float) -> None:
        curve = self.curves.setdefault(trial_id, Curve())
        steps = curve.steps
        # the steps whose loss of this trial the report changes: from the step after its last
        # report up to this one, or from this one up to its next report
        if not steps or step > steps[-1]:
            low, high = (steps[-1] + 1 if steps else step), step
        else:
            after = bisect.bisect_right(steps, step)
            low, high = step, (steps[after] - 1 if after < len(steps) else step)
        before = {s: curve.at(s) for s in self._kept(low, high)}
        known = len(steps)
        curve.add(step, loss)
        self._reports += len(steps) - known
        self._move(curve, before)

    def forget(self, trial_id: int) -> None:
        curve = self.curves.get(trial_id)
        if curve is not None and curve.steps:
            before = {s: curve.at(s) for s in self._kept(curve.steps[0], curve.steps[-1])}
            self._reports -= len(curve.steps)
            curve.steps, curve.losses = [], []
            self._move(curve, before)
        super().forget(trial_id)

    def _kept(self, low: int, high: int) -> list[int]:
        """The kept steps from ``low`` to ``high``."""
        steps = self._steps
        return steps[bisect.bisect_left(steps, low) : bisect.bisect_right(steps, high)]

    def _move(self, curve: Curve, before: dict[int, float | None]) -> None:
        """Move ``curve``'s entries at the kept steps of ``before`` from the losses there
        (None: none) to its losses now."""
        for step, old in before.items():
            new = curve.at(step)
            if old == new:
                continue
            losses = self._at[step]
            if old is not None:
                del losses[bisect.bisect_left(losses, old)]
                self._entries -= 1
            if new is not None:
                bisect.insort(losses, new)
                self._entries += 1

    def losses_at(self, step: int) -> list[float]:
        """The loss at ``step`` of every trial that reported it or a later step (that of its
        last report at or before it), sorted."""
        kept = self._at.get(step)
        if kept is not None:
            return kept
        losses = sorted(v for curve in self.curves.values() if (v := curve.at(step)) is not None)
        if self._entries + len(losses) <= max(self.AT_LEAST, self.PER_REPORT * self._reports):
            self._at[step] = losses
            bisect.insort(self._steps, step)
            self._entries += len(losses)
        return losses

    def judge(self, trial_id: int, step: int, loss: float) -> Standing:
        rule = self.rule
        # what is weighed, judged or not: the best so far, or the report's infinite loss (the
        # model diverged: a good start does not save it)
        curve = self.curves[trial_id]
        best = loss if math.isinf(loss) else curve.best
        # a best of an earlier report is named with its step: the record keeps this report's
        best_at = None if best == loss else curve.best_step
        if step < rule.grace_steps:
            grace = f"grace (step {step} < {rule.grace_steps})"
            return Standing(trial_id, step, best, against=grace, best_at=best_at)
        losses = self.losses_at(step)
        # the others' losses are these but this trial's own one
        own = curve.at(step)
        skip = len(losses) if own is None else bisect.bisect_left(losses, own)
        count = len(losses) - (own is not None)
        if count < rule.min_trials:
            needs = f"{count} of {rule.min_trials} trials at step {step}"
            return Standing(trial_id, step, best, against=needs, best_at=best_at)

        def other(k: int) -> float:
            return losses[k if k < skip else k + 1]

        half = count // 2
        # as statistics.median takes it, but halved first: the sum of two losses near the
        # float range's end would overflow to an infinity
        median = other(half) if count % 2 else other(half - 1) / 2 + other(half) / 2
        against = f"median of {count} at step {step}"
        stop = worse(best, median)
        return Standing(trial_id, step, best, median, against, stop, best_at)
