"""What schema.json cannot say about a spec: cross-field rules, files and programs that must
exist, methods that must be usable, and sections this version refuses.

Each check yields ``(json path, message)`` problems; the document has already passed the schema
and has its defaults filled in.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import math
import os
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypermax.registry import METHODS, builtin_problem
from hypermax.specfile.plans import plan_problems
from hypermax.specfile.problems import JsonPath, Problem, choices, show
from hypermax.specfile.walk import every_node
from hypermax.values import json_equal

NO_CLUSTER = "running trials on a Dask cluster is not available in this version"
LOG_SCALINGS = ("logarithmic", "exponential")


def semantic_problems(doc: dict[str, Any], path: Path) -> list[Problem]:
    """What the schema cannot say; ``doc`` must already match the schema."""
    folder = path.resolve().parent
    return [
        *node_problems(doc["hyperparameters"], ("hyperparameters",)),
        *function_problems(doc["function"], folder),
        *metric_problems(doc.get("metrics", {})),
        *search_problems(doc, folder),
        *plan_problems(doc),
        *early_stopping_problems(doc["search"].get("early_stopping", {})),
        *unavailable_problems(doc),
    ]


def node_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    """Problems of a hyperparameter node and of every node below it."""
    for at, each in every_node(node, where):
        if "constant" in each or "const" in each or "anyOf" in each or "oneOf" in each:
            continue
        if "enum" in each:
            yield from _enum_node_problems(each, at)
        elif each["type"] == "array":
            yield from _array_node_problems(each, at)
        elif each["type"] != "object":
            yield from _number_node_problems(each, at)


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
    if low is not None and high is not None and high <= low:
        yield (*where, "max"), f"must be greater than min ({show(low)}), got {show(high)}"
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
    if "default" in node and range_is_valid:
        yield from _value_problems(node["default"], (*where, "default"), node)
    if range_is_valid:
        yield from _grid_problems(node, where)


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
    integer = node["type"] == "integer" or node.get("rounding") == 1
    if integer and value != int(value):
        yield at, f"must be a whole number, got {show(value)}"


def function_problems(fn: dict[str, Any], folder: Path) -> Iterator[Problem]:
    """Problems of the ``function`` section; ``folder`` is the spec's folder."""
    if fn["type"] == "python_function":
        yield from _python_function_problems(fn, folder)
    else:
        yield from _executable_problems(fn, folder)


def _python_function_problems(fn: dict[str, Any], folder: Path) -> Iterator[Problem]:
    if "command" in fn:
        yield ("function", "command"), 'is only used by "type": "executable"'
    if "module" in fn and "src" in fn:
        yield ("function",), 'give "module" or "src", not both'
    elif "module" in fn:
        yield from _module_problems(fn["module"], folder)
    elif "src" in fn:
        yield from _src_problems(fn["src"], folder)
    else:
        yield ("function",), 'needs "module" or "src"'


def _module_problems(module: str, folder: Path) -> Iterator[Problem]:
    if module.endswith(".py"):
        yield (
            ("function", "module"),
            f'must be a module name, not a file name (use "src": "{module}")',
        )
    elif not module_exists(module, folder):
        yield ("function", "module"), f'cannot find module "{module}" in {folder}'


def module_exists(name: str, folder: Path) -> bool:
    """Whether ``name`` could be imported with ``folder`` first on sys.path, without importing it.

    Parent packages are located with PathFinder instead of ``find_spec``, which would import
    them.
    """
    saved = list(sys.path)
    sys.path.insert(0, str(folder))
    try:
        importlib.invalidate_caches()
        top, *rest = name.split(".")
        spec = importlib.util.find_spec(top)
        for depth in range(1, len(rest) + 1):
            if spec is None or not spec.submodule_search_locations:
                return False
            full_name = ".".join([top, *rest[:depth]])
            locations = list(spec.submodule_search_locations)
            spec = importlib.machinery.PathFinder.find_spec(full_name, locations)
        return spec is not None
    except (ImportError, ValueError):
        return False
    finally:
        sys.path[:] = saved


def _src_problems(src: str, folder: Path) -> Iterator[Problem]:
    given = Path(src)
    if given.is_absolute() and not given.is_file():
        yield ("function", "src"), f'cannot find file "{src}"'
    elif not (folder / given).is_file():
        yield ("function", "src"), f'cannot find file "{src}" in {folder}'


def _executable_problems(fn: dict[str, Any], folder: Path) -> Iterator[Problem]:
    for key in ("module", "src", "name"):
        if key in fn:
            yield ("function", key), 'is only used by "type": "python_function"'
    command = fn["command"]
    where: JsonPath = ("function", "command", 0)
    if isinstance(command, str):
        where = ("function", "command")
        try:
            command = shlex.split(command)
        except ValueError as exc:
            yield where, f"cannot be split into arguments: {exc}"
            return
        if not command:
            yield where, "must not be empty"
            return
    problem = program_problem(command[0], folder / fn.get("cwd", "."), fn.get("env", {}))
    if problem is not None:
        yield where, problem


def program_problem(program: str, start: Path, env: dict[str, str]) -> str | None:
    """Why the program of a command cannot run, or None: a path (relative ones from ``start``)
    must be an executable file; a bare name must be found on ``PATH`` (the spec's, if it sets
    one). A program with a ``{placeholder}`` is only known at run time."""
    if "{" in program:
        return None
    if "/" in program:
        target = start / program
        if not target.is_file():
            return f'cannot find program "{program}"' + (
                "" if Path(program).is_absolute() else f" in {start.resolve()}"
            )
        if not os.access(target, os.X_OK):
            return f'"{program}" is not executable (chmod +x {program})'
        return None
    if shutil.which(program, path=env.get("PATH", os.environ.get("PATH"))) is None:
        return f'cannot find program "{program}" on PATH'
    return None


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
    scaling = metric.get("scaling")
    if scaling in LOG_SCALINGS:
        for key in ("min", "max", "target"):
            if key in metric and metric[key] <= 0:
                yield (
                    (*where, key),
                    f"must be greater than 0 with {scaling} scaling, got {show(metric[key])}",
                )


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
    method = search["method"]
    problem = method_problem(method, folder)
    if problem is not None:
        yield ("search", "method"), problem
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
        first, last = section["min_steps"], section["max_steps"]
        if last <= first:
            yield (*where, "max_steps"), f"must be greater than min_steps ({first}), got {last}"


def unavailable_problems(doc: dict[str, Any]) -> Iterator[Problem]:
    """Parts of the format this version does not run yet, refused rather than ignored."""
    if "cluster" in doc:
        yield ("cluster",), NO_CLUSTER
