"""What schema.json cannot say about a spec: cross-field rules, files and programs that must
exist, methods that must be usable, early stopping keys that fit the policy.

Each check yields ``(json path, message)`` problems on a document whose defaults are filled in.
Parts of the document that broke the schema are left out (their problems are already known,
and these checks rely on the schema's shapes); every other part is checked, so that one run
reports every problem it can.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hypermax.registry import METHODS, builtin_problem
from hypermax.space.build import whole_numbers
from hypermax.space.leaf import step_range
from hypermax.space.nodes import join_path
from hypermax.space.paths import flatten
from hypermax.specfile.cluster import cluster_problems
from hypermax.specfile.function import function_problems
from hypermax.specfile.paths import home_expanded
from hypermax.specfile.placeholders import placeholder_problems, variable_problems
from hypermax.specfile.plans import plan_problems
from hypermax.specfile.problems import JsonPath, KeyPath, Problem, choices, show
from hypermax.specfile.sizes import size_problems
from hypermax.specfile.walk import every_node
from hypermax.system_text import os_size
from hypermax.values import json_equal, quoted

LOG_SCALINGS = ("logarithmic", "exponential")


def semantic_problems(
    doc: dict[str, Any], path: Path, schema_problems: Iterable[Problem] = ()
) -> list[Problem]:
    """What the schema cannot say, in every part of ``doc`` that ``schema_problems`` spare."""
    nul = list(nul_problems(doc))
    if nul:  # a file name, a command or a variable with a NUL: nothing below can be checked
        return nul
    folder = path.resolve().parent
    doc = home_expanded(doc)  # the paths the run will use
    schema_problems = list(schema_problems)
    broken = Broken(where for where, _ in schema_problems)
    # a misspelt key of the search section hides none of the problems of the keys it has
    misspelt_only = all(isinstance(w, KeyPath) for w, _ in schema_problems if w[:1] == ("search",))
    problems: list[Problem] = []
    oversized: list[Problem] = []
    if "hyperparameters" in doc:
        problems += node_problems(doc["hyperparameters"], ("hyperparameters",), broken)
        if not broken.under(("hyperparameters",)):
            oversized = list(size_problems(doc["hyperparameters"], ("hyperparameters",)))
            problems += oversized
        if not problems and not broken.under(("hyperparameters",)):
            problems += name_problems(doc["hyperparameters"], ("hyperparameters",))
    if "function" in doc and _function_readable(doc["function"], broken):
        params = None if broken.under(("hyperparameters",)) else top_level_params(doc)
        problems += function_problems(doc["function"], folder, "cluster" in doc, params)
        if "hyperparameters" in doc and not broken.under(("hyperparameters",)):
            problems += placeholder_problems(doc["function"], doc["hyperparameters"])
            if doc["function"].get("type") == "executable":
                problems += variable_problems(doc["hyperparameters"])
    if isinstance(doc.get("metrics", {}), dict):  # each metric the schema found sound
        metrics = doc.get("metrics", {})
        problems += metric_problems(
            {name: m for name, m in metrics.items() if not broken.under(("metrics", name))}
        )
    search_sound = not broken.at(("metrics",)) and (
        not broken.under(("search",)) or (misspelt_only and isinstance(doc.get("search"), dict))
    )
    if search_sound:
        problems += search_problems(doc, folder)
    if isinstance(doc.get("search"), dict) and not broken.under(("search", "early_stopping")):
        # its own keys only: not hidden by a problem elsewhere in search (a method's options)
        problems += early_stopping_problems(doc["search"].get("early_stopping", {}))
    space_sound = "hyperparameters" in doc and not broken.under(("hyperparameters",))
    if search_sound and space_sound and not oversized:
        problems += plan_problems(doc)
    if "cluster" in doc and _cluster_readable(doc["cluster"], broken):
        problems += cluster_problems(doc["cluster"], folder)
    return problems


#: the keys of the function section that its own checks read
_FUNCTION_KEYS_READ = ("type", "name", "module", "src", "command", "cwd", "env", "preload")


def _function_readable(fn: Any, broken: Broken) -> bool:
    """Whether the function section's own checks can read what they check: a problem of
    another of its keys (a limit out of range, a misspelt key) does not hide theirs."""
    if not isinstance(fn, dict) or fn.get("type") not in ("python_function", "executable"):
        return False
    if ("name" if fn["type"] == "python_function" else "command") not in fn:
        return False
    return not any(broken.under(("function", key)) for key in _FUNCTION_KEYS_READ)


def _cluster_readable(cluster: Any, broken: Broken) -> bool:
    """Whether the cluster section's own checks can read the scheduler's address and the TLS
    files: a problem of another of its keys (a wait out of range) does not hide theirs."""
    return (
        isinstance(cluster, dict)
        and isinstance(cluster.get("scheduler"), str)
        and not broken.under(("cluster", "scheduler"))
        and not broken.under(("cluster", "security"))
        and ("cluster",) not in broken.paths  # the section itself: not an object, say
    )


#: The sections whose texts may hold a NUL byte: the space's values reach a trial in its params
#: file, and metadata is only shown (so are the ``x-`` sections, ignored).
_NUL_TAKEN = ("hyperparameters", "hypermax_results")
_NUL_HOLDERS = "no file name, command line or environment variable"


def nul_problems(value: Any, where: JsonPath = ()) -> Iterator[Problem]:
    """Each text of the spec (outside :data:`_NUL_TAKEN`) that holds a NUL byte: no file name,
    command line or environment variable can hold one."""
    if isinstance(value, str):
        if "\0" in value:
            yield where, f"holds a NUL byte (\\u0000), which {_NUL_HOLDERS} can hold"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nul_problems(item, (*where, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            if where or not (key in _NUL_TAKEN or str(key).startswith("x-")):
                at = (*where, str(key))
                if "\0" in str(key):
                    yield at, f"holds a NUL byte (\\u0000), which {_NUL_HOLDERS} can hold"
                else:
                    yield from nul_problems(item, at)


def top_level_params(doc: dict[str, Any]) -> list[str] | None:
    """The names of the params a trial's dict holds at its top, when the space is an object."""
    node = doc.get("hyperparameters")
    if not isinstance(node, dict) or set(node) & {"$ref", "anyOf", "oneOf"}:
        return None
    properties = node.get("properties")
    return list(properties) if isinstance(properties, dict) else None


class Broken:
    """The JSON paths where the schema found problems, asked about the parts that hold them."""

    def __init__(self, paths: Iterable[JsonPath]) -> None:
        self.paths = [tuple(where) for where in paths]

    def under(self, where: JsonPath) -> bool:
        """A problem at ``where`` or anywhere below it."""
        return any(p[: len(where)] == where for p in self.paths)

    def at(self, where: JsonPath) -> bool:
        """A problem of the value at ``where`` itself or of one of its own keys."""
        return any(p[: len(where)] == where and len(p) <= len(where) + 1 for p in self.paths)


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
                yield from _not_json_problems(each[key], (*at, key))
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


def _not_json_problems(value: Any, where: JsonPath) -> Iterator[Problem]:
    """Each NaN or infinity in a value a trial gets (YAML's ``.nan``, a ``quick`` list's
    ``NaN``): JSON holds none, and a NaN equals no value, not even the one it was given."""
    if isinstance(value, float) and not math.isfinite(value):
        yield where, f"must be a finite number (JSON holds no NaN or infinity), got {show(value)}"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _not_json_problems(item, (*where, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _not_json_problems(item, (*where, str(key)))


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
    for key in ("min", "max", "mean", "stddev"):  # 1e400 in JSON, inf from Python
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
        yield from _value_problems(node["default"], (*where, "default"), node)
    if normal and "mean" in node and _finite(node["mean"]) and range_is_valid:
        # a prior centred past a bound would give that bound alone (and tpe no range at all)
        bounds: dict[str, Any] = {key: node[key] for key in ("min", "max") if key in node}
        yield from _value_problems(node["mean"], (*where, "mean"), bounds)
    if range_is_valid:
        yield from _grid_problems(node, where)


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
    step = node.get("rounding")
    for i, value in enumerate(node.get("grid", ())):
        at = (*where, "grid", i)
        yield from _value_problems(value, at, node)
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


#: the most bytes a search's name may have: a folder's name has at most 255 (NAME_MAX on Linux
#: and macOS), and ``--fresh`` adds ``.N`` to the name of the folder it keeps
NAME_BYTES = 240


def search_problems(doc: dict[str, Any], folder: Path) -> Iterator[Problem]:
    """Problems of the ``search`` section, alone and together with ``metrics``."""
    search = doc["search"]
    if "metrics" in doc:
        for key in ("direction", "metric"):
            if key in search:
                yield (
                    ("search", key),
                    "cannot be used with a metrics section: the metrics define the loss",
                )
    name = search.get("name", "")
    if os_size(name) > NAME_BYTES:
        yield (
            ("search", "name"),
            f"is {os_size(name)} bytes in UTF-8, more than a search's name may have ({NAME_BYTES})",
        )
    method = search["method"]
    problem = method_problem(method, folder)
    if problem is not None:
        yield ("search", "method"), problem
    fixed = search.get("auto", {}).get("method") if method == "auto" else None
    if fixed in METHODS:  # auto's choice, fixed: it needs what that method needs
        problem = builtin_problem(fixed)
        if problem is not None:
            yield ("search", "auto", "method"), problem
    for key in search:
        is_options = key in METHODS or ":" in key
        if is_options and key != method:
            yield ("search", key), f'options for method "{key}", but the method is "{method}"'


def method_problem(method: str, folder: Path) -> str | None:
    """Why ``search.method`` cannot be used, or None.

    A built-in method is looked up in the registry; only a plugin ``module:Class`` is imported
    (with ``folder`` first on ``sys.path``), through the optimizer loader.
    """
    if method in METHODS:
        return builtin_problem(method)
    from hypermax.optimizers import method_problem as plugin_problem

    return plugin_problem(method, folder)


#: the early_stopping keys only one policy uses
POLICY_KEYS = {"median": ("grace_steps",), "asha": ("eta", "min_steps", "max_steps")}


def early_stopping_problems(section: dict[str, Any]) -> Iterator[Problem]:
    """Keys that the chosen policy does not use, and an ASHA whose rungs would all be past the end.

    With ``"policy": "none"`` the other keys are kept and ignored, so stopping can be switched
    off without deleting its settings.
    """
    where = ("search", "early_stopping")
    policy = section.get("policy", "none")
    for other, keys in POLICY_KEYS.items():
        if policy in POLICY_KEYS and other != policy:
            for key in keys:
                if key in section:
                    yield (*where, key), f'is only used by the {other} policy, not by "{policy}"'
    if policy == "asha" and "max_steps" in section:
        from hypermax.stopping import EarlyStopping

        first, last = EarlyStopping.of(section).first_rung, section["max_steps"]
        if last <= first:  # every rung at or past the end, where no report is judged
            given = "min_steps" if "min_steps" in section else "min_steps, by default"
            yield (*where, "max_steps"), f"must be greater than {given} ({first}), got {last}"
