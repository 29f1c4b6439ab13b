"""Search quality: every hypermax method against the tools users would pick instead.

Side by side on the same seeds: each hypermax method (driven through the optimizer seam the way
the driver drives it, objectives evaluated in-process), Optuna's default TPESampler, GPSampler
and CmaEsSampler (through Optuna's own ask/tell), on Branin, Hartmann6, Rosenbrock-5D on
[-5, 10]^5 and a mixed space (a 4-way categorical x a log-scaled learning rate x momentum), and
one real model (a random forest on 1,000 of scikit-learn's digits, 3-fold cross-validated
error). hyperopt's
stock TPE is the ``hyperopt_tpe`` row: it proposes exactly what hyperopt's ``fmin`` does
(``benchmarks/tpe_quality.py`` in the history of this file showed it seed by seed).

    python benchmarks/quality.py [--trials 100] [--seeds 10] [--jobs 2] [--only tpe,gp]
    python benchmarks/quality.py --parallel-seeds 100   # parallel 4 vs 1 of the fast methods
    python benchmarks/quality.py --model [--seeds 3]     # the real model, 60 trials
    python benchmarks/quality.py --speed      # ask+tell: tpe at 1,000 trials, gp at 100

Results are kept in ``--cache`` (a JSON file) so that a run can be continued or extended.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
import warnings
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np
from arguments import at_least  # run as a script: its folder is on sys.path

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import Budget
from hypermax.registry import missing_packages
from hypermax.space import Space
from hypermax.testing import drive

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
MIXED_OPTIMIZERS = ["sgd", "momentum", "adam", "rmsprop"]
MIXED_BASE = {"sgd": 0.05, "momentum": 0.02, "adam": 0.0, "rmsprop": 0.01}
MIXED_LR = {"sgd": -1.0, "momentum": -2.0, "adam": -3.0, "rmsprop": -2.5}
MIXED_MOMENTUM = {"sgd": 0.0, "momentum": 0.9, "adam": 0.5, "rmsprop": 0.3}


def branin(p: dict[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann6(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    inner = np.sum(HARTMANN_A * (x - HARTMANN_P) ** 2, axis=1)
    return float(-np.sum(HARTMANN_ALPHA * np.exp(-inner)))


def rosenbrock(p: dict[str, Any]) -> float:
    x = [p[f"x{i}"] for i in range(1, 6)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))


def mixed(p: dict[str, Any]) -> float:
    name = p["optimizer"]
    lr_term = 0.1 * (math.log10(p["lr"]) - MIXED_LR[name]) ** 2
    return MIXED_BASE[name] + lr_term + 0.5 * (p["momentum"] - MIXED_MOMENTUM[name]) ** 2


def _box(bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    props = {k: {"type": "number", "min": lo, "max": hi} for k, (lo, hi) in bounds.items()}
    return {"type": "object", "properties": props}


MIXED_SPACE = {
    "type": "object",
    "properties": {
        "optimizer": {"enum": MIXED_OPTIMIZERS},
        "lr": {"type": "number", "min": 1e-5, "max": 1.0, "scaling": "logarithmic"},
        "momentum": {"type": "number", "min": 0.0, "max": 0.99},
    },
}

#: name → (space, objective, optimum)
PROBLEMS: dict[str, tuple[dict[str, Any], Callable[[dict[str, Any]], float], float]] = {
    "Branin": (_box({"x1": (-5.0, 10.0), "x2": (0.0, 15.0)}), branin, 0.397887),
    "Hartmann6": (_box({f"x{i}": (0.0, 1.0) for i in range(1, 7)}), hartmann6, -3.32237),
    "Rosenbrock-5D": (_box({f"x{i}": (-5.0, 10.0) for i in range(1, 6)}), rosenbrock, 0.0),
    "mixed": (MIXED_SPACE, mixed, 0.0),
}

HYPERMAX_METHODS = [
    "tpe",
    "auto",
    "gp",
    "cmaes",
    "ngopt",
    "hyperopt_tpe",
    "random",
    "anneal",
]
OPTUNA_PEERS = ["optuna-tpe", "optuna-gp", "optuna-cmaes"]
#: the hypermax method whose packages each Optuna peer needs too (GPSampler needs torch)
OPTUNA_PEER_METHOD = {"optuna-tpe": "tpe", "optuna-gp": "gp", "optuna-cmaes": "cmaes"}


def runnable(peers: list[str]) -> list[str]:
    """The peers whose packages are installed; each one left out is named, with what it needs."""
    kept = []
    for peer in peers:
        missing = missing_packages(OPTUNA_PEER_METHOD.get(peer, peer))
        if missing:
            print(f"{peer} left out: it needs {', '.join(missing)}, which is not installed")
        else:
            kept.append(peer)
    return kept


# -- one run --------------------------------------------------------------------------------
class _Timed:
    """Wraps an optimizer and adds up the seconds spent in ask and tell."""

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        self.seconds = 0.0
        self.asks = 0

    def __getattr__(self, name: str) -> Any:
        """Everything else the driver reads of an optimizer is the wrapped one's."""
        return getattr(self.optimizer, name)

    def ask(self, trial_id: int) -> Any:
        started = time.perf_counter()
        try:
            return self.optimizer.ask(trial_id)
        finally:
            self.seconds += time.perf_counter() - started
            self.asks += 1

    def tell(self, trial: Any) -> None:
        started = time.perf_counter()
        try:
            self.optimizer.tell(trial)
        finally:
            self.seconds += time.perf_counter() - started


def run_hypermax(
    method: str, space: dict[str, Any], objective: Callable, trials: int, seed: int, parallel: int
) -> tuple[list[float], float]:
    budget = Budget(iterations=trials, parallel=parallel)
    optimizer = _Timed(make_optimizer(method, Space(space), seed, {}, budget=budget))
    told = drive(optimizer, trials, objective, parallel=parallel)  # type: ignore[arg-type]
    return [t.loss for t in told], optimizer.seconds / max(optimizer.asks, 1)


def run_optuna(
    peer: str, space: dict[str, Any], objective: Callable, trials: int, seed: int
) -> tuple[list[float], float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = {
        "optuna-tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "optuna-gp": lambda: optuna.samplers.GPSampler(seed=seed),
        "optuna-cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed),
    }[peer]()
    study = optuna.create_study(sampler=sampler)
    props = space["properties"]
    losses, seconds = [], 0.0
    for _ in range(trials):
        started = time.perf_counter()
        trial = study.ask()
        params: dict[str, Any] = {}
        for name, node in props.items():
            log = node.get("scaling") == "logarithmic"
            if "enum" in node:
                params[name] = trial.suggest_categorical(name, node["enum"])
            elif node["type"] == "integer":
                params[name] = trial.suggest_int(name, node["min"], node["max"], log=log)
            else:
                params[name] = trial.suggest_float(name, node["min"], node["max"], log=log)
        seconds += time.perf_counter() - started
        loss = objective(params)
        started = time.perf_counter()
        study.tell(trial, loss)
        seconds += time.perf_counter() - started
        losses.append(loss)
    return losses, seconds / trials


def auto_alias(peer: str, problem: str, parallel: int = 1) -> str:
    """The method ``auto`` runs on ``problem`` with default options: its runs are that method's
    runs, proposal for proposal (same seed, same options), so the script reuses them."""
    if peer != "auto":
        return peer
    from hypermax.optimizers.auto import choose

    return choose(Space(PROBLEMS[problem][0]), parallel=parallel)


def one_thread() -> None:
    """One thread for torch in each worker: the workers already share the cores."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def one_task(task: tuple[str, str, int, int, int]) -> tuple[str, dict[str, Any]]:
    peer, problem, seed, parallel, trials = task
    warnings.simplefilter("ignore")
    if peer in ("gp", "optuna-gp"):
        one_thread()
    space, objective, optimum = PROBLEMS[problem]
    if peer in OPTUNA_PEERS:
        losses, per_ask = run_optuna(peer, space, objective, trials, seed)
    else:
        losses, per_ask = run_hypermax(peer, space, objective, trials, seed, parallel)
    best = min(loss for loss in losses if loss is not None)
    return _key(task), {"gap": best - optimum, "per_ask": per_ask}


def _key(task: tuple[Any, ...]) -> str:
    return "|".join(str(part) for part in task)


# -- the real model -------------------------------------------------------------------------
MODEL_SPACE = {
    "type": "object",
    "properties": {
        "n_estimators": {"type": "integer", "min": 5, "max": 40},
        "max_depth": {"type": "integer", "min": 2, "max": 32, "scaling": "logarithmic"},
        "max_features": {"type": "number", "min": 0.05, "max": 1.0},
        "min_samples_leaf": {"type": "integer", "min": 1, "max": 10},
        "criterion": {"enum": ["gini", "entropy"]},
        "bootstrap": {"enum": [True, False]},
    },
}


def forest_error(params: dict[str, Any]) -> float:
    from sklearn.datasets import load_digits
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import cross_val_score

    x, y = load_digits(return_X_y=True)
    x, y = x[:1000], y[:1000]  # the first 1,000 of 1,797 digits: a trial costs about 0.5 s
    model = RandomForestClassifier(random_state=0, n_jobs=1, **params)
    return 1.0 - float(cross_val_score(model, x, y, cv=3).mean())


def model_task(task: tuple[str, int, int]) -> tuple[str, dict[str, Any]]:
    peer, seed, trials = task
    warnings.simplefilter("ignore")
    PROBLEMS["digits"] = (MODEL_SPACE, forest_error, 0.0)
    if peer in OPTUNA_PEERS:
        losses, per_ask = run_optuna(peer, MODEL_SPACE, forest_error, trials, seed)
    else:
        losses, per_ask = run_hypermax(peer, MODEL_SPACE, forest_error, trials, seed, 1)
    return _key(("model", *task)), {"gap": min(losses), "per_ask": per_ask}


# -- seconds per ask -------------------------------------------------------------------------
def _history(space: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """``count`` random points of ``space`` (numbers only), the same on every call."""
    rng = np.random.default_rng(0)
    props = space["properties"]
    return [
        {name: float(rng.uniform(node["min"], node["max"])) for name, node in props.items()}
        for _ in range(count)
    ]


def _hypermax_per_ask(
    method: str, problem: str, history: int, measured: int, options: dict[str, Any]
) -> tuple[float, float]:
    """CPU and wall seconds of one ask + tell after ``history`` random finished trials."""
    from hypermax.optimizers.base import finished

    space, objective, _ = PROBLEMS[problem]
    hm_space = Space(space)
    optimizer = make_optimizer(method, hm_space, 1, options)
    points = _history(space, history)
    optimizer.tell_many(
        [finished(i + 1, hm_space.encode(p), objective(p)) for i, p in enumerate(points)]
    )
    # the first ask builds the backend's study from the history told in one batch (as a resume
    # does, once): outside the timing, as Optuna's own history is added before its timing
    drive_more(optimizer, history, 1, objective)
    cpu, wall = time.process_time(), time.perf_counter()
    drive_more(optimizer, history + 1, measured, objective)
    return (time.process_time() - cpu) / measured, (time.perf_counter() - wall) / measured


def _optuna_per_ask(sampler: Any, problem: str, history: int, measured: int) -> tuple[float, float]:
    import optuna

    space, objective, _ = PROBLEMS[problem]
    dists = {
        name: optuna.distributions.FloatDistribution(node["min"], node["max"])
        for name, node in space["properties"].items()
    }
    study = optuna.create_study(sampler=sampler)
    for p in _history(space, history):
        study.add_trial(
            optuna.trial.create_trial(params=p, distributions=dists, value=objective(p))
        )
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(measured):
        trial = study.ask(dists)
        study.tell(trial, objective(trial.params))
    return (time.process_time() - cpu) / measured, (time.perf_counter() - wall) / measured


def drive_more(optimizer: Any, done: int, more: int, objective: Callable) -> None:
    from hypermax.optimizers.base import finished

    for trial_id in range(done + 1, done + more + 1):
        proposal = optimizer.ask(trial_id)
        optimizer.tell(finished(trial_id, proposal.internal, objective(proposal.params)))


def speed(rounds: int = 2) -> None:
    """ask + tell after 1,000 trials (TPE, Branin) and after 100 (GP, Branin and Hartmann6):
    hypermax's methods against Optuna's samplers, CPU time (what load on the machine disturbs
    least) and wall time per ask, each the median of ``rounds`` rounds."""
    import optuna

    from hypermax.optimizers.optuna_based import GAMMA, _Gamma

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    one_thread()
    with_gp = bool(runnable(["gp"]))
    rows: dict[str, list[tuple[float, float]]] = {}
    for _ in range(rounds):
        cases: list[tuple[str, Callable[[], tuple[float, float]]]] = [
            ("tpe, 1,000 trials, Branin", lambda: _hypermax_per_ask("tpe", "Branin", 1000, 50, {})),
            (
                "Optuna TPESampler (default), same",
                lambda: _optuna_per_ask(optuna.samplers.TPESampler(seed=1), "Branin", 1000, 50),
            ),
            (
                "Optuna TPESampler as hypermax's tpe, same",
                lambda: _optuna_per_ask(
                    optuna.samplers.TPESampler(
                        seed=1, multivariate=True, gamma=_Gamma(GAMMA), constant_liar=True
                    ),
                    "Branin",
                    1000,
                    50,
                ),
            ),
        ]
        for problem in ("Branin", "Hartmann6") if with_gp else ():
            cases += [
                (
                    f"gp, 100 trials, {problem}",
                    lambda problem=problem: _hypermax_per_ask("gp", problem, 100, 10, {}),
                ),
                (
                    f"Optuna GPSampler, same ({problem})",
                    lambda problem=problem: _optuna_per_ask(
                        optuna.samplers.GPSampler(seed=1), problem, 100, 10
                    ),
                ),
            ]
        for label, measure in cases:
            rows.setdefault(label, []).append(measure())
    print(f"seconds per ask + tell, median of {rounds} rounds: CPU / wall")
    for label, measured in rows.items():
        cpu = statistics.median(m[0] for m in measured)
        wall = statistics.median(m[1] for m in measured)
        print(f"| {label} | {cpu * 1000:.1f} ms | {wall * 1000:.1f} ms |")


# -- tables ---------------------------------------------------------------------------------
def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 0.01:
        return f"{x:.3g}"
    return f"{x:.2g}"


def _cell(gaps: list[float]) -> str:
    """``median [first quartile, third quartile]`` of the gaps, the quartiles within them."""
    if not gaps:
        return "-"
    q = statistics.quantiles(gaps, n=4) if len(gaps) > 1 else [gaps[0]] * 3
    # the exclusive method places the quartiles of two values beyond them (a negative gap)
    first, third = max(q[0], min(gaps)), min(q[2], max(gaps))
    return f"{_fmt(statistics.median(gaps))} [{_fmt(first)}, {_fmt(third)}]"


def table(results: dict[str, Any], peers: list[str], seeds: int, trials: int) -> None:
    problems = list(PROBLEMS)[:4]
    print(f"median gap to the optimum after {trials} trials [IQR], up to {seeds} seeds")
    print()
    print("| method | " + " | ".join(problems) + " | seconds per ask | seeds |")
    print("|---|" + "---|" * (len(problems) + 2))
    for peer in peers:
        cells, per_ask, counts = [], [], []
        for problem in problems:
            found = [results.get(_key((peer, problem, s, 1, trials))) for s in range(seeds)]
            done = [r for r in found if r is not None]
            cells.append(_cell([r["gap"] for r in done]))
            per_ask += [r["per_ask"] for r in done]
            counts.append(len(done))
        seconds = f"{statistics.median(per_ask):.3f}" if per_ask else "-"
        print(f"| {peer} | " + " | ".join(cells) + f" | {seconds} | {min(counts)} |")


def parallel_table(
    results: dict[str, Any], peers: list[str], seeds: dict[str, int], trials: int
) -> None:
    """Median gap at parallel 4 against parallel 1 on the same seeds, the ratio of the two
    medians and its 90 % bootstrap interval (seeds resampled): with ten seeds a ratio of
    medians moves by tens of percent from one set of seeds to the next."""
    problems = list(PROBLEMS)[:4]
    print()
    print(
        f"parallel 4 against parallel 1: median gap after {trials} trials, "
        "ratio 4/1 [90 % bootstrap interval], seeds"
    )
    print()
    print("| method | " + " | ".join(problems) + " | seeds |")
    print("|---|" + "---|" * (len(problems) + 1))
    for peer in peers:
        cells, counts = [], []
        for problem in problems:
            pairs = []
            for s in range(seeds[peer]):
                one = results.get(_key((peer, problem, s, 1, trials)))
                four = results.get(_key((peer, problem, s, 4, trials)))
                if one is not None and four is not None:
                    pairs.append((one["gap"], four["gap"]))
            counts.append(len(pairs))
            if not pairs:
                cells.append("-")
                continue
            gaps = np.array(pairs)
            med1, med4 = float(np.median(gaps[:, 0])), float(np.median(gaps[:, 1]))
            low, high = _ratio_interval(gaps)
            ratio = med4 / med1 if med1 > 0 else math.inf
            cells.append(f"{_fmt(med4)} vs {_fmt(med1)} ({ratio:.2f} [{low:.2f}, {high:.2f}])")
        print(f"| {peer} | " + " | ".join(cells) + f" | {min(counts)} |")


def _ratio_interval(gaps: np.ndarray, rounds: int = 2000) -> tuple[float, float]:
    """The 5th and 95th percentiles of median(column 1) / median(column 0) over ``rounds``
    resamplings of the rows (seeds), with a fixed generator."""
    rng = np.random.default_rng(0)
    rows = rng.integers(len(gaps), size=(rounds, len(gaps)))
    one = np.median(gaps[rows, 0], axis=1)
    four = np.median(gaps[rows, 1], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(one > 0, four / one, np.inf)
    low, high = np.percentile(ratios, [5, 95])
    return float(low), float(high)


def model_table(results: dict[str, Any], peers: list[str], seeds: int, trials: int) -> None:
    print()
    print(f"random forest on digits, 3-fold CV error after {trials} trials, {seeds} seeds")
    print()
    print("| method | best CV error, median [min, max] | seconds per ask |")
    print("|---|---|---|")
    for peer in peers:
        found = [results.get(_key(("model", peer, s, trials))) for s in range(seeds)]
        done = [r for r in found if r is not None]
        if not done:
            continue
        errors = [100 * r["gap"] for r in done]
        per_ask = statistics.median(r["per_ask"] for r in done)
        print(
            f"| {peer} | {statistics.median(errors):.2f} % [{min(errors):.2f}, "
            f"{max(errors):.2f}] | {per_ask:.3f} |"
        )


# -- main -----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=at_least(1), default=100)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=at_least(1), default=2)
    parser.add_argument("--only", default="", help="comma-separated methods/peers")
    parser.add_argument("--parallel", default="tpe,auto,gp,cmaes,ngopt")
    parser.add_argument("--slow-seeds", type=int, default=10, help="seeds for gp, auto, optuna-gp")
    parser.add_argument(
        "--parallel-seeds",
        type=int,
        default=0,
        help="seeds of the parallel-4 against parallel-1 comparison for the fast methods "
        "(default: --seeds)",
    )
    parser.add_argument("--cache", default="/tmp/hypermax-quality.json")
    parser.add_argument("--model", action="store_true")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--table", action="store_true", help="only print the tables")
    args = parser.parse_args()
    if args.speed:
        speed()
        return
    cache = Path(args.cache)
    results: dict[str, Any] = json.loads(cache.read_text()) if cache.exists() else {}
    peers = [*HYPERMAX_METHODS, *OPTUNA_PEERS]
    if args.only:
        peers = [p for p in peers if p in args.only.split(",")]
    slow = {"gp", "auto", "optuna-gp"}
    parallel_seeds = {
        peer: args.slow_seeds if peer in slow else max(args.seeds, args.parallel_seeds)
        for peer in peers
    }
    if args.model:
        model_peers = [p for p in peers if p in ("tpe", "auto", "hyperopt_tpe", "optuna-tpe")]
        tasks: list[Any] = [(p, s, 60) for p in model_peers for s in range(args.seeds)]
        work, fn = [t for t in tasks if _key(("model", *t)) not in results], model_task
    else:
        tasks = []
        for peer in peers:
            seeds = args.slow_seeds if peer in slow else args.seeds
            for problem in list(PROBLEMS)[:4]:
                tasks += [(peer, problem, s, 1, args.trials) for s in range(seeds)]
                if peer in args.parallel.split(","):
                    tasks += [
                        (peer, problem, s, parallel, args.trials)
                        for s in range(parallel_seeds[peer])
                        for parallel in (1, 4)
                    ]
        tasks = [(auto_alias(t[0], t[1], t[3]), *t[1:]) for t in tasks]
        # fast peers first, then the slow ones seed by seed, so that every cell grows evenly
        work = sorted(
            {t for t in tasks if _key(t) not in results},
            key=lambda t: (t[0] in slow, t[2], t[0], t[1], t[3]),
        )
        fn = one_task
    if not args.table:
        installed = set(runnable(sorted({t[0] for t in work})))
        work = [t for t in work if t[0] in installed]
        with Pool(args.jobs) as pool:
            for i, (key, value) in enumerate(pool.imap_unordered(fn, work), 1):
                results[key] = value
                cache.write_text(json.dumps(results, indent=0))
                print(f"[{i}/{len(work)}] {key}: gap {value['gap']:.4g}", flush=True)
    for key in list(results):
        peer, _, rest = key.partition("|")
        parts = rest.split("|")
        problem = parts[0]
        if problem in PROBLEMS and auto_alias("auto", problem, int(parts[2])) == peer:
            results.setdefault(f"auto|{rest}", results[key])
    if args.model:
        model_table(results, peers, args.seeds, 60)
    else:
        table(results, peers, max(args.seeds, args.slow_seeds), args.trials)
        parallel_table(
            results,
            [p for p in peers if p in args.parallel.split(",")],
            parallel_seeds,
            args.trials,
        )


if __name__ == "__main__":
    main()
