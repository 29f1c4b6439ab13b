"""Monotone warping of losses before a model is fitted to them.

A Gaussian process assumes losses that vary on one scale. Many do not: Rosenbrock's span six
orders of magnitude over its box, a training loss explodes in a corner of the space, an error
rate crowds near its floor. Fitted to the raw values, the process spends itself on the largest
ones and sees every good trial as the same. A Yeo-Johnson power transform with its exponent
fitted by maximum likelihood (as HEBO does) makes the losses look Gaussian and keeps their
order, so the optimum is the same and the model fits where it matters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

#: fewer distinct losses than this are left as they are
MIN_LOSSES = 3


def power_warp(losses: Sequence[float]) -> Callable[[float], float]:
    """A monotone increasing map fitted to ``losses``: standardise, then the Yeo-Johnson
    transform whose exponent makes the standardised losses most nearly Gaussian. With fewer
    than :data:`MIN_LOSSES` distinct losses, the identity."""
    import numpy as np
    from scipy.stats import yeojohnson

    values = np.asarray(losses, dtype=float)
    if len(np.unique(values)) < MIN_LOSSES:
        return float
    # divided by the largest first: the squares of losses near 1e-170 (or 1e170) underflow
    # (overflow), which made their standard deviation 0 (infinite)
    scale = float(np.abs(values).max())
    values = values / scale
    mean, std = float(values.mean()), float(values.std())
    _, exponent = yeojohnson((values - mean) / std)

    def warp(loss: float) -> float:
        return float(yeojohnson(np.array([(loss / scale - mean) / std]), lmbda=exponent)[0])

    return warp
