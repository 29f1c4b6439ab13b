"""Methods that plan their trials (grid, ablation), the evolution's and ngopt's options, the
numbers atpe cannot search: what schema.json cannot say about them, the size of a plan,
which ``search.iterations`` defaults to, and the notice of a plan shorter than its iterations.

Each check yields ``(json path, message)`` problems of a document that passed the schema; only a
``search.iterations`` the spec gives is in it (schema.json declares no default for these methods).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from hypermax.specfile.broken import Broken
from hypermax.specfile.problems import JsonPath, Problem, show
from hypermax.specfile.walk import every_node

#: a grid larger than this asks for ``search.iterations`` rather than run for ever
LARGEST_WHOLE_GRID = 1_000_000


def plan_problems(doc: dict[str, Any], flawed: Broken | None = None) -> Iterator[Problem]:
    """Problems of the method ``search.method`` names, when it is one of these; the nodes of
    the space at ``flawed`` paths have problems of their own, and a grid does not count them."""
    method = doc["search"]["method"]
    if method == "grid":
        yield from grid_problems(doc, flawed or Broken(()))
    elif method == "ablation":
        yield from ablation_problems(doc)
    elif method == "evolution":
        yield from evolution_problems(doc["search"].get("evolution", {}))
    elif method in ("ngopt", "auto"):
        from hypermax.space import Space

        yield from ngopt_problems(
            doc["search"].get(method, {}),
            method,
            doc.get("function", {}).get("parallel", 1),
            doc["search"].get("iterations", 100),
            len(Space(doc["hyperparameters"]).labels()),
        )
    elif method == "atpe":
        yield from atpe_problems(doc["hyperparameters"])


def grid_problems(doc: dict[str, Any], flawed: Broken) -> Iterator[Problem]:
    """Every number needs grid values; a grid too large to run whole needs ``iterations``.
    A number whose ``rounding`` has a problem (at a ``flawed`` path: too small for its steps
    to be counted) is not counted, nor the grid's size."""
    from hypermax.space import Space, build_node

    def bad_rounding(where: JsonPath) -> bool:
        return (*where, "rounding") in flawed.paths

    space = doc["hyperparameters"]
    endless = any(path[-1:] == ("rounding",) for path in flawed.paths)
    for where, node in every_node(space, ("hyperparameters",), prune=bad_rounding):
        if node.get("type") in ("number", "integer") and build_node(node, "x").size() is None:
            endless = True
            yield (
                where,
                (too_many_steps(node) or "needs grid values for the grid method")
                + ': add "grid": [values] or "grid_points": N',
            )
    if endless or "iterations" in doc["search"]:
        return
    size = Space(space).size()
    if size is not None and size > LARGEST_WHOLE_GRID:
        yield (
            ("search",),
            f"the grid has {size:,} points (more than {LARGEST_WHOLE_GRID:,}): "
            'give "iterations" to run that many of them, in a shuffled order',
        )


def too_many_steps(node: dict[str, Any]) -> str:
    """Why the grid does not walk a bounded number with a step: how many steps it has (an
    integer from 0 to 10**12 is not endless, only too long to walk); "" for any other."""
    import math

    from hypermax.space import build_node
    from hypermax.space.nodes import EXACT_STEPS, LARGEST_STEPS, NumberNode

    number = build_node(node, "x")
    if not (isinstance(number, NumberNode) and number.q and number.normal is None):
        return ""
    if not (math.isfinite(number.low) and math.isfinite(number.high)):
        return ""
    first, last = number.step_count()
    steps = int(last - first) + 1
    if steps <= LARGEST_STEPS + 1:  # few, but beyond EXACT_STEPS
        return (
            f"has steps beyond {EXACT_STEPS:,} times its step from 0, which a float cannot tell "
            "apart (2**53 + 1 is 2**53)"
        )
    return f"has {steps:,} steps, more than the grid method walks ({LARGEST_STEPS:,})"


def atpe_problems(space: dict[str, Any]) -> Iterator[Problem]:
    """hyperopt's ATPE reads every number's ``min`` and ``max``: a normal one has none."""
    for where, node in every_node(space, ("hyperparameters",)):
        if node.get("mode") == "normal":
            yield (
                (*where, "mode"),
                'atpe cannot search a number of mode "normal" (hyperopt\'s ATPE takes every '
                'number as uniform between its "min" and "max"): make it "uniform", or use '
                "another method",
            )


def ablation_problems(doc: dict[str, Any]) -> Iterator[Problem]:
    """An ablation study needs its components, runs nothing but its plan, and adds keys of its
    own to the params."""
    from hypermax.optimizers.ablation import ABLATED

    search = doc["search"]
    if "ablation" not in search:
        yield (
            ("search",),
            'the ablation method needs "ablation": {"components": {"group": ["name", ...]}}',
        )
    for key in ("points", "warm_start"):
        if key in search:
            yield ("search", key), "is not used by an ablation study, which runs its plan only"
    policy = search.get("early_stopping", {}).get("policy", "none")
    if policy != "none":
        yield (
            ("search", "early_stopping", "policy"),
            f'"{policy}" stops trials an ablation study must run to their end: it compares each '
            "component's loss with its baseline's at the end (use \"none\")",
        )
    names = doc["hyperparameters"].get("properties", {})
    if ABLATED in names:
        yield (
            ("hyperparameters", "properties", ABLATED),
            f'"{ABLATED}" is the key that names the component an ablation trial leaves out; '
            "rename this hyperparameter",
        )
    seed_param = search.get("ablation", {}).get("seed_param")
    if seed_param == ABLATED:
        yield ("search", "ablation", "seed_param"), f'must not be "{ABLATED}"'


def evolution_problems(options: dict[str, Any]) -> Iterator[Problem]:
    """The population must hold the target and the members its strategy draws on."""
    from hypermax.optimizers.evolution import DEFAULT_STRATEGY, Strategy

    name = options.get("strategy", DEFAULT_STRATEGY)
    least = Strategy.parse(name).donors + 1
    size = options.get("population_size")
    if size is not None and size < least:
        yield (
            ("search", "evolution", "population_size"),
            f"must be at least {least} with the strategy {name}, got {show(size)}",
        )


def ngopt_problems(
    options: dict[str, Any],
    method: str,
    parallel: int = 1,
    iterations: int = 100,
    dimensions: int = 1,
) -> Iterator[Problem]:
    """The nevergrad optimizer ``optimizer`` names must exist (nevergrad is imported to look),
    and be built for ``iterations`` trials over ``dimensions`` numbers, ``parallel`` at a time
    when ngopt runs them so (``auto`` runs ngopt in parallel only when its ``method`` says so)."""
    where: tuple[str, ...] = ("search", method)
    if method == "auto":
        parallel = parallel if options.get("method") == "ngopt" else 1
        options, where = options.get("ngopt", {}), (*where, "ngopt")
    if "optimizer" in options:
        from hypermax.optimizers.nevergrad_based import optimizer_problem

        problem = optimizer_problem(options["optimizer"], parallel, iterations, dimensions)
        if problem is not None:
            yield (*where, "optimizer"), problem


def planned_iterations(doc: dict[str, Any]) -> int | None:
    """How many trials a grid or an ablation study plans, for a valid document without
    ``search.iterations``; None for the other methods.

    A grid's plan is its size, plus the defaults and ``search.points`` that are not grid points
    (they run first and are trials too); an ablation study's is ``(1 + components) * repeats``.
    """
    search = doc["search"]
    if search["method"] == "ablation":
        options = search["ablation"]
        components = sum(len(names) for names in options["components"].values())
        return (1 + components) * int(options.get("repeats", 1))
    if search["method"] != "grid":
        return None
    return sum(grid_plan(doc))


def trials_to_run(
    doc: dict[str, Any], iterations: int, taught: Iterable[dict[str, Any]] = ()
) -> int:
    """How many trials a search of the valid document ``doc`` with ``iterations`` runs at
    most: those ``iterations``, or the plan of a grid or an ablation study that plans fewer
    (:func:`planned_iterations`): the search ends with its plan. A grid's plan leaves out the
    points it was ``taught`` (the internal values of a warm start's trials), which it never
    proposes, unless a default or a ``search.points`` runs one."""
    planned = planned_iterations(doc)
    if planned is None:
        return iterations
    if doc["search"]["method"] == "grid":
        planned -= _taught_only(doc, taught)
    return min(iterations, planned)


def _taught_only(doc: dict[str, Any], taught: Iterable[dict[str, Any]]) -> int:
    """How many grid points of ``taught`` no default nor ``search.points`` runs."""
    from hypermax.space import EncodeError, Space, points_to_run

    space = Space(doc["hyperparameters"])
    indices = {space.point_index(internal) for internal in taught} - {None}
    if not indices:
        return 0
    usable, _ = space.points_as_trials(doc["search"].get("points", ()))
    for params in points_to_run(usable, space.defaults(), []):
        try:
            indices.discard(space.point_index(space.encode(params)))
        except EncodeError:
            continue  # the search skips it
    return len(indices)


def grid_plan(doc: dict[str, Any]) -> tuple[int, int]:
    """A grid's plan (see :func:`planned_iterations`): its size, and how many of the defaults
    and ``search.points`` are not grid points, each counted once, as the search runs it once."""
    from hypermax.space import EncodeError, Space, points_to_run

    space = Space(doc["hyperparameters"])
    size = space.size() or 0
    usable, _ = space.points_as_trials(doc["search"].get("points", ()))  # the others: skipped
    off_grid = 0
    for params in points_to_run(usable, space.defaults(), []):
        try:
            internal = space.encode(params)
        except EncodeError:
            continue  # the search skips it
        off_grid += space.point_index(internal) is None
    return size, off_grid


def plan_notices(doc: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """A notice when a grid or an ablation study plans fewer trials than ``iterations``: the
    search ends when its plan is done, and the other iterations never run."""
    iterations = doc["search"].get("iterations")
    method = doc["search"]["method"]
    if not isinstance(iterations, int) or method not in ("grid", "ablation"):
        return []
    if method == "grid":
        size, off_grid = grid_plan(doc)
        planned = size + off_grid
        plan = f"the grid has {size:,} point{'' if size == 1 else 's'}" + (
            f" and {off_grid:,} default or search.points off it" if off_grid else ""
        )
    else:
        planned = planned_iterations(doc) or 0
        plan = f"the ablation study plans {planned:,} trial{'' if planned == 1 else 's'}"
    if iterations <= planned:
        return []
    return [
        (
            ("search", "iterations"),
            f"{iterations:,}, but {plan}: only {planned:,} trial{'' if planned == 1 else 's'} "
            "will run",
        )
    ]
