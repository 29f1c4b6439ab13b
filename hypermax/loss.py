"""Metrics → one loss to minimise, with the contribution of every term (DESIGN §2.4)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hypermax.spec import MetricSpec
from hypermax.values import json_text, quoted


class LossError(ValueError):
    """A result that yields no usable loss (missing metric, NaN, not a number)."""


@dataclass(frozen=True)
class LossBreakdown:
    """The loss and the term each metric added to it."""

    loss: float
    terms: dict[str, float] = field(default_factory=dict)


def time_penalty(t: float, target_time: float, max_time: float, penalty_at_max: float) -> float:
    """0 up to ``target_time``, then ``penalty_at_max * ((t - target) / (max - target))**2``:
    an infinity once that runs past the largest float (a time of 1e300), where ``**`` raised
    OverflowError; 0 without a penalty, whatever the time."""
    if t <= target_time or penalty_at_max == 0:
        return 0.0
    ratio = (t - target_time) / (max_time - target_time)
    return penalty_at_max * (ratio * ratio)  # a product overflows to inf, where ** raises


def metric_term(metric: MetricSpec, value: float) -> float:
    """The normalised, weighted contribution of one value metric."""
    scale = (lambda x: _log10(x, metric.name)) if metric.scaling == "logarithmic" else float
    v = scale(value)
    base = 0.0 if metric.min is None else scale(metric.min)
    increase = metric.direction == "increase"
    if metric.target is not None:
        target = scale(metric.target)
        v = min(v, target) if increase else max(v, target)
    if metric.max is not None:
        top = scale(metric.max)
        n = (top - v) / (top - base) if increase else (v - base) / (top - base)
    else:
        n = base - v if increase else v - base
    return metric.weight * n


def _penalty(m: MetricSpec, measured: float, target: float | None, top: float | None) -> float:
    if target is None or top is None:
        raise LossError(f"metric {m.name} needs a target and a maximum")
    return time_penalty(measured, target, top, m.penalty_at_max or 0.0)


def _log10(x: float, name: str) -> float:
    if x <= 0:
        raise LossError(f"metric {name} is {x}, which logarithmic scaling cannot take")
    return math.log10(x)


def _returned(missing: str, result: dict[str, Any]) -> str:
    """``"loss" (it returned "accuracy", "time")``: what was missing and what was there."""
    keys = [key for key in result if key != "status"]
    returned = ", ".join(quoted(str(key)) for key in keys[:10]) + (
        ", ..." if len(keys) > 10 else ""
    )
    return f'"{missing}" (it returned {returned or "no values"})'


def to_float(value: float) -> float:
    """``value`` as a float; an integer past the largest float is an infinity of its sign
    (``float()`` raises OverflowError for it: a result of ``10**400`` is not finite, not a bug)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LossError(f"{what} is not a number: {json_text(value)}")
    number = to_float(value)
    if not math.isfinite(number):
        raise LossError(f"{what} is {number}")
    return number


def compute_loss(
    result: dict[str, Any],
    metrics: Sequence[MetricSpec],
    wall_time: float,
    peak_rss_mib: float = 0.0,
    direction: str = "min",
    metric: str = "loss",
) -> LossBreakdown:
    """The loss of a trial's result.

    Without ``metrics`` the loss is ``result[metric]``, negated when ``direction`` is ``max``.
    With ``metrics`` it is the sum of the metric terms; ``time`` metrics use the result's ``time``
    when it returned one, else ``wall_time``; ``ram`` metrics use ``peak_rss_mib``.
    Raises LossError when the result yields no finite loss.
    """
    if not metrics:
        if metric not in result:
            example = next((key for key in result if key != "status"), None)
            if example is None:  # nothing to pick instead
                raise LossError(f'the result has no "{metric}": it returned no values')
            raise LossError(
                f"the result has no {_returned(metric, result)}; to use one of those, set "
                "search.metric and search.direction, or add a metrics section "
                f'(hypermax.optimize: metrics="{example}" or "{example}:max")'
            )
        value = _number(result[metric], metric)
        term = -value if direction == "max" else value  # what it adds to the loss
        return LossBreakdown(term, {metric: term})
    terms: dict[str, float] = {}
    for m in metrics:
        if m.type == "time":
            measured = _number(result.get("time", wall_time), "time")
            terms[m.name] = m.weight * _penalty(m, measured, m.target_time, m.max_time)
            continue
        if m.type == "ram":
            target = m.target if m.target is not None else m.target_time
            top = m.max if m.max is not None else m.max_time
            terms[m.name] = m.weight * _penalty(m, peak_rss_mib, target, top)
            continue
        if m.name not in result:
            raise LossError(f"the result has no metric {_returned(m.name, result)}")
        terms[m.name] = metric_term(m, _number(result[m.name], m.name))
    return LossBreakdown(_sum(terms), terms)


def _sum(terms: dict[str, float]) -> float:
    """The loss of finite ``terms``; raises LossError when their sum is not a finite number (a
    metric near the largest float, scaled or added to another, runs past it)."""
    try:
        loss = math.fsum(terms.values())
    except (OverflowError, ValueError):  # past the largest float on the way; inf - inf
        loss = math.nan
    if not math.isfinite(loss):
        listed = ", ".join(f"{name} {value:g}" for name, value in terms.items())
        raise LossError(f"the loss, the sum of its terms ({listed}), is not a finite number")
    return loss
