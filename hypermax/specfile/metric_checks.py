"""What schema.json cannot say about the metrics section: the keys each kind of metric uses,
ranges in order, a target inside its range, positive bounds for a log scaling.

Each check yields ``(json path, message)`` problems.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypermax.specfile.problems import JsonPath, Problem, show
from hypermax.specfile.space_checks import LOG_SCALINGS

_TIME_KEYS = ("target_time", "max_time", "penalty_at_max")
_VALUE_ONLY_KEYS = ("direction", "scaling")


def metric_problems(metrics: dict[str, Any]) -> Iterator[Problem]:
    """Problems of the ``metrics`` section."""
    for name, metric in metrics.items():
        where = ("metrics", name)
        kind = metric.get("type")
        if kind == "time":
            yield from _time_metric_problems(metric, where)
        elif kind == "ram":
            yield from _ram_metric_problems(metric, where)
        else:
            yield from _value_metric_problems(metric, where)


def _time_metric_problems(metric: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    for key in ("min", "max", "target", *_VALUE_ONLY_KEYS):
        if key in metric:
            yield (*where, key), "is not used by a time metric"
    target, top = metric["target_time"], metric["max_time"]
    if top <= target:
        yield (
            (*where, "max_time"),
            f"must be greater than target_time ({show(target)}), got {show(top)}",
        )


def _ram_metric_problems(metric: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    for key in _VALUE_ONLY_KEYS:
        if key in metric:
            yield (*where, key), "is not used by a ram metric"
    target = metric.get("target", metric.get("target_time"))
    top = metric.get("max", metric.get("max_time"))
    if target is None:
        yield where, 'missing required key "target" (MiB up to which RAM adds nothing)'
    if top is None:
        yield where, 'missing required key "max" (MiB at which RAM adds penalty_at_max)'
    if target is not None and top is not None and top <= target:
        at = (*where, "max" if "max" in metric else "max_time")
        yield at, f"must be greater than the target ({show(target)}), got {show(top)}"


def _value_metric_problems(metric: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    for key in _TIME_KEYS:
        if key in metric:
            yield (*where, key), "is only used by time and ram metrics"
    low, high = metric.get("min"), metric.get("max")
    if low is not None and high is not None and high <= low:
        yield (*where, "max"), f"must be greater than min ({show(low)}), got {show(high)}"
    # a target at the worst end of the range, or past it, makes every value count as it
    target = metric.get("target")
    increase = metric.get("direction") == "increase"
    if target is not None and increase and low is not None:
        if target <= low:
            yield (
                (*where, "target"),
                f"must be greater than min ({show(low)}), got {show(target)}:"
                " every value down to min would count as the target",
            )
    elif target is not None and not increase and high is not None and target >= high:
        yield (
            (*where, "target"),
            f"must be less than max ({show(high)}), got {show(target)}:"
            " every value up to max would count as the target",
        )
    scaling = metric.get("scaling")
    if scaling in LOG_SCALINGS:
        for key in ("min", "max", "target"):
            if key in metric and metric[key] <= 0:
                yield (
                    (*where, key),
                    f"must be greater than 0 with {scaling} scaling, got {show(metric[key])}",
                )
