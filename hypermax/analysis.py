"""Result analysis: how the params of the finished trials relate to their loss.

Pure functions over ``(flat params, loss)`` pairs with no user interface in them, so that every
view of the results (the dashboard's params panel, ``hypermax show --importance``, the JSON
export, the plots) reads the same numbers. :func:`rank_params` ranks each param by Spearman's
rank correlation with the loss; :mod:`hypermax.importance` measures, from the same encoding
(:func:`param_columns`, :func:`encode`, :func:`relations_of`), how much of the loss's variance
each param explains. scipy is imported on the first call (or by :func:`load`), not with this
module: it takes half a second to load, and nothing on a trial's path may pay for it.
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
    "RHO_DIGITS",
    "ParamKind",
    "ParamRelation",
    "encode",
    "load",
    "param_columns",
    "rank_params",
    "relations_of",
    "scored_trials",
]

#: Fewest trials a param must appear in (with a loss) before it is ranked.
MIN_TRIALS = 5

ParamKind: TypeAlias = Literal["number", "bool", "enum"]
#: Digits to which correlations (and importance shares) are equal when ranked: float noise is
#: not a difference.
RHO_DIGITS = 9


@dataclass(frozen=True)
class ParamRelation:
    """How one flat param relates to the loss over the finished trials.

    Attributes:
        name: the flat dotted name (``optimizer.learning_rate``).
        rho: Spearman's rank correlation between the param and the loss, in ``[-1, 1]``;
            positive when a larger value goes with a larger (worse) loss. An ``enum`` is first
            encoded by the rank of each value's mean loss rank, so its ``rho`` is never
            negative; the values only one trial had are one group (each alone would be
            coded by its trial's loss), so an enum whose every value was tried once is
            constant and says nothing. Numbers among an enum's values keep their order,
            above its other values (see :func:`encode`): its ``rho`` may then be negative.
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
    columns = param_columns(scored)
    encoded = {
        name: encode(values, losses)
        for name, (values, losses) in columns.items()
        if len(values) >= min_trials
    }
    return relations_of(columns, encoded)


def relations_of(
    columns: dict[str, tuple[list[Any], list[float]]],
    encoded: dict[str, tuple[ParamKind, list[float], Any]],
) -> list[ParamRelation]:
    """:func:`rank_params` of the params ``encoded`` (each one's kind, codes and best value, as
    :func:`encode` makes them), from their :func:`param_columns`."""
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
    out.sort(key=lambda r: (-round(abs(r.rho), RHO_DIGITS), r.name))
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


def param_columns(
    scored: Iterable[tuple[Mapping[str, Any], float]],
) -> dict[str, tuple[list[Any], list[float]]]:
    """Each param's values and the losses of the trials it appeared in (finite losses only):
    what :func:`encode` and :func:`relations_of` take."""
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
    rank of its mean loss (see :class:`ParamRelation`). Numbers mixed with other values (an
    ``enum`` of ``[0.1, 1, "auto"]``, or conditional branches that give one name a number
    range in one and ``"auto"`` in another) are an ``enum`` whose numbers keep their order,
    above the other values, which are ranked among themselves as an enum's are: else each
    number of a range, tried once, would be one group and the param only ``"auto"`` against
    the rest.
    """
    numeric = [_finite(v) for v in values]
    if all(numeric):
        kind: ParamKind = "bool" if all(isinstance(v, bool) for v in values) else "number"
        return kind, [float(v) for v in values], None
    keys = _json_keys(values)
    codes, best_value = _encode_by_mean_loss(keys, losses)
    if any(numeric):
        codes = _numbers_in_order(values, keys, losses, numeric)
    return "enum", codes, best_value


def _numbers_in_order(
    values: list[Any], keys: list[str], losses: list[float], numeric: list[bool]
) -> list[float]:
    """The codes of a param whose values (their JSON ``keys``) mix numbers (``numeric``) and
    others: the others first, by the rank of their mean loss (:func:`_encode_by_mean_loss`),
    then the numbers in order (equal numbers of another JSON text, ``0.0`` and ``-0.0``, ``1``
    and ``true``, apart)."""
    others = [(key, loss) for key, loss, n in zip(keys, losses, numeric, strict=True) if not n]
    other_codes, _ = _encode_by_mean_loss([k for k, _ in others], [loss for _, loss in others])
    below = len(set(other_codes))
    numbers = [(float(v), key) for v, key, n in zip(values, keys, numeric, strict=True) if n]
    place = {number: float(below + i) for i, number in enumerate(sorted(set(numbers)))}
    ordered, left = iter(numbers), iter(other_codes)
    return [place[next(ordered)] if n else next(left) for n in numeric]


def _finite(value: Any) -> bool:
    """Whether ``value`` is a number a float holds (not NaN, not infinite, not an int of
    10**400)."""
    if not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _encode_by_mean_loss(keys: list[str], losses: list[float]) -> tuple[list[float], Any]:
    """Each value (by its JSON text, ``keys``: :func:`_json_keys`) as the rank (from 0) of its
    mean loss rank among the values (the mean of its
    trials' ranks among all the losses: a value's one loss near the largest float does not
    put it last, and the rank correlation of the codes with the losses is never negative;
    the values of one trial each as one group); and the best value, the one of the lowest mean
    loss."""
    loss_ranks = _stats().rankdata(losses)
    by_key: dict[str, list[float]] = {}
    for key, loss in zip(keys, losses, strict=True):
        by_key.setdefault(key, []).append(loss)
    # a value of one trial is coded by that trial's loss alone, which would make the codes
    # follow the losses whatever the param does: such values share one code (SINGLES)
    groups = [key if len(by_key[key]) > 1 else _SINGLES for key in keys]
    ranks_by_group: dict[str, list[float]] = {}
    for group, loss_rank in zip(groups, loss_ranks, strict=True):
        ranks_by_group.setdefault(group, []).append(float(loss_rank))
    order = sorted(ranks_by_group, key=lambda k: (_mean(ranks_by_group[k]), k))
    rank = {group: float(i) for i, group in enumerate(order)}
    best = min(by_key, key=lambda k: (_mean(by_key[k]), k))
    return [rank[group] for group in groups], json.loads(best)


#: the group of an enum's values that one trial each had ("" is no value's JSON text)
_SINGLES = ""


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
