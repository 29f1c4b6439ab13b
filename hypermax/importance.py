"""Param importance: how much of the variation of the loss each param accounts for.

:func:`param_importance` ranks the params of the finished trials (``(flat params, loss)``
pairs, encoded as :mod:`hypermax.analysis` encodes them for its rank correlations) by the
main effects of a random forest when scikit-learn is installed, else by shares of ``|rho|``:
what ``hypermax show --importance``, ``export --format json`` and the plots read. numpy and
scikit-learn are imported on the first call, not with this module.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hypermax.analysis import (
    MIN_TRIALS,
    RHO_DIGITS,
    ParamKind,
    encode,
    param_columns,
    relations_of,
)

__all__ = ["FOREST_SAMPLE", "Importance", "ParamImportance", "param_importance"]

#: Trees in the importance forest, and their depth (Optuna's fANOVA evaluator uses the same).
FOREST_TREES = 64
FOREST_DEPTH = 64
#: Values at which a param's main effect is measured (quantiles of its values beyond this).
_EFFECT_POINTS = 32
#: Trials the forest learns from (a seeded sample of them beyond this): the forest's fit grows
#: with the trials (13 s at 50,000), its main effects are as clear from a sample of them.
FOREST_SAMPLE = 2_000
#: Trials the main effect is averaged over (a seeded sample of them beyond this).
_BACKGROUND = 400
#: The most cells (rows x params) of the batch a main effect is predicted from, and the
#: fewest trials it is averaged over however many params a search has.
_BATCH_CELLS = 32_000_000
_LEAST_BACKGROUND = 50


@dataclass(frozen=True)
class ParamImportance:
    """How much of the loss's variation one flat param accounts for.

    Attributes:
        name: the flat dotted name.
        importance: this param's share of the importance, in ``[0, 1]``; the shares of a
            search's params add up to 1 (unless none explains anything: then all are 0).
        rho: Spearman's rank correlation with the loss (see
            :class:`~hypermax.analysis.ParamRelation`), or None when it is undefined (the param
            varies only among trials of equal loss).
        trials: how many trials with a loss the param appeared in.
        kind: ``number``, ``bool`` or ``enum``.
        best_value: for an ``enum``, the value with the lowest mean loss.
    """

    name: str
    importance: float
    rho: float | None
    trials: int
    kind: ParamKind
    best_value: Any = None


@dataclass(frozen=True)
class Importance:
    """The params of a search ranked by importance, most important first.

    Attributes:
        method: ``forest`` (main effects of a random forest fitted to the trials, as fANOVA
            measures them) or ``spearman`` (shares of ``|rho|``, when scikit-learn is missing
            or was not asked for).
        params: one :class:`ParamImportance` per param that varies.
        trials: how many trials with a finite loss the ranking rests on.
    """

    method: Literal["forest", "spearman"]
    params: tuple[ParamImportance, ...]
    trials: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``export --format json`` writes this)."""
        return {
            "method": self.method,
            "trials": self.trials,
            "params": [
                {
                    "name": p.name,
                    "importance": p.importance,
                    "rho": p.rho,
                    "trials": p.trials,
                    "kind": p.kind,
                    "best_value": p.best_value,
                }
                for p in self.params
            ],
        }


def param_importance(
    scored: Iterable[tuple[Mapping[str, Any], float]],
    min_trials: int = MIN_TRIALS,
    forest: bool | None = None,
    seed: int = 0,
) -> Importance:
    """Rank the params by how much of the variation of the loss each accounts for.

    With scikit-learn installed, a random forest (64 trees, as Optuna's
    ``FanovaImportanceEvaluator``) learns the loss from the params of the finished trials;
    a param's importance is the variance of its main effect — the forest's prediction
    averaged over the other params' values, as a function of this param alone — as a share of
    the main effects of all params. Unlike fANOVA, which averages over the uniform box of the
    space, the averages run over the trials themselves, so the part of the space the search
    actually visited weighs most. Without scikit-learn (or with ``forest=False``), the shares
    are those of ``|rho|`` from :func:`~hypermax.analysis.rank_params`.

    Args:
        scored: ``(flat params, loss)`` of each finished trial; losses that are not finite
            are skipped.
        min_trials: a param seen in fewer trials is left out; the forest is fitted only from
            this many trials on (fewer give ``spearman`` shares).
        forest: True requires scikit-learn (ImportError without it), False never uses it,
            None uses it when it is installed.
        seed: the forest's random state: the same trials give the same importance.

    Returns:
        An :class:`Importance`; its ``params`` are empty when the loss never varies.

    Example::

        ranking = param_importance(
            (flatten(t.params), t.loss) for t in trials if t.loss is not None
        )
        for p in ranking.params:
            print(f"{p.name:20} {p.importance:.2f}")
    """
    scored = [(flat, float(loss)) for flat, loss in scored if math.isfinite(loss)]
    columns = param_columns(scored)
    losses = [loss for _, loss in scored]
    encoded = {  # each param's kind, codes, best value: made once
        name: encode(values, param_losses)
        for name, (values, param_losses) in columns.items()
        if len(values) >= min_trials
    }
    relations = {r.name: r for r in relations_of(columns, encoded)}
    names = sorted(name for name, (_, codes, _) in encoded.items() if len(set(codes)) > 1)
    if len(set(losses)) < 2 or not names:
        return Importance("spearman", (), len(scored))
    shares: list[float] | None = None
    method: Literal["forest", "spearman"] = "spearman"
    if forest is not False and len(scored) >= min_trials:
        try:
            shares = _forest_shares(_matrix(scored, names, encoded), losses, seed)
            method = "forest"
        except ImportError:
            if forest:
                raise
    if shares is None:
        strength = [abs(relations[n].rho) if n in relations else 0.0 for n in names]
        total = sum(strength)
        shares = [s / total if total > 0 else 0.0 for s in strength]
    params = []
    for name, share in zip(names, shares, strict=True):
        values, _ = columns[name]
        kind, _, best_value = encoded[name]
        relation = relations.get(name)
        rho = relation.rho if relation is not None else None
        params.append(ParamImportance(name, share, rho, len(values), kind, best_value))
    params.sort(key=lambda p: (-round(p.importance, RHO_DIGITS), p.name))
    return Importance(method, tuple(params), len(scored))


def _matrix(
    scored: list[tuple[Mapping[str, Any], float]],
    names: list[str],
    encoded: dict[str, tuple[ParamKind, list[float], Any]],
) -> Any:
    """One row per trial, one column per param (a numpy array); a param a trial lacks gets a
    value of its own.

    A column holds the rank of each value among the param's values: trees split on order
    alone, so the forest is the one the values themselves would grow, and values as large as
    1e300 (which the forest's float32 could not hold) rank like any others. The missing value
    ranks below all of them, so a tree can split it off like any other (a conditional branch
    not taken is information too).
    """
    import numpy as np

    matrix = np.full((len(scored), len(names)), -1.0)
    for j, name in enumerate(names):
        _, codes, _ = encoded[name]
        has = np.fromiter((name in flat for flat, _ in scored), bool, len(scored))
        _, ranks = np.unique(np.asarray(codes, dtype=float), return_inverse=True)
        matrix[has, j] = ranks
    return matrix


def _forest_shares(matrix: Any, losses: list[float], seed: int) -> list[float]:
    """Each column's main-effect variance under a random forest, as shares of their sum."""
    import numpy as np
    from sklearn.ensemble import RandomForestRegressor

    x = np.asarray(matrix, dtype=float)
    y = np.asarray(losses, dtype=float)
    y = y / (np.abs(y).max() or 1.0)  # shares do not change with scale; squares of 1e200 do
    rng = np.random.default_rng(seed)
    if len(x) > FOREST_SAMPLE:  # a seeded sample, in the order of the trials
        picked = np.sort(rng.choice(len(x), FOREST_SAMPLE, replace=False))
        x, y = x[picked], y[picked]
    model = RandomForestRegressor(
        n_estimators=FOREST_TREES, max_depth=FOREST_DEPTH, random_state=seed, n_jobs=1
    ).fit(x, y)
    points_of = [_effect_points(x[:, j]) for j in range(x.shape[1])]
    most = max(len(points) for points, _ in points_of)
    # the rows the main effects are averaged over: every trial, or a seeded sample of them,
    # fewer for a very wide search, so that the rows predicted at once stay within a bound
    # (a list of 3,000 params: 32 points x 400 trials x 3,000 columns, 300 MiB a param)
    size = min(_BACKGROUND, max(_LEAST_BACKGROUND, _BATCH_CELLS // (most * x.shape[1])))
    background = x
    if len(x) > size:
        rows = rng.choice(len(x), size, replace=False)
        background = x[np.sort(rows)]
    # the batch of every point of a param over the background rows, in the trees' float32:
    # made once, its param's column set to the points in turn
    batch = np.tile(background.astype(np.float32), (most, 1))
    # a tree that never splits on a param adds the same to each point of its main effect,
    # which leaves the effect's variance as it is: only the trees that split on it are asked
    users: dict[int, list[Any]] = {}
    for tree in model.estimators_:
        for j in set(tree.tree_.feature[tree.tree_.feature >= 0].tolist()):
            users.setdefault(j, []).append(tree)
    effects = []
    for j, (points, weights) in enumerate(points_of):
        if j not in users:
            effects.append(0.0)
            continue
        rows = len(points) * len(background)
        batch[:rows, j] = np.repeat(points.astype(np.float32), len(background))
        summed = sum(tree.predict(batch[:rows], check_input=False) for tree in users[j])
        curve = (summed / len(model.estimators_)).reshape(len(points), -1).mean(axis=1)
        batch[:, j] = np.tile(background[:, j].astype(np.float32), most)
        mean = np.average(curve, weights=weights)
        effects.append(float(np.average((curve - mean) ** 2, weights=weights)))
    total = sum(effects)
    return [effect / total if total > 0 else 0.0 for effect in effects]


def _effect_points(column: Any) -> tuple[Any, Any]:
    """The values at which a main effect is measured, and how many trials each stands for."""
    import numpy as np

    values, counts = np.unique(column, return_counts=True)
    if len(values) <= _EFFECT_POINTS:
        return values, counts
    ordered = np.sort(column)
    chunks = np.array_split(ordered, _EFFECT_POINTS)
    return np.array([np.median(c) for c in chunks]), np.array([len(c) for c in chunks])
