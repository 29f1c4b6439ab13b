"""What schema.json cannot say about a spec: cross-field rules, files and programs that must
exist, methods that must be usable, early stopping keys that fit the policy. The checks of a
section with rules of its own are in modules of their own (``space_checks``, ``metric_checks``,
``function``, ``cluster``, ``plans``); this one runs them all, each on the parts it can read.

Each check yields ``(json path, message)`` problems on a document whose defaults are filled in.
Parts of the document that broke the schema are left out (their problems are already known,
and these checks rely on the schema's shapes); every other part is checked, so that one run
reports every problem it can.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hypermax.registry import METHODS, builtin_problem
from hypermax.specfile.broken import Broken
from hypermax.specfile.cluster import cluster_problems
from hypermax.specfile.function import function_problems
from hypermax.specfile.metric_checks import metric_problems
from hypermax.specfile.paths import home_expanded
from hypermax.specfile.placeholders import placeholder_problems, variable_problems
from hypermax.specfile.plans import plan_problems
from hypermax.specfile.problems import JsonPath, KeyPath, Problem
from hypermax.specfile.sizes import size_problems
from hypermax.specfile.space_checks import name_problems, node_problems, not_json_problems
from hypermax.system_text import os_size


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
    flawed = Broken(where for where, _ in problems)  # the space's nodes with problems
    problems += not_finite_problems(doc, broken)
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
        problems += plan_problems(doc, flawed)
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


def not_finite_problems(doc: dict[str, Any], broken: Broken) -> Iterator[Problem]:
    """Each NaN or infinity outside the space (YAML's ``.nan`` and ``.inf``), where the schema
    found no problem: a metric's bound would make every loss NaN, and the spec, frozen into its
    results folder, would be no JSON. The space's own checks name those in it."""
    for key, value in doc.items():
        if key != "hyperparameters":
            for where, problem in not_json_problems(value, (key,)):
                if not broken.under(where):
                    yield where, problem


def top_level_params(doc: dict[str, Any]) -> list[str] | None:
    """The names of the params a trial's dict holds at its top, when the space is an object."""
    node = doc.get("hyperparameters")
    if not isinstance(node, dict) or set(node) & {"$ref", "anyOf", "oneOf"}:
        return None
    properties = node.get("properties")
    return list(properties) if isinstance(properties, dict) else None


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
