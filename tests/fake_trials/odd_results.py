"""``python_function`` trials that return or report values at the edges of what a float holds."""

from __future__ import annotations

from typing import Any

import hypermax

#: an integer past the largest float: ``float()`` of it raises OverflowError
HUGE = 10**400


def huge(params: dict[str, Any]) -> Any:
    """What ``params["case"]`` names: a huge loss (bare, or in a dict), a huge time, or a
    report of a huge loss."""
    case = params["case"]
    if case == "loss":
        return {"loss": HUGE}
    if case == "bare":
        return HUGE
    if case == "time":
        return {"loss": 0.5, "time": HUGE}
    hypermax.report(1, loss=HUGE)
    return 0.25


def near_the_largest_float(params: dict[str, Any]) -> dict[str, float]:
    """Metrics near the largest float: finite, but a term is not (``one``), or their sum is not
    (``both``), with ``a``'s ``min`` at -1e308 and ``b``'s at 0."""
    if params["case"] == "one":
        return {"a": 1e308, "b": 1.0}
    return {"a": 1e307, "b": 1e308}


def odd_time(params: dict[str, Any]) -> dict[str, Any]:
    """A result whose ``time`` is ``params["case"]``: text, a negative number, or 2.5 s."""
    return {"loss": 0.5, "time": {"text": "fast", "negative": -5, "seconds": 2.5}[params["case"]]}


def says_it_failed(params: dict[str, Any]) -> dict[str, Any]:
    """A failure in the trial's own words: a coloured, multi-line, long reason."""
    return {
        "status": "fail",
        "reason": "\x1b[31mCUDA out of memory\x1b[0m\n  at step 3 " + "x" * 400,
    }


def long_double(params: dict[str, Any]) -> Any:
    """numpy's extended precision (``float128``), whose ``item()`` is itself, not a float."""
    import numpy as np

    loss = np.longdouble(0.25)
    return loss if params["case"] == "bare" else {"loss": loss, "acc": np.array([loss])}


def infinite_metadata(params: dict[str, Any]) -> dict[str, float]:
    """A loss, and an ``acc`` that is an infinity (which the journal writes as ``"inf"``)."""
    return {"loss": 0.5, "acc": float("inf")}


def not_finite_everywhere(params: dict[str, Any]) -> dict[str, Any]:
    """A report of a NaN and an infinity, and a loss beside a NaN, a minus infinity and an
    infinity inside an object (all of which the journal writes as text)."""
    hypermax.report(1, loss=float("nan"), acc=float("inf"))
    return {"loss": 0.5, "acc": float("nan"), "low": float("-inf"), "deep": {"m": [float("inf")]}}
