"""From how a trial process ended to the finished trial: state, loss and its terms, metrics.

:func:`conclude` is a pure function of the running trial, the runner's Outcome and the spec, so
the driver, a resume and the tests all turn outcomes into trials the same way.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hypermax.execution.outcome import reason_line
from hypermax.loss import LossBreakdown, LossError, compute_loss, to_float
from hypermax.trial import Outcome, Trial, TrialState
from hypermax.values import json_text

if TYPE_CHECKING:
    from hypermax.spec import Spec

#: keys of a result that say how the trial went rather than what it measured (``reason`` only
#: beside a failed ``status``: else it is metadata as any other key)
RESERVED_KEYS = ("loss", "status", "time", "reason")
_FAILED_STATUSES = ("fail", "failed", "error")


def conclude(trial: Trial, outcome: Outcome, spec: Spec) -> Trial:
    """The finished trial.

    Every state that carries a loss gets it through the spec's composite loss: an ``ok`` trial
    from its result, a ``stopped`` trial from the metrics of its last report that gives a loss
    (so ``direction: max`` and weighted metrics count the same as for a finished trial; a later
    report without what the loss needs, a per-batch training loss, is passed over): the loss
    early stopping weighed, a ``time`` or ``ram`` metric counting only as the report carries
    it; what else the report carries is metadata, as a result's is. A ``killed``
    trial's loss is ``function.auto_kill_loss`` (None without it); ``failed`` and
    ``interrupted`` trials have none. An ``ok`` result that says ``"status": "fail"`` or yields
    no usable loss makes the trial ``failed`` with the reason.
    """
    result = outcome.result or {}
    # the report a stopped trial is recorded with: its last that gives a loss (see
    # weighed_report); the step of any other trial is that of its last report
    weighed = trial.reports[-1] if trial.reports else {}
    if outcome.state is TrialState.STOPPED and trial.reports:
        from hypermax.stopping.stopper import report_loss, weighed_report

        found = weighed_report(trial.reports, lambda metrics: report_loss(metrics, spec))
        weighed = found if found is not None else weighed  # none: its last, without a loss
    state, reason = outcome.state, outcome.reason
    loss: float | None = None
    terms: dict[str, float] = {}
    metrics, metadata = split_result(result, spec)
    if state is TrialState.OK:
        status = str(result.get("status", "ok")).lower()
        if status in _FAILED_STATUSES:
            state = TrialState.FAILED
            reason = reason_line(str(result.get("reason") or "the trial said it failed"), 300)
        elif status != "ok":  # a typo must not pass a failed trial off as a good one
            state = TrialState.FAILED
            reason = f'the result\'s status is {json_text(result["status"])}, not "ok" or "fail"'
        elif "time" in result and _seconds(result["time"]) is None:
            state = TrialState.FAILED
            time = json_text(result["time"])
            reason = f"the result's time is not a number of seconds (at least 0): {time}"
        else:
            try:
                breakdown = composite_loss(result, spec, outcome.wall_time, outcome.peak_rss_mib)
                loss, terms = breakdown.loss, breakdown.terms
            except LossError as exc:
                state, reason = TrialState.FAILED, str(exc)
    elif state is TrialState.KILLED and spec.function.auto_kill_loss is not None:
        loss = float(spec.function.auto_kill_loss)
    elif state is TrialState.STOPPED and trial.reports:
        last = {k: v for k, v in weighed.items() if k != "step"}
        reported, beside = split_result(last, spec)  # what else it carries, as a result's
        metrics, metadata = {**metrics, **reported}, {**metadata, **beside}
        try:  # the loss the report had when it was weighed: time and ram only as it carries them
            breakdown = composite_loss(last, spec)
            loss, terms = breakdown.loss, breakdown.terms
        except LossError:
            loss = None
    measured = _seconds(result.get("time"))
    return replace(
        trial,
        state=state,
        loss=loss,
        metrics=metrics,
        loss_terms=terms,
        metadata=metadata,
        time=outcome.wall_time if measured is None else measured,
        cpu_time=outcome.cpu_time,
        peak_rss_mib=outcome.peak_rss_mib,
        reason=reason,
        kill_reason=outcome.kill_reason.value if outcome.kill_reason else None,
        kill_value=outcome.kill_value,
        exit_code=outcome.exit_code,
        ended_at=outcome.ended_at,
        attachments=outcome.attachments,
        step=weighed.get("step") if trial.reports else None,
    )


def composite_loss(
    values: dict[str, Any], spec: Spec, wall_time: float = 0.0, peak_rss_mib: float = 0.0
) -> LossBreakdown:
    """The spec's loss of a result or of a report's metrics (its metrics, or its direction).

    ``time`` and ``ram`` metrics use ``wall_time`` (unless ``values`` has a ``time``) and
    ``peak_rss_mib``. Raises :class:`~hypermax.loss.LossError` when no finite loss comes out.
    """
    return compute_loss(
        values,
        spec.metrics,
        wall_time=wall_time,
        peak_rss_mib=peak_rss_mib,
        direction=spec.search.direction,
        metric=spec.search.metric,
    )


def split_result(result: dict[str, Any], spec: Spec) -> tuple[dict[str, Any], dict[str, Any]]:
    """A result's metrics (the named ones and ``loss``) and the rest, kept as metadata (a
    ``reason`` too, unless the ``status`` says the trial failed: then it is the trial's)."""
    named = {m.name for m in spec.metrics} | {"loss", spec.search.metric}
    metrics = {k: v for k, v in result.items() if k in named and k not in ("status", "time")}
    failed = str(result.get("status", "ok")).lower() in _FAILED_STATUSES
    reserved = RESERVED_KEYS if failed else tuple(k for k in RESERVED_KEYS if k != "reason")
    metadata = {k: v for k, v in result.items() if k not in named and k not in reserved}
    return metrics, metadata


def _seconds(value: Any) -> float | None:
    """A time a result returned, in seconds: a finite number at least 0, else None."""
    seconds = finite(value)
    return seconds if seconds is not None and seconds >= 0 else None


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = to_float(value)
        return number if math.isfinite(number) else None
    return None
