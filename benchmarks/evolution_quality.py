"""Best loss after 100 trials: differential evolution (``evolution``) against random search.

Four problems: Branin, Hartmann6, Rosenbrock in 5 dimensions on [-5, 10]^5, and a mixed space
(a 4-way categorical optimizer x a log-scaled learning rate x momentum). Each method runs the
same trials on the same seeds, one trial at a time (``--parallel`` for more at once); objectives
are evaluated in-process, so this measures the search, not process start-up.

    python benchmarks/evolution_quality.py [--trials 100] [--seeds 10] [--parallel 1]
        [--options '{"population_size": 10}']
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from arguments import at_least  # run as a script: its folder is on sys.path
from quality import branin, hartmann6

from hypermax.optimizers import NoProposal, make_optimizer
from hypermax.optimizers.base import Budget, finished
from hypermax.space import Space

Objective = Callable[[dict[str, Any]], float]

#: the learning rate (log10) and the loss offset at which each optimizer of the mixed space is best
MIXED_OPTIMA = {
    "sgd": (-1.0, 0.30),
    "momentum": (-1.5, 0.10),
    "adam": (-3.0, 0.0),
    "rmsprop": (-2.5, 0.05),
}


def rosenbrock(p: dict[str, float]) -> float:
    x = [p[f"x{i}"] for i in range(1, 6)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))


def mixed(p: dict[str, Any]) -> float:
    best_log_lr, offset = MIXED_OPTIMA[p["optimizer"]]
    return offset + 0.1 * (math.log10(p["lr"]) - best_log_lr) ** 2 + (p["momentum"] - 0.9) ** 2


def numbers(bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    props = {k: {"type": "number", "min": lo, "max": hi} for k, (lo, hi) in bounds.items()}
    return {"type": "object", "properties": props}


PROBLEMS: dict[str, tuple[Objective, dict[str, Any]]] = {
    "branin (min 0.397887)": (branin, numbers({"x1": (-5.0, 10.0), "x2": (0.0, 15.0)})),
    "hartmann6 (min -3.32237)": (hartmann6, numbers({f"x{i}": (0.0, 1.0) for i in range(1, 7)})),
    "rosenbrock 5-D on [-5, 10] (min 0)": (
        rosenbrock,
        numbers({f"x{i}": (-5.0, 10.0) for i in range(1, 6)}),
    ),
    "mixed: 4 optimizers x log lr x momentum (min 0)": (
        mixed,
        {
            "type": "object",
            "properties": {
                "optimizer": {"enum": list(MIXED_OPTIMA)},
                "lr": {"type": "number", "min": 1e-5, "max": 1, "scaling": "logarithmic"},
                "momentum": {"type": "number", "min": 0, "max": 0.99},
            },
        },
    ),
}


def best_loss(
    method: str,
    objective: Objective,
    space: dict[str, Any],
    trials: int,
    seed: int,
    parallel: int,
    options: dict[str, Any],
) -> float:
    """The best loss of one search; with ``parallel`` > 1 the oldest running trial ends first."""
    budget = Budget(iterations=trials, parallel=parallel)
    optimizer = make_optimizer(method, Space(space), seed, options, budget=budget)
    running: list[Any] = []
    best, asked = math.inf, 0
    while asked < trials or running:
        while asked < trials and len(running) < parallel:
            proposal = optimizer.ask(asked + 1)
            if isinstance(proposal, NoProposal):
                break
            running.append(proposal)
            asked += 1
        done = running.pop(0)
        loss = objective(done.params)
        optimizer.tell(finished(done.trial_id, done.internal, loss))
        best = min(best, loss)
    return best


def summary(values: list[float]) -> str:
    """``median [first quartile, third quartile]``; one seed's value is all three."""
    if len(values) == 1:
        return f"{values[0]:.4g} [{values[0]:.4g}, {values[0]:.4g}]"
    first, median, third = statistics.quantiles(values, n=4, method="inclusive")
    return f"{median:.4g} [{first:.4g}, {third:.4g}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=at_least(1), default=100)
    parser.add_argument("--seeds", type=at_least(1), default=10)
    parser.add_argument("--parallel", type=at_least(1), default=1)
    parser.add_argument("--options", default="{}", help="search.evolution options as JSON")
    args = parser.parse_args()
    options = json.loads(args.options)
    print(
        f"best loss after {args.trials} trials, {args.seeds} seeds, {args.parallel} at a time: "
        "median [IQR] (lower is better)"
    )
    print()
    print(
        "| problem | evolution | random | evolution's median ≤ random's "
        "| seconds evolution / random |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name, (objective, space) in PROBLEMS.items():
        results: dict[str, list[float]] = {}
        seconds: dict[str, float] = {}
        for method in ("evolution", "random"):
            started = time.perf_counter()
            given = options if method == "evolution" else {}
            results[method] = [
                best_loss(method, objective, space, args.trials, seed, args.parallel, given)
                for seed in range(args.seeds)
            ]
            seconds[method] = time.perf_counter() - started
        better = statistics.median(results["evolution"]) <= statistics.median(results["random"])
        print(
            f"| {name} | {summary(results['evolution'])} | {summary(results['random'])} "
            f"| {'yes' if better else 'no'} "
            f"| {seconds['evolution']:.1f} / {seconds['random']:.1f} |"
        )


if __name__ == "__main__":
    main()
