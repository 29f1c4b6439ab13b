"""Where a chart puts a value: a loss axis's scale, a param's values on a [0, 1] axis of the
parallel coordinates, the cells of the hotspot grid."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypermax.plots.data import PlotData
from hypermax.plots.labels import label_of
from hypermax.trial import Trial


def log_scale(values: list[float]) -> bool:
    """A loss axis goes logarithmic when every loss is positive and they span 3 decades."""
    return bool(values) and min(values) > 0 and max(values) / min(values) >= 1000


Ticks = list[tuple[float, str]]


#: a param a trial does not have (of a branch it did not take), unlike one whose value is null
_ABSENT = object()


#: the label of the place on an enum's axis of the trials that do not have it
ABSENT_LABEL = "(absent)"


#: the share of a number's axis below its values, for the trials that do not have it
ABSENT_BAND = 0.2


#: the most values of a param not all numbers (a number's axis cannot place a text) that a
#: chart draws apart: the most common of them, the rest as one (a param of 3,000 numbers and
#: one "auto" drew 3,000 boxes, columns and labels, for minutes)
MOST_VALUES = 20


def others_label(count: int) -> str:
    """The label of the ``count`` values drawn as one."""
    return f"({count} other values)"


def most_common(counts: Counter[str], most: int) -> list[str]:
    """The ``most`` labels of the largest ``counts`` (ties: by label), in label order."""
    return sorted(sorted(counts, key=lambda label: (-counts[label], label))[:most])


def fewer_groups(groups: dict[str, list[float]], most: int = MOST_VALUES) -> dict[str, list[float]]:
    """``groups`` (the losses of each value) with those past the ``most - 1`` most common
    drawn as one, when there are more than ``most``."""
    if len(groups) <= most:
        return groups
    kept = most_common(Counter({label: len(losses) for label, losses in groups.items()}), most - 1)
    merged = {label: groups[label] for label in kept}
    rest = [loss for label, losses in groups.items() if label not in merged for loss in losses]
    merged[others_label(len(groups) - len(kept))] = rest
    return merged


def unit_column(data: PlotData, trials: list[Trial], name: str) -> tuple[list[float], Ticks]:
    """A param's values of ``trials`` mapped to [0, 1], and where to label which value.

    A number spans its values among ``trials`` (above :data:`ABSENT_BAND`, when a trial
    lacks it: that trial sits at the low end, labelled :data:`ABSENT_LABEL`); an enum spreads
    every value any trial took evenly, each labelled (``null`` too: a value, not a param the
    trial lacks), below them :data:`ABSENT_LABEL` when one of ``trials`` lacks it.
    """
    raw = [data.flat[t.id].get(name, _ABSENT) for t in trials]
    if data.numeric(name):
        present = [float(v) for v in raw if v is not _ABSENT]
        ys, ticks = unit_column_of(present, log=name in data.log_params)
        if len(present) == len(raw):
            return ys, ticks
        # the values above a place of their own for the trials without it
        shown = iter(ABSENT_BAND + y * (1 - ABSENT_BAND) for y in ys)
        column = [0.0 if v is _ABSENT else next(shown) for v in raw]
        moved = [(ABSENT_BAND + y * (1 - ABSENT_BAND), text) for y, text in ticks]
        return column, [(0.0, ABSENT_LABEL), *moved]
    every = (data.flat[t.id].get(name, _ABSENT) for t in data.trials)
    counts = Counter(label_of(v) for v in every if v is not _ABSENT)
    labels = sorted(counts)
    place = {label: label for label in labels}
    if len(labels) > MOST_VALUES:  # the rarest at one place
        kept = most_common(counts, MOST_VALUES - 1)
        other = others_label(len(labels) - len(kept))
        place = {label: other for label in labels} | {label: label for label in kept}
        labels = [*kept, other]
    if _ABSENT in raw:
        labels.insert(0, ABSENT_LABEL)
    if len(labels) == 1:
        return [0.5] * len(raw), [(0.5, labels[0])]
    index = {label: i / (len(labels) - 1) for i, label in enumerate(labels)}
    return [index[ABSENT_LABEL if v is _ABSENT else place[label_of(v)]] for v in raw], [
        (y, label) for label, y in index.items()
    ]


def unit_column_of(values: list[float], log: bool) -> tuple[list[float], Ticks]:
    use_log = log and min(values) > 0
    scaled = [math.log10(v) for v in values] if use_log else values
    low, high = min(scaled), max(scaled)
    if high == low:
        return [0.5] * len(values), [(0.5, f"{values[0]:.4g}")]
    ticks = [(0.0, f"{min(values):.4g}"), (1.0, f"{max(values):.4g}")]
    return [(v - low) / (high - low) for v in scaled], ticks


def bins(
    data: PlotData, trials: list[Trial], name: str, cells: int
) -> tuple[Callable[[Any], int], list[str]]:
    """Which cell a value falls in, and each cell's label: equal widths (log ones where the
    param is searched on a log scale) for numbers with many values, one cell per value else."""
    values = [data.flat[t.id][name] for t in trials]
    distinct = sorted({label_of(v) for v in values})
    if not data.numeric(name) and len(distinct) > cells:  # the rarest in one cell
        kept = most_common(Counter(label_of(v) for v in values), cells - 1)
        at = {label: i for i, label in enumerate(kept)}
        return (lambda v: at.get(label_of(v), len(kept))), [
            *kept,
            others_label(len(distinct) - len(kept)),
        ]
    if not data.numeric(name) or len(distinct) <= cells:
        if data.numeric(name):
            distinct = [label_of(v) for v in sorted({float(v) for v in values})]
            distinct = [re.sub(r"\.0$", "", d) for d in distinct]
            order = {float(d): i for i, d in enumerate(distinct)}
            return (lambda v: order[float(v)]), distinct
        order_of = {d: i for i, d in enumerate(distinct)}
        return (lambda v: order_of[label_of(v)]), distinct
    log = name in data.log_params and min(values) > 0
    scale: Callable[[float], float] = math.log10 if log else float
    low, high = scale(min(values)), scale(max(values))
    width = (high - low) / cells or 1.0

    def cell(v: Any) -> int:
        return min(cells - 1, int((scale(v) - low) / width))

    edges = [low + width * i for i in range(cells + 1)]
    shown = [10**e if log else e for e in edges]
    labels = [f"{a:.3g} to {b:.3g}" for a, b in itertools.pairwise(shown)]
    return cell, labels


def colormap(name: str) -> Any:
    from matplotlib import colormaps

    return colormaps[name]
