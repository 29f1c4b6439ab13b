"""Result analysis: what the finished trials say about the params.

Pure functions over ``(flat params, loss)`` pairs with no user interface in them, so that every
view of the results (the dashboard's params panel, ``hypermax show --importance``, the JSON
export, the plots) reads the same numbers. :func:`rank_params` ranks each param by Spearman's
rank correlation with the loss; :func:`param_importance` measures how much of the loss's
variance each param explains, with a random forest when scikit-learn is installed. scipy and
scikit-learn are imported on the first call (scipy also by :func:`load`), not with this module:
they take half a second and more to load, and nothing on a trial's path may pay for it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:
    from hypermax.trial import Trial

__all__ = [
    "MIN_TRIALS",
    "Importance",
    "ParamImportance",
    "ParamKind",
    "ParamRelation",
    "load",
    "param_importance",
    "rank_params",
    "scored_trials",
]

#: Fewest trials a param must appear in (with a loss) before it is ranked.
MIN_TRIALS = 5

ParamKind: TypeAlias = Literal["number", "bool", "enum"]
#: Correlations this close are equally strong when ranked (float noise is not a difference).
_RHO_DIGITS = 9


@dataclass(frozen=True)
class ParamRelation:
    """How one flat param relates to the loss over the finished trials.

    Attributes:
        name: the flat dotted name (``optimizer.learning_rate``).
        rho: Spearman's rank correlation between the param and the loss, in ``[-1, 1]``;
            positive when a larger value goes with a larger (worse) loss. An ``enum`` is first
            encoded by the rank of each value's mean loss rank, so its ``rho`` is never
            negative.
        trials: how many trials with a loss the param appeared in.
        kind: ``number``, ``bool`` (ranked as 0/1), or ``enum`` (any other value).
        best_value: for an ``enum``, the value with the lowest mean loss; None otherwise.
    """

    name: str
    rho: float
    trials: int
    kind: ParamKind
    best_value: Any = None


def rank_params(
    scored: Iterable[tuple[Mapping[str, Any], float]], min_trials: int = MIN_TRIALS
) -> list[ParamRelation]:
    """Rank each flat param by the strength of its rank correlation with the loss.

    Args:
        scored: ``(flat params, loss)`` of each finished trial; a loss that is not a finite
            number is skipped.
        min_trials: a param seen in fewer trials (a rarely chosen conditional branch) is left
            out.

    Returns:
        One :class:`ParamRelation` per param that varies while the loss does too, strongest
        ``|rho|`` first (ties by name). A param that never changes says nothing and is left out.

    Example:
        >>> scored = [({"lr": lr, "opt": opt}, lr + (0 if opt == "adam" else 1))
        ...           for lr in (0.1, 0.2, 0.3) for opt in ("adam", "sgd")]
        >>> [(r.name, round(r.rho, 2), r.best_value) for r in rank_params(scored, 3)]
        [('opt', 0.88, 'adam'), ('lr', 0.48, None)]
    """
    columns = _columns(scored)
    encoded = {
        name: encode(values, losses)
        for name, (values, losses) in columns.items()
        if len(values) >= min_trials
    }
    return _relations(columns, encoded)


def _relations(
    columns: dict[str, tuple[list[Any], list[float]]],
    encoded: dict[str, tuple[ParamKind, list[float], Any]],
) -> list[ParamRelation]:
    """:func:`rank_params` of the params ``encoded`` (each one's kind, codes and best value),
    from their ``columns``."""
    chosen = []
    for name, (kind, codes, best_value) in encoded.items():
        losses = columns[name][1]
        if len(set(codes)) < 2 or len(set(losses)) < 2:
            continue  # constant: no relation
        chosen.append((name, kind, codes, best_value, losses))
    encoded_list = chosen
    rhos = _spearman_many([(codes, losses) for _, _, codes, _, losses in encoded_list])
    out = [
        ParamRelation(name, min(1.0, max(-1.0, rho)), len(codes), kind, best_value)
        for (name, kind, codes, best_value, _), rho in zip(encoded_list, rhos, strict=True)
    ]
    out.sort(key=lambda r: (-round(abs(r.rho), _RHO_DIGITS), r.name))
    return out


def _spearman_many(pairs: list[tuple[list[float], list[float]]]) -> list[float]:
    """Spearman's rho of each ``(codes, losses)`` pair, as scipy's ``spearmanr`` gives it (the
    correlation of their average ranks), in one pass over the params that share their trials
    (and so their losses): a list of 3,000 params is ranked in a fraction of a second, not in
    the seconds one call per param takes, which held the dashboard's drawing still."""
    if not pairs:
        return []  # nothing to rank: no import of numpy and scipy for it
    import numpy as np

    rankdata = _stats().rankdata
    groups: dict[tuple[float, ...], list[int]] = {}
    for index, (_, losses) in enumerate(pairs):
        groups.setdefault(tuple(losses), []).append(index)
    rhos = [0.0] * len(pairs)
    for shared, members in groups.items():
        y = rankdata(shared)
        y -= y.mean()
        x = rankdata(np.array([pairs[i][0] for i in members], dtype=float), axis=1)
        x -= x.mean(axis=1, keepdims=True)
        found = (x @ y) / np.sqrt((x * x).sum(axis=1) * (y @ y))
        for i, rho in zip(members, found.tolist(), strict=True):
            rhos[i] = rho
    return rhos


def _columns(
    scored: Iterable[tuple[Mapping[str, Any], float]],
) -> dict[str, tuple[list[Any], list[float]]]:
    """Each param's values and the losses of the trials it appeared in (finite losses only)."""
    columns: dict[str, tuple[list[Any], list[float]]] = {}
    for flat, loss in scored:
        if not math.isfinite(loss):
            continue
        for name, value in flat.items():
            values, losses = columns.setdefault(name, ([], []))
            values.append(value)
            losses.append(float(loss))
    return columns


def scored_trials(trials: Iterable[Trial]) -> list[tuple[dict[str, Any], float]]:
    """``(flat params, loss)`` of each finished trial with a loss: what the rankings here take."""
    from hypermax.space import flatten

    return [
        (flatten(t.params), float(t.loss))
        for t in trials
        if t.state.finished and t.loss is not None
    ]


def load() -> None:
    """Import scipy now rather than on the first :func:`rank_params` call.

    That costs about half a second, once per process (nothing if hyperopt already loaded it);
    a user interface calls this before it starts drawing, so that no redraw waits for it.
    """
    _stats()


def _stats() -> ModuleType:
    from scipy import stats

    return stats


def encode(values: list[Any], losses: list[float]) -> tuple[ParamKind, list[float], Any]:
    """A param's values as numbers: ``(kind, codes, best value of an enum)``.

    Numbers stay as they are, bools become 0/1, and any other value (an ``enum``) becomes the
    rank of its mean loss (see :class:`ParamRelation`).
    """
    if all(_finite(v) for v in values):
        kind: ParamKind = "bool" if all(isinstance(v, bool) for v in values) else "number"
        return kind, [float(v) for v in values], None
    codes, best_value = _encode_by_mean_loss(values, losses)
    return "enum", codes, best_value


def _finite(value: Any) -> bool:
    """Whether ``value`` is a number a float holds (not NaN, not infinite, not an int of
    10**400)."""
    if not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _encode_by_mean_loss(values: list[Any], losses: list[float]) -> tuple[list[float], Any]:
    """Each value as the rank (from 0) of its mean loss rank among the values (the mean of its
    trials' ranks among all the losses: a value's one loss near the largest float does not
    put it last, and the rank correlation of the codes with the losses is never negative);
    and the best value, the one of the lowest mean loss."""
    keys = _json_keys(values)
    loss_ranks = _stats().rankdata(losses)
    by_key: dict[str, list[float]] = {}
    ranks_by_key: dict[str, list[float]] = {}
    for key, loss, loss_rank in zip(keys, losses, loss_ranks, strict=True):
        by_key.setdefault(key, []).append(loss)
        ranks_by_key.setdefault(key, []).append(float(loss_rank))
    order = sorted(ranks_by_key, key=lambda k: (_mean(ranks_by_key[k]), k))
    rank = {key: float(i) for i, key in enumerate(order)}
    best = min(by_key, key=lambda k: (_mean(by_key[k]), k))
    return [rank[k] for k in keys], json.loads(best)


def _json_keys(values: list[Any]) -> list[str]:
    """The JSON text of each value, made once for each distinct one (an enum of a few values
    over 50,000 trials: a few texts, not 50,000); a list or an object, not hashable, each."""
    made: dict[tuple[type, Any], str] = {}
    keys = []
    for value in values:
        if isinstance(value, dict | list):
            keys.append(json.dumps(value, sort_keys=True, default=str))
            continue
        # a float by its repr: -0.0 equals 0.0, and a NaN no other NaN
        known = (type(value), repr(value) if isinstance(value, float) else value)
        key = made.get(known)
        if key is None:
            key = made[known] = json.dumps(value, sort_keys=True, default=str)
        keys.append(key)
    return keys


def _mean(values: list[float]) -> float:
    """The mean of finite values, even of losses near the largest float (a sum overflows)."""
    return math.fsum(v / len(values) for v in values)


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
        rho: Spearman's rank correlation with the loss (see :class:`ParamRelation`), or None
            when it is undefined (the param varies only among trials of equal loss).
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
    are those of ``|rho|`` from :func:`rank_params`.

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
    columns = _columns(scored)
    losses = [loss for _, loss in scored]
    encoded = {  # each param's kind, codes, best value: made once
        name: encode(values, param_losses)
        for name, (values, param_losses) in columns.items()
        if len(values) >= min_trials
    }
    relations = {r.name: r for r in _relations(columns, encoded)}
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
    params.sort(key=lambda p: (-round(p.importance, _RHO_DIGITS), p.name))
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
