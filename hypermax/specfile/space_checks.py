"""What schema.json cannot say about the hyperparameters section, node by node.

Bounds in order and apart, a step that fits between them, defaults, means and grid values a
number can take, no NaN or infinity in a value a trial gets, and names that keep every
parameter apart in the tables. Each check yields ``(json path, message)`` problems.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

from hypermax.space.build import whole_numbers
from hypermax.space.leaf import step_range
from hypermax.space.nodes import join_path
from hypermax.space.paths import flatten
from hypermax.specfile.broken import Broken
from hypermax.specfile.problems import JsonPath, Problem, choices, show
from hypermax.specfile.walk import every_node
from hypermax.values import json_equal, quoted

LOG_SCALINGS = ("logarithmic", "exponential")
#: How many stddevs from its mean a normal prior's draws must stay floats.
PRIOR_REACH = 10
#: ``exp(x)`` is a float that is neither infinite nor below the smallest normal one (2.2e-308)
#: for ``x`` between these
_LOG_LOWEST, _LOG_HIGHEST = math.log(sys.float_info.min), math.log(sys.float_info.max)


def node_problems(
    node: dict[str, Any], where: JsonPath, broken: Broken | None = None
) -> Iterator[Problem]:
    """Problems of a hyperparameter node and of every node below it, but for the nodes the
    schema found ``broken`` (a node with a problem of its own is left out with what is below
    it; one with a problem below it only is checked no further than its sound nodes)."""
    broken = broken or Broken(())
    for at, each in every_node(node, where, prune=broken.at):
        for key in ("constant", "const", "enum"):
            if key in each and not broken.under((*at, key)):
                yield from not_json_problems(each[key], (*at, key))
        if "constant" in each or "const" in each or "anyOf" in each or "oneOf" in each:
            continue
        if "enum" in each and not broken.under(at):
            yield from _enum_node_problems(each, at)
        elif "enum" in each:
            continue
        elif each["type"] == "array":
            yield from _array_node_problems(each, at)
        elif each["type"] != "object" and not broken.under(at):
            yield from _number_node_problems(each, at)


def not_json_problems(value: Any, where: JsonPath) -> Iterator[Problem]:
    """Each NaN or infinity in ``value`` (at ``where``): YAML's ``.nan``, a ``quick`` list's
    ``NaN``, a float of a spec built in Python. JSON holds none, so the spec could not be kept
    as the JSON its results folder holds; and a NaN equals no value, not even itself."""
    if isinstance(value, float) and not math.isfinite(value):
        yield where, f"must be a finite number (JSON holds no NaN or infinity), got {show(value)}"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from not_json_problems(item, (*where, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from not_json_problems(item, (*where, str(key)))


def name_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    """Names with ``.`` or ``#`` that make two parameters one: ``"a.b"`` beside an object ``a``
    with a ``b`` (the optimizers and the tables know a parameter by its dotted path); and an
    empty name, which names no column."""
    from hypermax.space import Space

    shared = {label for label, count in Counter(Space(node).labels()).items() if count > 1}
    for at, each in every_node(node, where):
        properties = each.get("properties", {}) if each.get("type") == "object" else {}
        names = {name: _flat_paths(child, name) for name, child in properties.items()}
        if "" in names:  # a column without a name in the tables, "=0.5" in show's lines
            yield (*at, "properties"), 'has a parameter named "", an empty name: give it one'
        for name in names:
            others = (
                flat for other, each_names in names.items() if other != name for flat in each_names
            )
            if ("." in name or "#" in name) and (
                any(label.endswith(name) for label in shared) or not names[name].isdisjoint(others)
            ):
                yield (
                    (*at, "properties", name),
                    f"{quoted(name)} is also the dotted path of another parameter: "
                    "rename one of them",
                )


def _flat_paths(node: dict[str, Any], prefix: str) -> set[str]:
    """Every flat name the node's value may give the params at ``prefix``, as the tables name
    them: a constant's and an enum's values flattened, every branch, every item of a list."""
    if "constant" in node or "const" in node:
        return set(flatten(node.get("constant", node.get("const")), prefix))
    if "enum" in node:
        return {name for value in node["enum"] for name in flatten(value, prefix)}
    for key in ("anyOf", "oneOf"):
        if key in node:
            return {name for branch in node[key] for name in _flat_paths(branch, prefix)}
    if node.get("type") == "object":
        return {
            name
            for key, child in node.get("properties", {}).items()
            for name in _flat_paths(child, join_path(prefix, key))
        }
    if node.get("type") == "array":
        items = node["items"]
        every = items if isinstance(items, list) else [items] * node.get("maxItems", 1)
        return {
            name
            for i, item in enumerate(every)
            for name in _flat_paths(item, join_path(prefix, str(i)))
        }
    return {prefix}


def _enum_node_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    if "default" in node and not any(json_equal(node["default"], v) for v in node["enum"]):
        yield (
            (*where, "default"),
            f"must be one of {choices(node['enum'])}, got {show(node['default'])}",
        )


def _array_node_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    if isinstance(node["items"], list):
        for key in ("minItems", "maxItems"):
            if key in node:
                yield (*where, key), "is only used when items is one node, not a list of nodes"
        return
    low, high = node.get("minItems"), node.get("maxItems")
    if low is not None and high is not None and high < low:
        yield (*where, "maxItems"), f"must be at least minItems ({low}), got {high}"


def _number_node_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    low, high = node.get("min"), node.get("max")
    normal = node.get("mode") == "normal"
    for key in ("min", "max", "mean", "stddev", "rounding"):  # 1e400 in JSON, inf from Python
        if key in node and not _finite(node[key]):
            yield (*where, key), f"must be a finite number, got {show(node[key])}"
    if low is not None and high is not None and _finite(low) and _finite(high):
        if high < low:
            yield (*where, "max"), f"must be greater than min ({show(low)}), got {show(high)}"
        elif high == low:  # a value that is not searched
            yield (
                (*where, "max"),
                (
                    f"must be greater than min ({show(low)}), got {show(high)}: for one value, "
                    f'write {{"constant": {show(low)}}}'
                ),
            )
        elif math.isinf(high - low):
            yield (*where, "max"), "is too far from min: max - min is more than a float holds"
    scaling = node.get("scaling")
    if scaling in LOG_SCALINGS:
        for key in ("min", "mean"):
            if key in node and node[key] <= 0:
                yield (
                    (*where, key),
                    f"must be greater than 0 with {scaling} scaling, got {show(node[key])}",
                )
    if not normal:
        for key in ("mean", "stddev"):
            if key in node:
                yield (*where, key), 'is only used with "mode": "normal"'
    range_is_valid = low is None or high is None or low < high
    step = node.get("rounding")
    if step and not math.isfinite(1 / step):  # 1e-320: no value divides by it
        yield (*where, "rounding"), "is too small: 1 / rounding is more than a float holds"
    elif range_is_valid:  # a normal prior's draws are kept within its bounds too
        yield from _step_problems(node, where)
    if "default" in node and range_is_valid:
        problems = list(_value_problems(node["default"], (*where, "default"), node))
        yield from problems or _multiple_problems(node["default"], (*where, "default"), node)
    if normal and _finite(node.get("mean", math.nan)) and _finite(node.get("stddev", math.nan)):
        yield from _prior_width_problems(node, where)
    if normal and "mean" in node and _finite(node["mean"]) and range_is_valid:
        # a prior centred past a bound would give that bound alone (and tpe no range at all)
        bounds: dict[str, Any] = {key: node[key] for key in ("min", "max") if key in node}
        yield from _value_problems(node["mean"], (*where, "mean"), bounds)
    if range_is_valid:
        yield from _grid_problems(node, where)


def _prior_width_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    """A normal prior's draws on a side without a bound must be floats: a draw ``PRIOR_REACH``
    stddevs from the mean (of ``ln(value)`` with log scaling) neither overflows to infinity nor,
    on a log scale, underflows to 0 (the optimizers search ``mean ± 3 stddev`` and a random
    draw lies that far; past a bound, a draw is taken at it)."""
    mean, stddev = node["mean"], node["stddev"]
    log = node.get("scaling") in LOG_SCALINGS
    if log and mean <= 0:
        return  # said already: must be greater than 0
    centre = math.log(mean) if log else mean
    unbounded = []  # the sides without a bound whose far draws are no float
    for key, sign in (("min", -1), ("max", 1)):
        far = centre + sign * PRIOR_REACH * stddev
        fits = _LOG_LOWEST <= far <= _LOG_HIGHEST if log else _finite(far)
        if key not in node and not fits:
            unbounded.append(key)
    if not unbounded:
        return
    keys, give = " or ".join(unbounded), " and a ".join(unbounded)
    if not log:
        yield (
            (*where, "stddev"),
            f"is too large with no {keys}: a draw {PRIOR_REACH} stddev from the mean is more "
            f"than a float holds; give a {give}",
        )
        return
    most = min(
        (centre - _LOG_LOWEST if key == "min" else _LOG_HIGHEST - centre) / PRIOR_REACH
        for key in unbounded
    )
    what = {"min": "underflows to 0", "max": "overflows a float"}
    # a mean itself near the end of the floats (1e308) leaves no stddev small enough
    smaller = f", or a stddev of at most {most:.4g}" if most > 0 else ""
    yield (
        (*where, "stddev"),
        f"is too large with {node['scaling']} scaling and no {keys}: a draw {PRIOR_REACH} "
        f"stddev from the mean of ln(value) {' or '.join(what[k] for k in unbounded)}; give a "
        f"{give}{smaller}",
    )


def _finite(value: float) -> bool:
    """Whether a number can be a float that is not infinite (NaN from Python, 10**400 neither)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _step_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    """A bounded number with a step must hold a multiple of it (an integer a whole number)."""
    low, high, step = node.get("min"), node.get("max"), node.get("rounding")
    if step and node.get("type") == "integer" and not float(step).is_integer():
        yield (*where, "rounding"), f"must be a whole number for an integer, got {show(step)}"
        return
    if low is None or high is None or not (_finite(low) and _finite(high)):
        return
    if step and not all(math.isfinite(bound / step) for bound in (low, high)):
        bound = "max" if abs(high) >= abs(low) else "min"
        yield (
            (*where, "rounding"),
            f"is too small for {bound}: {bound} / rounding is more than a float holds",
        )
        return
    first, last = step_range(low, high, step or 1)
    if first <= last or not (step or whole_numbers(node)):
        return
    if step:
        message = (
            f"no multiple of {show(step)} lies between min ({show(low)}) and max ({show(high)})"
        )
        yield (*where, "rounding"), message
    else:
        yield where, f"no whole number lies between min ({show(low)}) and max ({show(high)})"


def _grid_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    if "grid" in node and "grid_points" in node:
        yield (*where, "grid_points"), 'give "grid" or "grid_points", not both'
    elif "grid_points" in node and not ("min" in node and "max" in node):
        yield (*where, "grid_points"), 'needs "min" and "max": the values are spaced between them'
    for i, value in enumerate(node.get("grid", ())):
        at = (*where, "grid", i)
        yield from _value_problems(value, at, node)
        yield from _multiple_problems(value, at, node)


def _multiple_problems(value: float, at: JsonPath, node: dict[str, Any]) -> Iterator[Problem]:
    """A value the number takes as it is (a grid value, a default) is on its step: off it, the
    trial would get another (a default of 1 with a rounding of 5 runs as 5)."""
    step = node.get("rounding")
    if step and step != 1 and not math.isclose(value / step, round(value / step), abs_tol=1e-9):
        yield at, f"must be a multiple of rounding ({show(step)}), got {show(value)}"


def _value_problems(value: float, at: JsonPath, node: dict[str, Any]) -> Iterator[Problem]:
    """A value the number must be able to take: within its bounds, whole for an integer."""
    low, high = node.get("min"), node.get("max")
    if low is not None and high is not None and not low <= value <= high:
        yield at, f"must be between {show(low)} and {show(high)}, got {show(value)}"
    elif low is not None and high is None and value < low:
        yield at, f"must be at least {show(low)}, got {show(value)}"
    elif high is not None and low is None and value > high:
        yield at, f"must be at most {show(high)}, got {show(value)}"
    if whole_numbers(node) and value != int(value):
        yield at, f"must be a whole number, got {show(value)}"
