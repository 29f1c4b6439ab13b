"""A running trial as the running-trials panel shows it (:class:`RunningRow`), and which of its
params differ from the best trial's (:func:`params_differing`). Pure Python, no urwid."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hypermax.stopping import Standing
from hypermax.values import json_equal


@dataclass(frozen=True)
class RunningRow:
    """One running trial as the running-trials panel shows it."""

    trial_id: int
    elapsed: float
    rss_mib: float | None
    cpu_percent: float | None
    last_report: dict[str, Any] | None
    differs: tuple[tuple[str, Any, Any], ...]
    """``(flat name, this trial's value, the best trial's value)`` for each param that differs."""
    curve: tuple[float, ...] = ()
    """The losses early stopping weighed at the trial's latest reports, oldest first."""
    standing: Standing | None = None
    """Where early stopping put the trial at its last report: its loss against the bar."""
    where: str = ""
    """The machine it runs on, when not this one (``Dask worker tcp://...``)."""


def params_differing(
    params: dict[str, Any], best: dict[str, Any] | None
) -> tuple[tuple[str, Any, Any], ...]:
    """``(name, value, best value)`` for each flat param whose value is not the best trial's."""
    if best is None:
        return ()
    out = []
    for name, value in params.items():
        other = best.get(name, _MISSING)
        if other is _MISSING or not _same(value, other):
            out.append((name, value, None if other is _MISSING else other))
    return tuple(out)


_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    """JSON equality; numbers that agree to nine significant digits are the same value."""
    if _is_number(a) and _is_number(b):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return json_equal(a, b)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
