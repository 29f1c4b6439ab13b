"""Screening: what ``tpe`` should believe a running trial's loss to be, at parallel 4.

With trials running in parallel, ``tpe`` counts each running trial as finished at a believed
loss (:mod:`hypermax.optimizers.tpe_parallel`: the mean loss of its 3 nearest finished trials).
This script swaps that belief for named variants and prints, per function of
``benchmarks/quality.py``, the median gap after ``--trials`` trials at parallel 4 against the
same seeds at parallel 1, and their ratio (what the parallel table of ``benchmarks/README.md``
reports), plus the geometric mean over the seeds of a seed's gap at p4 over its gap at p1.
Runs go through :func:`hypermax.testing.drive` like quality.py's (trials end oldest first, each
ask sees 3 running), one process, results kept in ``--cache`` (p1 runs are shared by every
variant: the belief only acts with a trial running).

    python benchmarks/parallel_screen.py --variants mean,median,rank --seeds 0:20 \\
        --functions Hartmann6,Rosenbrock-5D
    python benchmarks/parallel_screen.py --variants mean,rank --seeds 0:100   # all four
    python benchmarks/parallel_screen.py --list                               # the variants

A variant is a belief and, optionally, a weight. The belief: from the squared distances of the
running trials to the finished ones in the unit cube of the space (rows: running, columns:
finished) and the finished trials' losses, the loss each running trial counts at (``mean``,
``median``, ``min`` or ``geometric`` of the 3 nearest; ``rank``: the loss at the mean rank of
the nearest, since TPE only uses the order of the losses and a mean of Rosenbrock's losses is
the worst neighbour's; ``kernel``: Nadaraya-Watson regression of the ranks; ``-good-only``:
running trials believed worse than the ``gamma`` quantile left out). The weight (``-w0.25``,
``-good-w0.25``, ``-bad-w0.25``): a believed trial's weight in TPE's Parzen estimators, as a
fraction of a finished trial's, in both groups, or only in the good or the bad one. The
functions below stand in for ``tpe_parallel.believed_trials`` and ``_believed_sample`` while
a variant runs (the ``mean`` variant reproduces ``tpe`` as it is, run for run).
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from quality import PROBLEMS, run_hypermax  # benchmarks/, the script's directory

from hypermax.optimizers import tpe_parallel

#: squared distances (running x finished) and finished losses → the loss each running trial
#: counts at (NaN: leave that running trial out)
Belief = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _nearest(apart: np.ndarray, k: int = 3) -> np.ndarray:
    return np.argsort(apart, axis=1, kind="stable")[:, :k]


def _ranks(losses: np.ndarray) -> np.ndarray:
    """Each loss's quantile among the losses, 0 for the best, 1 for the worst (ties averaged)."""
    order = np.argsort(losses, kind="stable")
    ranks = np.empty(len(losses))
    ranks[order] = np.arange(len(losses))
    for value in np.unique(losses[np.isinf(losses)]):  # failed trials: one rank, the worst
        ranks[losses == value] = ranks[losses == value].mean()
    return ranks / max(len(losses) - 1, 1)


def _at_quantile(losses: np.ndarray, quantile: np.ndarray) -> np.ndarray:
    """The loss at each quantile of ``losses`` (interpolated between neighbouring ranks; a
    quantile past the last finite loss is the worst finite loss)."""
    ordered = np.sort(losses)
    finite = ordered[np.isfinite(ordered)]
    positions = quantile * (len(ordered) - 1)
    return np.interp(positions, np.arange(len(finite)), finite)


def mean(apart: np.ndarray, losses: np.ndarray, k: int = 3) -> np.ndarray:
    # as tpe_parallel computes it, each loss divided before they are added: run for run the same
    nearest = _nearest(apart, k)
    return (losses[nearest] / nearest.shape[1]).sum(axis=1)


def minimum(apart: np.ndarray, losses: np.ndarray, k: int = 3) -> np.ndarray:
    return losses[_nearest(apart, k)].min(axis=1)


def median(apart: np.ndarray, losses: np.ndarray, k: int = 3) -> np.ndarray:
    return np.median(losses[_nearest(apart, k)], axis=1)


def rank(apart: np.ndarray, losses: np.ndarray, k: int = 3, weighted: bool = False) -> np.ndarray:
    """The mean quantile of the ``k`` nearest, as the loss at that quantile."""
    nearest = _nearest(apart, k)
    quantiles = _ranks(losses)[nearest]
    if weighted:
        weights = 1.0 / (np.sqrt(np.take_along_axis(apart, nearest, axis=1)) + 1e-3)
        mean_quantile = (quantiles * weights).sum(axis=1) / weights.sum(axis=1)
    else:
        mean_quantile = quantiles.mean(axis=1)
    return _at_quantile(losses, mean_quantile)


def geometric(apart: np.ndarray, losses: np.ndarray, k: int = 3) -> np.ndarray:
    """The mean of log(loss - best + eps) of the ``k`` nearest, mapped back."""
    finite = losses[np.isfinite(losses)]
    best, worst = finite.min(), finite.max()
    eps = max((worst - best) * 1e-6, 1e-12)
    clipped = np.minimum(losses, worst)
    logs = np.log(clipped - best + eps)
    return np.exp(logs[_nearest(apart, k)].mean(axis=1)) + best - eps


def kernel(apart: np.ndarray, losses: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Nadaraya-Watson regression of the losses' quantiles, Gaussian kernel, bandwidth by
    Scott's rule (n^(-1/(d+4)) times the spread of a uniform coordinate), mapped back."""
    n = apart.shape[1]
    dims = _DIMS[0]
    bandwidth = scale * n ** (-1.0 / (dims + 4)) * math.sqrt(1 / 12)
    logw = -apart / (2 * bandwidth**2)
    logw -= logw.max(axis=1, keepdims=True)
    weights = np.exp(logw)
    quantile = (weights * _ranks(losses)[None, :]).sum(axis=1) / weights.sum(axis=1)
    return _at_quantile(losses, quantile)


def good_only(base: Belief) -> Belief:
    """``base``, with running trials believed worse than the ``gamma`` quantile left out."""

    def belief(apart: np.ndarray, losses: np.ndarray) -> np.ndarray:
        from hypermax.optimizers.optuna_based import GAMMA, _Gamma

        believed = base(apart, losses)
        cut = np.sort(losses)[_Gamma(GAMMA)(len(losses)) - 1]
        return np.where(believed <= cut, believed, np.nan)

    return belief


#: the dimensions of the space being searched (for Scott's rule)
_DIMS = [1]
#: the function being searched (for the oracle)
_PROBLEM = [""]


def gp_rank(scale: float, noise: float = 1e-2, target: str = "rank") -> Belief:
    """Gaussian-process regression (RBF kernel, lengthscale ``scale`` times the median distance
    of a finished trial to its nearest other) of the losses' quantiles (or of the normal scores
    of the quantiles), its mean at each running trial mapped back to a loss."""

    def belief(apart: np.ndarray, losses: np.ndarray, inside: np.ndarray) -> np.ndarray:
        n = len(losses)
        quantiles = _ranks(losses)
        if target == "normal":
            from scipy.stats import norm

            y = norm.ppf((quantiles * (n - 1) + 0.5) / n)
        else:
            y = quantiles
        masked = inside + np.diag(np.full(n, np.inf))
        length = scale * float(np.sqrt(np.median(masked.min(axis=1)))) + 1e-9
        gram = np.exp(-inside / (2 * length**2)) + noise * np.eye(n)
        cross = np.exp(-apart / (2 * length**2))
        centre = y.mean()
        predicted = centre + cross @ np.linalg.solve(gram, y - centre)
        if target == "normal":
            from scipy.stats import norm

            predicted = (norm.cdf(predicted) * n - 0.5) / (n - 1)
        return _at_quantile(losses, np.clip(predicted, 0.0, 1.0))

    belief.regression = True  # type: ignore[attr-defined]
    return belief


def _external(params: dict[str, Any]) -> dict[str, Any]:
    """A running trial's params as the objective takes them (a category by its name)."""
    from quality import MIXED_OPTIMIZERS

    named = dict(params)
    if isinstance(named.get("optimizer"), int):
        named["optimizer"] = MIXED_OPTIMIZERS[named["optimizer"]]
    return named


def oracle(apart: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """Not a belief: each running trial counts at its true loss (the function evaluated at its
    params), what no belief can beat; the bound on what any belief can give back."""
    raise AssertionError("evaluated in believing()")


VARIANTS: dict[str, Belief] = {
    "mean": mean,
    "median": median,
    "min": minimum,
    "rank": rank,
    "rank-weighted": lambda a, x: rank(a, x, weighted=True),
    "rank5": lambda a, x: rank(a, x, k=5),
    "rank2": lambda a, x: rank(a, x, k=2),
    "geometric": geometric,
    "kernel": kernel,
    "kernel-half": lambda a, x: kernel(a, x, scale=0.5),
    "kernel-double": lambda a, x: kernel(a, x, scale=2.0),
    "mean-good-only": good_only(mean),
    "rank-good-only": good_only(rank),
    "geometric-good-only": good_only(geometric),
    "median-good-only": good_only(median),
    "geometric2": lambda a, x: geometric(a, x, k=2),
    "geometric5": lambda a, x: geometric(a, x, k=5),
    "oracle": oracle,
    "gp1": gp_rank(1.0),
    "gp2": gp_rank(2.0),
    "gp3": gp_rank(3.0),
    "gp2-normal": gp_rank(2.0, target="normal"),
    "gp0.5": gp_rank(0.5),
    "gp0.7": gp_rank(0.7),
    "gp1.4": gp_rank(1.4),
    "gp1-n0.1": gp_rank(1.0, noise=0.1),
    "gp1-n1e-3": gp_rank(1.0, noise=1e-3),
    "gp1-normal": gp_rank(1.0, target="normal"),
}


def weighted_sample(good: float, bad: float) -> Callable[..., dict[str, Any] | None]:
    """``tpe_parallel._believed_sample`` with each believed trial weighing ``good`` times a
    finished one in the Parzen estimator of the good trials, ``bad`` times in the bad ones'."""

    def believed_sample(sampler: Any, study: Any, trial: Any, search_space: dict) -> Any:
        from optuna.samplers._tpe.sampler import _split_trials, default_weights
        from optuna.trial import TrialState

        running = [
            t
            for t in study._get_trials(
                deepcopy=False, states=(TrialState.RUNNING,), use_cache=False
            )
            if t.number != trial.number and search_space.keys() <= t.params.keys()
        ]
        if not running:
            return None
        finished = study._get_trials(
            deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED), use_cache=False
        )
        believed = tpe_parallel.believed_trials(running, finished, search_space)
        if not believed:
            return None
        numbers = {t.number for t in believed}
        below, above = _split_trials(study, finished + believed, sampler._gamma(len(finished)))

        def density(trials: list[Any], guessed: float) -> Any:
            observations = sampler._get_internal_repr(trials, search_space, study)
            weights = default_weights(len(trials)) * np.array(
                [guessed if t.number in numbers else 1.0 for t in trials]
            )
            return sampler._parzen_estimator_cls(
                observations, search_space, sampler._parzen_estimator_parameters, weights
            )

        below_density, above_density = density(below, good), density(above, bad)
        rng = sampler._rng.rng
        candidates = below_density.sample(rng, sampler._n_ei_candidates)
        scores = sampler._compute_acquisition_func(candidates, below_density, above_density)
        chosen = sampler._compare(candidates, scores)
        return {name: d.to_external_repr(chosen[name]) for name, d in search_space.items()}

    return believed_sample


#: variants that also change how believed trials weigh: name → (belief, weight among the good
#: trials, weight among the bad)
WEIGHTED: dict[str, tuple[Belief, float, float]] = {
    "rank-w0.5": (rank, 0.5, 0.5),
    "rank-good-w0.25": (rank, 0.25, 1.0),
    "rank-bad-w0.25": (rank, 1.0, 0.25),
    "mean-w0.5": (mean, 0.5, 0.5),
    "mean-w0.25": (mean, 0.25, 0.25),
    "geometric-w0.5": (geometric, 0.5, 0.5),
    "median-w0.5": (median, 0.5, 0.5),
    "mean-w0.1": (mean, 0.1, 0.1),
    "median-w0.25": (median, 0.25, 0.25),
    "geometric-w0.25": (geometric, 0.25, 0.25),
    "rank-w0.25": (rank, 0.25, 0.25),
}


def believing(belief: Belief) -> Callable[..., list[Any]]:
    """``tpe_parallel.believed_trials`` with ``belief`` in place of the mean of 3 neighbours."""

    def believed_trials(running: list[Any], finished: list[Any], search_space: dict) -> list[Any]:
        from optuna.trial import TrialState, create_trial

        known = [
            t
            for t in finished
            if t.state == TrialState.COMPLETE and search_space.keys() <= t.params.keys()
        ]
        if not running or not known:
            return []
        here = tpe_parallel._unit_cube(running, search_space)
        there = tpe_parallel._unit_cube(known, search_space)
        categorical = np.array([tpe_parallel._is_categorical(d) for d in search_space.values()])
        apart = here[:, None, :] - there[None, :, :]
        apart = np.where(categorical, (apart != 0).astype(float), apart)
        _DIMS[0] = len(search_space)
        losses = np.array([t.value for t in known], dtype=float)
        if getattr(belief, "regression", False):
            inside = there[:, None, :] - there[None, :, :]
            inside = np.where(categorical, (inside != 0).astype(float), inside)
            beliefs = belief((apart**2).sum(axis=2), losses, (inside**2).sum(axis=2))
        elif belief is oracle:
            objective = PROBLEMS[_PROBLEM[0]][1]
            beliefs = np.array([objective(_external(t.params)) for t in running], dtype=float)
        else:
            beliefs = belief((apart**2).sum(axis=2), losses)
        believed = []
        for trial, loss in zip(running, beliefs, strict=True):
            if math.isnan(loss):
                continue
            frozen = create_trial(
                params={name: trial.params[name] for name in search_space},
                distributions={name: trial.distributions[name] for name in search_space},
                value=float(loss),
            )
            frozen.number = trial.number
            believed.append(frozen)
        return believed

    return believed_trials


def gap(problem: str, seed: int, parallel: int, trials: int) -> float:
    space, objective, optimum = PROBLEMS[problem]
    losses, _ = run_hypermax("tpe", space, objective, trials, seed, parallel)
    return min(loss for loss in losses if loss is not None) - optimum


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default="mean,rank", help="comma-separated (see --list)")
    parser.add_argument("--functions", default=",".join(PROBLEMS))
    parser.add_argument("--seeds", default="0:20", help="first:last+1")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--cache", default="/tmp/hypermax-parallel-screen.json")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        print(" ".join([*VARIANTS, *WEIGHTED]))
        return
    warnings.simplefilter("ignore")
    first, last = (int(part) for part in args.seeds.split(":"))
    seeds = range(first, last)
    cache = Path(args.cache)
    results: dict[str, float] = json.loads(cache.read_text()) if cache.exists() else {}
    original = tpe_parallel.believed_trials
    original_sample = tpe_parallel._believed_sample
    problems = args.functions.split(",")
    rows = []
    for name in ["p1", *args.variants.split(",")]:
        belief, good, bad = WEIGHTED.get(name, (VARIANTS.get(name, mean), 1.0, 1.0))
        tpe_parallel.believed_trials = original if name == "p1" else believing(belief)
        if (good, bad) != (1.0, 1.0):
            tpe_parallel._believed_sample = weighted_sample(good, bad)
        else:
            tpe_parallel._believed_sample = original_sample
        cells = []
        for problem in problems:
            _PROBLEM[0] = problem
            gaps = []
            for seed in seeds:
                key = f"{name}|{problem}|{seed}|{args.trials}"
                if key not in results:
                    results[key] = gap(problem, seed, 1 if name == "p1" else 4, args.trials)
                    cache.write_text(json.dumps(results))
                gaps.append(results[key])
            cells.append(np.array(gaps))
        rows.append((name, cells))
    tpe_parallel.believed_trials = original
    tpe_parallel._believed_sample = original_sample
    one = rows[0][1]
    print(f"seeds {first}-{last - 1}, {args.trials} trials: p4/p1 ratio of median gaps (geo-mean)")
    print("| variant | " + " | ".join(problems) + " |")
    for name, cells in rows[1:]:
        parts = []
        for p1, p4 in zip(one, cells, strict=True):
            ratio = float(np.median(p4) / np.median(p1))
            geo = float(np.exp(np.mean(np.log(np.maximum(p4, 1e-300) / np.maximum(p1, 1e-300)))))
            parts.append(f"{ratio:.2f} ({geo:.2f})")
        print(f"| {name} | " + " | ".join(parts) + " |", flush=True)


if __name__ == "__main__":
    main()
