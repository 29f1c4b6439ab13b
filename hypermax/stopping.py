"""When a search, or one of its trials, should stop: pure decisions, no clocks or processes.

The driver asks :func:`search_stop_reason` at every turn of its loop with the time spent and
the best loss so far, and :func:`failing_start_reason` whether a search whose trials all fail
should go on; everything they need is passed in, so the rules are tested as plain functions.

Early stopping (``search.early_stopping``) judges running trials from their reports. Each report
becomes one loss, the spec's composite loss of the metrics it carries (so ``direction: max`` and
weighted metrics count as they do for a finished trial), and a :class:`StoppingPolicy` says where
the trial stands against the other trials' curves:

- ``median`` (:class:`MedianRule`): at step s, a trial whose best loss so far (or whose report
  diverged: an infinite loss) is worse than the median of the other trials' losses at s is
  stopped, once ``min_trials`` others have reached s and s is at least ``grace_steps``;
- ``asha`` (:class:`Asha`): rungs at ``min_steps * eta**k`` below ``max_steps`` (``min_steps``
  defaults to ``max_steps // eta**2``, see :attr:`EarlyStopping.first_rung`); a trial reaching a
  rung goes on if its loss there is among the best ``1/eta`` of all losses recorded at that rung
  so far (at least the best one), else it is stopped. No trial waits for a bracket to fill; a
  rung with fewer than ``min_trials`` other trials lets every trial through.

A trial is judged at every report, in the order the reports arrive (there is no timer), and a
policy's state is nothing but the curves it was shown: replaying a journal's reports rebuilds it,
so a resumed search stops the trials the uninterrupted one would have.
"""

from __future__ import annotations

import bisect
import math
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from hypermax.specfile.schema import declared_default
from hypermax.trial import Trial, TrialState

if TYPE_CHECKING:
    from hypermax.spec import SearchSpec, Spec
    from hypermax.trial import Report

#: the reason a search ends with when its optimizer has nothing more to propose
EXHAUSTED = "exhausted"
#: the reason a search ends with when it ran every iteration
ITERATIONS_DONE = "iterations done"
INTERRUPTED = "interrupted"
#: the reason a search ends with when the results folder's disk filled up
DISK_FULL = "no space left on device"
#: the reason a search ends with when its journal could no longer be written
JOURNAL_UNWRITABLE = "the journal cannot be written"

_ENDED = (TrialState.FAILED, TrialState.KILLED, TrialState.STOPPED, TrialState.OK)


def search_stop_reason(search: SearchSpec, elapsed: float, best_loss: float | None) -> str | None:
    """Why the search must stop launching trials now, or None to go on.

    Args:
        search: the spec's ``search`` section (``timeout``, ``loss_threshold``).
        elapsed: seconds the search has run in this run, the time it was paused or stopped
            (Ctrl-Z) left out (see :class:`hypermax.clock.SearchClock`).
        best_loss: the lowest loss of any finished trial, or None.
    """
    if search.timeout is not None and elapsed >= search.timeout:
        return f"timeout of {search.timeout:g} s"
    threshold = search.loss_threshold
    if threshold is not None and best_loss is not None and best_loss <= threshold:
        return f"loss threshold {threshold:g} reached"
    return None


#: what a failed trial without a reason is said to have failed with
NO_REASON = "no reason recorded"
#: a number in a failure's reason
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def failing_start_reason(finished_here: int, limit: int, any_loss: bool) -> str | None:
    """Why a search that cannot work must stop now, or None to go on.

    A search whose first ``limit`` trials in this run all ended without a loss, when no trial
    of it ever produced one, is most likely broken (a typo in the function, a result without
    ``loss``); running every iteration would only repeat the failure.

    Args:
        finished_here: trials that ended (not interrupted) since this run started.
        limit: ``search.max_initial_failures``; 0 never stops.
        any_loss: whether any trial of the search, resumed ones included, produced a loss.
    """
    if limit <= 0 or any_loss or finished_here < limit:
        return None
    return f"the first {limit} trials failed and none produced a loss"


def common_failure(trials: Iterable[Trial]) -> tuple[str, list[Trial], int] | None:
    """The reason most failed trials share: ``(reason, the trials with it, failed trials)``.

    Reasons that differ only in their numbers are one (``time limit: ran 2.01 s`` and ``ran
    2.03 s``, ``exit code 1`` and ``2``); the reason given is that of the last trial with it.
    Trials without a loss count as failed (a killed trial without ``auto_kill_loss`` too);
    interrupted and running ones do not. None when no trial failed.
    """
    failed = [t for t in trials if t.state in _ENDED and t.loss is None]
    if not failed:
        return None
    kinds = [_NUMBER.sub("#", t.reason or NO_REASON) for t in failed]
    kind, _ = Counter(kinds).most_common(1)[0]
    sharing = [t for t, k in zip(failed, kinds, strict=True) if k == kind]
    return sharing[-1].reason or NO_REASON, sharing, len(failed)


# -- the rule as the spec states it ---------------------------------------------------------
def _default(key: str) -> Any:
    return declared_default("early_stopping", key)


@dataclass(frozen=True)
class EarlyStopping:
    """``search.early_stopping``, typed; defaults are those schema.json declares."""

    policy: str = _default("policy")  # "median" | "asha" | "none"
    min_trials: int = _default("min_trials")
    grace_steps: int = _default("grace_steps")
    eta: int = _default("eta")
    min_steps: int | None = None
    max_steps: int | None = None

    @classmethod
    def of(cls, section: Mapping[str, Any]) -> EarlyStopping:
        """The rule of a validated ``early_stopping`` section (missing keys take defaults); its
        numbers as ints (``"max_steps": 27.0`` is rung 3, not 3.0, in what a trial is told)."""
        known = {f.name for f in fields(cls)}
        given: dict[str, Any] = {
            key: value if key == "policy" or value is None else int(value)
            for key, value in section.items()
            if key in known
        }
        return cls(**given)

    @property
    def first_rung(self) -> int:
        """ASHA's first rung: ``min_steps`` when given; else ``max_steps // eta**2`` (at least
        1), so that a trial is judged twice before its end, at about ``max_steps / eta**2`` and
        ``max_steps / eta`` (the loss after one step says little of the loss at the end); 1
        without ``max_steps``."""
        if self.min_steps is not None:
            return self.min_steps
        if self.max_steps is None:
            return 1
        return max(1, self.max_steps // self.eta**2)

    def rungs(self, up_to: int) -> list[int]:
        """ASHA's rungs at or below step ``up_to``: ``first_rung * eta**k``, below ``max_steps``."""
        found = []
        rung = self.first_rung
        while rung <= up_to and self._before_end(rung):
            found.append(rung)
            rung *= self.eta
        return found

    def next_rung(self, step: int) -> int | None:
        """ASHA's first rung after ``step``; None past the last one."""
        rung = self.first_rung
        while rung <= step:
            rung *= self.eta
        return rung if self._before_end(rung) else None

    def _before_end(self, rung: int) -> bool:
        return self.max_steps is None or rung < self.max_steps


# -- what a policy says ---------------------------------------------------------------------
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
        """The one line a stopped trial's record keeps."""
        text = f"stopped at step {self.step}: loss {self.loss:.6g}"
        if self.best_at is not None:
            text = f"stopped at step {self.step}: best loss {self.loss:.6g} (step {self.best_at})"
        return text if self.bar is None else f"{text} worse than {self.bar:.6g} ({self.against})"


class Curve:
    """One trial's reported losses, by step."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.best = float("inf")
        #: the step of the report whose loss is ``best``
        self.best_step: int | None = None

    def add(self, step: int, loss: float) -> None:
        """Record a report; a second report of the same step replaces the first."""
        i = bisect.bisect_left(self.steps, step)
        if i < len(self.steps) and self.steps[i] == step:
            self.losses[i] = loss
        else:
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


# -- the policies ---------------------------------------------------------------------------
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
        # as statistics.median takes it
        median = other(half) if count % 2 else (other(half - 1) + other(half)) / 2
        against = f"median of {count} at step {step}"
        stop = worse(best, median)
        return Standing(trial_id, step, best, median, against, stop, best_at)


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


def _not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


POLICIES: dict[str, type[StoppingPolicy]] = {"median": MedianRule, "asha": Asha}


def make_policy(rule: EarlyStopping) -> StoppingPolicy | None:
    """The policy ``rule.policy`` names; None for ``"none"``."""
    policy = POLICIES.get(rule.policy)
    return None if policy is None else policy(rule)


# -- the driver's side ----------------------------------------------------------------------
LossOf = Callable[[dict[str, Any]], float | None]


class EarlyStopper:
    """What the driver calls on each report and on each finished trial.

    It turns each report into a loss, asks the policy, remembers which trials it asked to stop
    and why, and rebuilds the policy from the journal when a search resumes.

    Args:
        rule: the spec's ``early_stopping`` section.
        loss_of: the composite loss of a report's metrics: infinite when one is NaN or
            infinite (the trial diverged), None when they lack what the loss needs (such a
            report is not judged).
    """

    def __init__(self, rule: EarlyStopping, loss_of: LossOf) -> None:
        self.rule = rule
        self.policy = make_policy(rule)
        self.loss_of = loss_of
        self._stopping: dict[int, Standing] = {}

    @classmethod
    def for_spec(cls, spec: Spec) -> EarlyStopper:
        """The stopper of a spec: its ``early_stopping`` rule, its composite loss."""
        from hypermax.conclude import composite_loss, split_result
        from hypermax.loss import LossError

        def loss_of(metrics: dict[str, Any]) -> float | None:
            try:
                return composite_loss(metrics, spec).loss
            except LossError:
                # a NaN or an infinity (a diverged model): worse than any loss, as Optuna's
                # pruners take it; a report without the metrics the loss needs is not judged
                used, _ = split_result(metrics, spec)
                return math.inf if any(_not_finite(v) for v in used.values()) else None

        return cls(EarlyStopping.of(spec.search.early_stopping), loss_of)

    def rebuild(self, trials: Iterable[Trial]) -> None:
        """Show the policy every report of the finished trials of a resumed search.

        Trials that were running or interrupted are left out: they run again and report anew.
        A report that diverged weighs as it did when it came (the journal keeps its NaN or
        infinity as ``"nan"`` or ``"inf"``).
        """
        from hypermax.journal_replay import numbers_back

        if self.policy is None:
            return
        for trial in trials:
            if trial.state in (TrialState.RUNNING, TrialState.INTERRUPTED):
                continue
            for entry in trial.reports:
                metrics = numbers_back({k: v for k, v in entry.items() if k != "step"})
                loss = self.loss_of(metrics)
                if loss is not None:
                    self.policy.record(trial.id, int(entry.get("step", 0)), loss)

    def on_report(self, report: Report) -> Standing | None:
        """Judge one report of a running trial; None when nothing judges it.

        The returned Standing has ``stop`` set the first time the trial should stop; the
        trial's reports after that are not weighed (see :meth:`asked_to_stop`).
        """
        if self.policy is None or self.asked_to_stop(report.trial_id):
            return None
        loss = self.loss_of(report.metrics)
        if loss is None:
            return None
        standing = self.policy.observe(report.trial_id, report.step, loss)
        if standing.stop:
            self._stopping[report.trial_id] = standing
        return standing

    def asked_to_stop(self, trial_id: int) -> bool:
        """Whether the running trial ``trial_id`` was judged to stop. What it reports after
        that (an executable prints reports until its SIGTERM lands) came after the decision:
        it moves neither the trial's step nor its loss, nor the policy's curves."""
        return trial_id in self._stopping

    def on_finished(self, trial: Trial) -> Trial:
        """The finished trial, a stopped one with the reason it was stopped.

        An interrupted trial's reports are forgotten: it runs again from the start.
        """
        standing = self._stopping.pop(trial.id, None)
        if trial.state is TrialState.INTERRUPTED and self.policy is not None:
            self.policy.forget(trial.id)
        if trial.state is TrialState.STOPPED and standing is not None:
            return replace(trial, reason=standing.reason)
        return trial
