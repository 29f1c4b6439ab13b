"""Best loss after 100 trials on Branin and Hartmann6: hypermax's TPE adapter vs hyperopt's fmin.

Both run the same algorithm (hyperopt's tpe.suggest); the adapter must lose no information, so
the best losses should match in distribution. Objectives are evaluated in-process on both sides:
this measures the optimizer seam, not process start-up.

    python benchmarks/tpe_quality.py [--trials 100] [--seeds 5]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import finished
from hypermax.space import Space

HARTMANN_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
HARTMANN_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def branin(p: dict[str, float]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann6(p: dict[str, float]) -> float:
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    return float(
        -np.sum(HARTMANN_ALPHA * np.exp(-np.sum(HARTMANN_A * (x - HARTMANN_P) ** 2, axis=1)))
    )


PROBLEMS = {
    "branin (min 0.397887)": (branin, {"x1": (-5.0, 10.0), "x2": (0.0, 15.0)}),
    "hartmann6 (min -3.32237)": (hartmann6, {f"x{i}": (0.0, 1.0) for i in range(1, 7)}),
}


def run_hypermax(objective, bounds, trials: int, seed: int) -> float:
    props = {k: {"type": "number", "min": lo, "max": hi} for k, (lo, hi) in bounds.items()}
    optimizer = make_optimizer("tpe", Space({"type": "object", "properties": props}), seed)
    best = math.inf
    for trial_id in range(1, trials + 1):
        proposal = optimizer.ask(trial_id)
        loss = objective(proposal.params)
        optimizer.tell(finished(trial_id, proposal.internal, loss))
        best = min(best, loss)
    return best


def run_fmin(objective, bounds, trials: int, seed: int) -> float:
    from hyperopt import Trials, fmin, hp, tpe

    space = {k: hp.uniform(k, lo, hi) for k, (lo, hi) in bounds.items()}
    history = Trials()
    fmin(
        objective,
        space,
        algo=tpe.suggest,
        max_evals=trials,
        trials=history,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return min(history.losses())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"best loss after {args.trials} trials, {args.seeds} seeds (mean ± stdev; lower is better)"
    )
    print()
    print(
        "| problem | hypermax tpe | hyperopt fmin tpe | gap to optimum, hypermax / fmin "
        "| seeds with the same best loss | seconds hypermax / fmin |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (objective, bounds) in PROBLEMS.items():
        optimum = float(name.split("min ")[1].rstrip(")"))
        results = {}
        seconds = {}
        for label, runner in (("hypermax", run_hypermax), ("fmin", run_fmin)):
            started = time.perf_counter()
            results[label] = [
                runner(objective, bounds, args.trials, seed) for seed in range(args.seeds)
            ]
            seconds[label] = time.perf_counter() - started
        gap = {k: statistics.mean(v) - optimum for k, v in results.items()}
        cells = [f"{statistics.mean(v):.4f} ± {statistics.stdev(v):.4f}" for v in results.values()]
        same = sum(a == b for a, b in zip(results["hypermax"], results["fmin"], strict=True))
        print(
            f"| {name} | {cells[0]} | {cells[1]} | {gap['hypermax'] / gap['fmin']:.2f} "
            f"| {same} of {args.seeds} | {seconds['hypermax']:.1f} / {seconds['fmin']:.1f} |"
        )


if __name__ == "__main__":
    main()
