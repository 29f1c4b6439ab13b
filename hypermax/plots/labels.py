"""The text a chart writes: values and param names on one line, cut to fit, and tick labels laid
out so that they do not overlap."""

from __future__ import annotations

from typing import Any

from hypermax.plots.data import _key
from hypermax.ui.formatting import one_line

#: characters of a value a chart writes beside its place (a long text, a prompt, is cut)
TICK_CHARS = 32


def tick_text(label: str) -> str:
    """A value's label as a chart writes it: on one line, cut to :data:`TICK_CHARS` with an
    ellipsis (a longer label pushes the chart and every other label off the image)."""
    text = one_line(label)
    return text if len(text) <= TICK_CHARS else text[: TICK_CHARS - 1] + "…"


#: characters of a search's name in a chart's title (a name may have 100, a folder's more)
TITLE_NAME_CHARS = 60


def name_text(name: str, most: int = TICK_CHARS) -> str:
    """A param's name as a chart's axis names it (or a search's, ``most`` characters): on one
    line, cut in its middle to ``most`` (its start and its end, the leaf of a dotted path, tell
    it apart from another: a longer one ran off the image, or took most of its width)."""
    text = one_line(name)
    if len(text) <= most:
        return text
    head = (most - 1) // 2
    return text[:head] + "…" + text[len(text) - (most - 1 - head) :]


def label_of(value: Any) -> str:
    return value if isinstance(value, str) else _key(value)


#: the share of a chart's width its axis takes, about (the rest: the loss's ticks and margins)
AXIS_SHARE = 0.8


#: a text's width per character and a line's height, in its font's sizes (DejaVu Sans)
CHAR_WIDTH, LINE_HEIGHT = 0.65, 1.25


#: the smallest font of tick labels crowded together
SMALLEST_FONT = 4.0


def fit_tick_labels(ax: Any, shown: list[str], width: float) -> None:
    """Lay the x tick labels ``shown`` out on an axis ``width`` points wide so that they do not
    overlap: side by side while they fit, else slanted, else upright and, when even upright
    they would not fit, in a smaller font (40 values of an enum: 40 labels in one line)."""
    size = 10.0  # matplotlib's tick labels' (rcParams "xtick.labelsize": medium)
    slot = width / max(1, len(shown))  # the room of each value
    side_by_side = max(map(len, shown), default=0) * CHAR_WIDTH * size + size
    if side_by_side <= slot:
        return
    if slot >= 1.5 * LINE_HEIGHT * size:  # slanted lines 45° apart by slot / sqrt(2)
        for label in ax.get_xticklabels():
            label.set(rotation=45, ha="right", rotation_mode="anchor")
        return
    size = max(SMALLEST_FONT, min(size, slot / LINE_HEIGHT))
    for label in ax.get_xticklabels():
        label.set(rotation=90, fontsize=size)
