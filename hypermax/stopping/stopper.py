"""What the driver calls on each report and each finished trial: the early stopper.

It picks the policy the spec names, turns each report into a loss, keeps which trials it asked
to stop and why, and rebuilds the policy from the journal when a search resumes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hypermax.stopping.asha import Asha
from hypermax.stopping.median import MedianRule
from hypermax.stopping.policy import StoppingPolicy
from hypermax.stopping.rule import EarlyStopping
from hypermax.stopping.standing import Standing
from hypermax.trial import Trial, TrialState

if TYPE_CHECKING:
    from hypermax.spec import Spec
    from hypermax.trial import Report


#: keys a report line may hold its step under, meaning it (lower case): a metric to hypermax
_STEP_NAMES = frozenset({"step", "steps", "epoch", "epochs", "iteration", "iter", "global_step"})


def _step_like(key: str, value: Any) -> bool:
    """Whether a report's ``key`` looks like its step under another name (``"epoch": 3``)."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    return whole and key.lower() in _STEP_NAMES


def _not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


POLICIES: dict[str, type[StoppingPolicy]] = {"median": MedianRule, "asha": Asha}


def make_policy(rule: EarlyStopping) -> StoppingPolicy | None:
    """The policy ``rule.policy`` names; None for ``"none"``."""
    policy = POLICIES.get(rule.policy)
    return None if policy is None else policy(rule)


LossOf = Callable[[dict[str, Any]], float | None]


def report_loss(metrics: dict[str, Any], spec: Spec) -> float | None:
    """The loss early stopping weighs for a report's ``metrics``: the spec's composite loss;
    infinite when a metric it uses is NaN or infinite (a diverged model, worse than any loss,
    as Optuna's pruners take it); None when they lack what the loss needs (not judged).

    A metric that is the text ``"nan"``, ``"inf"`` or ``"-inf"`` is the number it names: the
    journal keeps a NaN or an infinity as that text, so a resumed search reads it back as the
    number, and the live search weighs it as the resumed one will.
    """
    from hypermax.conclude import composite_loss, split_result
    from hypermax.journal_records import numbers_back
    from hypermax.loss import LossError

    metrics = numbers_back(metrics)
    try:
        return composite_loss(metrics, spec).loss
    except LossError:
        used, _ = split_result(metrics, spec)
        return math.inf if any(_not_finite(v) for v in used.values()) else None


def weighed_report(reports: Sequence[dict[str, Any]], loss_of: LossOf) -> dict[str, Any] | None:
    """The report a trial cut short is recorded with: its last one that ``loss_of`` weighs (a
    diverged one too), not a later one that lacks what the loss needs (a training loss
    reported per batch after the epoch's validation metric); None when none is weighed."""
    for report in reversed(reports):
        if loss_of({k: v for k, v in report.items() if k != "step"}) is not None:
            return report
    return None


class EarlyStopper:
    """What the driver calls on each report and on each finished trial.

    It turns each report into a loss, asks the policy, remembers which trials it asked to stop
    and why, and rebuilds the policy from the journal when a search resumes.

    Args:
        rule: the spec's ``early_stopping`` section.
        loss_of: the composite loss of a report's metrics: infinite when one is NaN or
            infinite (the trial diverged), None when they lack what the loss needs (such a
            report is not judged).
        why_no_loss: why a report's metrics give no loss, for :meth:`none_judged`'s line.
        step_optional: a report may leave its step out (an executable's report line), which
            makes it step 0: :meth:`none_judged`'s line says so of reports all at step 0.
    """

    def __init__(
        self,
        rule: EarlyStopping,
        loss_of: LossOf,
        why_no_loss: Callable[[dict[str, Any]], str] | None = None,
        step_optional: bool = False,
    ) -> None:
        self.rule = rule
        self.policy = make_policy(rule)
        self.loss_of = loss_of
        self.why_no_loss = why_no_loss
        self.step_optional = step_optional
        self._stopping: dict[int, Standing] = {}
        #: running trials with a report that gave a loss: how many, the lowest and highest step
        self._judged: dict[int, tuple[int, int, int]] = {}
        self._said_unjudged = False

    @classmethod
    def for_spec(cls, spec: Spec) -> EarlyStopper:
        """The stopper of a spec: its ``early_stopping`` rule, its composite loss."""
        from hypermax.conclude import composite_loss
        from hypermax.loss import LossError

        def loss_of(metrics: dict[str, Any]) -> float | None:
            return report_loss(metrics, spec)

        def why_no_loss(metrics: dict[str, Any]) -> str:
            from hypermax.values import quoted

            needs = (
                [m.name for m in spec.metrics if m.type not in ("time", "ram")]
                if spec.metrics
                else [spec.search.metric]
            )
            missing = ", ".join(quoted(name) for name in needs if name not in metrics)
            if missing:
                carried = ", ".join(quoted(str(name)) for name in metrics) or "no metric"
                return (
                    f"none carries {missing} (the last one carried {carried}), which the loss needs"
                )
            try:
                composite_loss(metrics, spec)
            except LossError as exc:
                return f"the last one gives no loss: {exc}"
            return "none gives a loss"

        rule = EarlyStopping.of(spec.search.early_stopping)
        return cls(rule, loss_of, why_no_loss, spec.function.type == "executable")

    def rebuild(self, trials: Iterable[Trial]) -> None:
        """Show the policy every report of the finished trials of a resumed search.

        Trials that were running or interrupted are left out: they run again and report anew.
        A report that diverged weighs as it did when it came (the journal keeps its NaN or
        infinity as ``"nan"`` or ``"inf"``; a live report of that text weighs as the number
        too, see :func:`report_loss`).
        """
        from hypermax.journal_records import numbers_back

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
        count, low, high = self._judged.get(report.trial_id, (0, report.step, report.step))
        self._judged[report.trial_id] = (count + 1, min(low, report.step), max(high, report.step))
        standing = self.policy.observe(report.trial_id, report.step, loss)
        if standing.stop:
            self._stopping[report.trial_id] = standing
        return standing

    def none_judged(self, trial_id: int, reports: Sequence[dict[str, Any]]) -> str | None:
        """The line that says why early stopping judged none of the reports of trial
        ``trial_id``, which ended: none gave a loss (a metric misnamed in them, ``acc`` for
        ``accuracy``), or several did, all at one step below the first the policy judges (report
        lines that leave their step out: each is step 0). Said for the first such trial of the
        search only, and only when it reported. None otherwise, as for a trial with a report it
        could judge (reports of another kind beside those, per batch without the validation
        metric, are no mistake; nor are steps below a rung of a trial that ended early)."""
        judged = self._judged.pop(trial_id, None)
        if self.policy is None or not reports or self._said_unjudged:
            return None
        count = f"{len(reports)} reports" if len(reports) > 1 else "report"
        if judged is not None:
            why = self._below_judged(*judged, reports[-1])
            if why is None:
                return None
        else:
            last = {k: v for k, v in reports[-1].items() if k != "step"}
            why = self.why_no_loss(last) if self.why_no_loss is not None else "none gives a loss"
        self._said_unjudged = True
        return f"early stopping judged none of trial {trial_id}'s {count}: {why}"

    def _below_judged(self, count: int, low: int, high: int, last: dict[str, Any]) -> str | None:
        """Why reports that gave a loss, ``count`` of them at steps ``low`` to ``high``, were
        not judged: all at one step below the first judged; None otherwise. ``last``, the last
        report, names the key that held its step when it was not ``"step"`` (``"epoch"``)."""
        first, what = self.rule.first_judged
        if count < 2 or low != high or high >= first:
            return None
        why = f"each is at step {low}, below {what}"
        if low == 0 and self.step_optional:
            named = next((k for k, v in last.items() if k != "step" and _step_like(k, v)), None)
            why += ' (a HYPERMAX_REPORT line without a "step" is at step 0'
            why += f'; these carry "{named}": name it "step")' if named else ")"
        return why

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
