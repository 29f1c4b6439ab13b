"""Result analysis: what the finished trials say about the params.

Pure functions over ``(flat params, loss)`` pairs with no user interface in them, so that every
view of the results (today the dashboard's params panel) reads the same numbers.
:func:`rank_params` ranks each param by Spearman's rank correlation with the loss. scipy is
imported on the first call (or by :func:`load`), not with this module: it takes half a second
to load, and nothing on a trial's path may pay for it.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, TypeAlias

__all__ = ["MIN_TRIALS", "ParamKind", "ParamRelation", "load", "rank_params"]

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
            encoded by the rank of each value's mean loss, so its ``rho`` is never negative.
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
    columns: dict[str, tuple[list[Any], list[float]]] = {}
    for flat, loss in scored:
        if not math.isfinite(loss):
            continue
        for name, value in flat.items():
            values, losses = columns.setdefault(name, ([], []))
            values.append(value)
            losses.append(float(loss))
    out = []
    for name, (values, losses) in columns.items():
        if len(values) < min_trials:
            continue
        relation = _relation(name, values, losses)
        if relation is not None:
            out.append(relation)
    out.sort(key=lambda r: (-round(abs(r.rho), _RHO_DIGITS), r.name))
    return out


def load() -> None:
    """Import scipy now rather than on the first :func:`rank_params` call.

    That costs about half a second, once per process (nothing if hyperopt already loaded it);
    a user interface calls this before it starts drawing, so that no redraw waits for it.
    """
    _stats()


def _stats() -> ModuleType:
    from scipy import stats

    return stats


def _relation(name: str, values: list[Any], losses: list[float]) -> ParamRelation | None:
    """The param's relation to the loss, or None when either of them is constant."""
    kind: ParamKind
    if all(isinstance(v, int | float) and math.isfinite(float(v)) for v in values):
        codes = [float(v) for v in values]
        kind = "bool" if all(isinstance(v, bool) for v in values) else "number"
        best_value = None
    else:
        codes, best_value = _encode_by_mean_loss(values, losses)
        kind = "enum"
    if len(set(codes)) < 2 or len(set(losses)) < 2:
        return None
    rho = float(_stats().spearmanr(codes, losses).statistic)
    return ParamRelation(name, min(1.0, max(-1.0, rho)), len(values), kind, best_value)


def _encode_by_mean_loss(values: list[Any], losses: list[float]) -> tuple[list[float], Any]:
    """Each value as the rank (from 0) of its mean loss among the values; and the best value."""
    keys = [json.dumps(v, sort_keys=True, default=str) for v in values]
    by_key: dict[str, list[float]] = {}
    for key, loss in zip(keys, losses, strict=True):
        by_key.setdefault(key, []).append(loss)
    order = sorted(by_key, key=lambda k: (statistics.fmean(by_key[k]), k))
    rank = {key: float(i) for i, key in enumerate(order)}
    return [rank[k] for k in keys], json.loads(order[0])
