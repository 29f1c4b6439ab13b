"""The ``asha`` policy: asynchronous successive halving over rungs of steps."""

from __future__ import annotations

import bisect

from hypermax.stopping.policy import StoppingPolicy, worse
from hypermax.stopping.rule import EarlyStopping
from hypermax.stopping.standing import Standing


class Asha(StoppingPolicy):
    """Asynchronous successive halving: only the best ``1/eta`` at each rung goes on."""

    def __init__(self, rule: EarlyStopping) -> None:
        super().__init__(rule)
        #: rung → trial → (its loss there, the step of the report that reached it)
        self.rungs: dict[int, dict[int, tuple[float, int]]] = {}
        #: trial → the rungs its latest report reached first (a rung is judged once a trial)
        self._reached: dict[int, list[int]] = {}
        #: rung → the losses there, in order: kept as trials reach it, not sorted at each report
        self._losses: dict[int, list[float]] = {}

    def record(self, trial_id: int, step: int, loss: float) -> None:
        super().record(trial_id, step, loss)
        reached = self._reached[trial_id] = []
        for rung in self.rule.rungs(step):
            entries = self.rungs.setdefault(rung, {})
            if trial_id not in entries:
                entries[trial_id] = (loss, step)
                bisect.insort(self._losses.setdefault(rung, []), loss)
                reached.append(rung)

    def forget(self, trial_id: int) -> None:
        super().forget(trial_id)
        self._reached.pop(trial_id, None)
        for rung, entries in self.rungs.items():
            left = entries.pop(trial_id, None)
            if left is not None:
                losses = self._losses[rung]
                del losses[bisect.bisect_left(losses, left[0])]

    def judge(self, trial_id: int, step: int, loss: float) -> Standing:
        if self.rule.max_steps is not None and step >= self.rule.max_steps:
            # the trial trained all its steps (even one whose report jumped over the rungs):
            # stopping it now would save nothing and throw its result away
            return Standing(trial_id, step, loss, against="past the last rung")
        # the rungs this report reached first, lowest first: a trial that went on at a rung
        # is not judged there again (a second report of the same step, a step gone back)
        reached = self._reached.get(trial_id, [])
        for rung in reached:
            at_rung = self.rungs[rung][trial_id][0]
            cutoff, against = self.cutoff(rung, len(self.rungs[rung]))
            if cutoff is not None and worse(at_rung, cutoff):
                return Standing(trial_id, step, at_rung, cutoff, against, stop=True)
        if reached:
            cutoff, against = self.cutoff(reached[-1], len(self.rungs[reached[-1]]))
            return Standing(trial_id, step, loss, cutoff, against)
        return self._ahead(trial_id, step, loss)

    def _ahead(self, trial_id: int, step: int, loss: float) -> Standing:
        """Between rungs: the cutoff the trial will meet at the next rung, as things stand."""
        upcoming = self.rule.next_rung(step)
        if upcoming is None:
            return Standing(trial_id, step, loss, against="past the last rung")
        entries = self.rungs.get(upcoming, {})
        cutoff, against = self.cutoff(upcoming, len(entries) + (trial_id not in entries))
        return Standing(trial_id, step, loss, cutoff, f"next {against}")

    def cutoff(self, rung: int, count: int) -> tuple[float | None, str]:
        """The worst loss kept at ``rung`` once ``count`` trials reached it, and what it is."""
        losses = self._losses.get(rung, [])
        if count - 1 < self.rule.min_trials or not losses:
            return None, f"rung {rung}: {count - 1} of {self.rule.min_trials} trials"
        keep = max(1, count // self.rule.eta)
        return losses[min(keep, len(losses)) - 1], f"rung {rung}: best {keep} of {count}"
