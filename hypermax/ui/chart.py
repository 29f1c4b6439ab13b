"""The loss chart as lines of text: a scatter of every finished trial and the best-so-far line.

Pure functions over numbers, so the chart is tested without a terminal. Glyphs: ``POINT`` a
trial's loss, ``STOPPED`` a stopped trial, ``KILLED`` a killed trial with a loss, ``─╮│╰`` the best
loss so far; on the x axis ``NO_LOSS`` marks a trial that ended without a loss (failed, killed or
stopped).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

POINT = "•"
STOPPED = "◦"
KILLED = "\u00d7"  # multiplication sign
NO_LOSS = "✗"
BEST_GLYPHS = frozenset("─╮│╰")
POINT_GLYPHS = {"ok": POINT, "stopped": STOPPED, "killed": KILLED, "failed": KILLED}
#: Glyph precedence: a later one hides an earlier one drawn in the same cell.
_PRECEDENCE = {" ": 0, "─": 1, "╮": 1, "│": 1, "╰": 1, POINT: 2, STOPPED: 3, KILLED: 4}
#: Losses spanning at least this ratio (max/min, all positive) are drawn on a log scale.
LOG_SCALE_RATIO = 100.0
MIN_WIDTH = 16
MIN_HEIGHT = 3


@dataclass(frozen=True)
class Chart:
    """A drawn chart: ``lines`` of exactly the requested size; ``label_width`` columns of y axis."""

    lines: list[str]
    label_width: int
    log_scale: bool


def scaled_losses(points: Sequence[tuple[float | None, str]]) -> list[float]:
    """The losses the y axis spans: measured ones. A killed trial's loss is the spec's
    ``auto_kill_loss``, a penalty that would squash the rest, so it is drawn at the top edge
    when it is off the scale (unless only killed trials have a loss)."""
    finite = [(v, s) for v, s in points if v is not None and math.isfinite(v)]
    measured = [v for v, s in finite if s != "killed"]
    return measured or [v for v, _ in finite]


def wants_log_scale(losses: Sequence[float | None]) -> bool:
    """Whether losses span decades (all positive, max/min at least ``LOG_SCALE_RATIO``)."""
    finite = [v for v in losses if v is not None and math.isfinite(v)]
    if not finite or min(finite) <= 0:
        return False
    return max(finite) / min(finite) >= LOG_SCALE_RATIO


def render_chart(
    points: Sequence[tuple[float | None, str]],
    best_series: Sequence[float | None],
    width: int,
    height: int,
    log_scale: bool,
) -> list[str]:
    """The chart as ``height`` lines of ``width`` characters.

    Args:
        points: ``(loss, state)`` of each finished trial in the order they finished; ``state`` is
            ``ok``, ``stopped``, ``killed`` or ``failed``; ``loss`` None for a trial without one.
            The y axis spans :func:`scaled_losses`; a loss off it is drawn at the nearer edge.
        best_series: the best loss after each point (None before the first loss).
        width: characters per line, y-axis labels included.
        height: lines, the x axis included.
        log_scale: draw the y axis in log10 (ignored unless every loss is positive).

    Example:
        >>> lines = render_chart([(1.0, "ok"), (0.5, "ok")], [1.0, 0.5], 30, 5, False)
        >>> len(lines), {len(line) for line in lines}
        (5, {30})
    """
    return draw_chart(points, best_series, width, height, log_scale).lines


def draw_chart(
    points: Sequence[tuple[float | None, str]],
    best_series: Sequence[float | None],
    width: int,
    height: int,
    log_scale: bool,
) -> Chart:
    """Like :func:`render_chart`, and also says where the y axis ends (for colouring)."""
    width, height = max(0, width), max(0, height)
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return Chart(_blank_with("chart: too small", width, height), 0, False)
    losses = scaled_losses(points)
    if not losses:
        text = "no finished trial with a loss yet" if points else "waiting for the first trial"
        return Chart(_blank_with(text, width, height), 0, False)
    log = log_scale and min(losses) > 0
    scale = _Scale(min(losses), max(losses), log)
    plot_rows = height - 1
    labels = _labels(scale, plot_rows)
    label_width = max(len(text) for text in labels.values()) + 1
    plot_cols = width - label_width
    if plot_cols < 4:
        return Chart(_blank_with("chart: too narrow", width, height), 0, False)
    grid = [[" "] * plot_cols for _ in range(plot_rows)]
    axis = ["─"] * plot_cols
    columns = [_column(i, len(points), plot_cols) for i in range(len(points))]
    _draw_best(grid, columns, best_series, scale, plot_rows)
    for (loss, state), col in zip(points, columns, strict=True):
        if loss is None or not math.isfinite(loss):
            axis[col] = NO_LOSS
            continue
        _put(grid, scale.row(loss, plot_rows), col, POINT_GLYPHS.get(state, POINT))
    lines = []
    for row in range(plot_rows):
        label = labels.get(row)
        prefix = (label.rjust(label_width - 1) + "┤") if label else " " * (label_width - 1) + "│"
        lines.append(prefix + "".join(grid[row]))
    lines.append(" " * (label_width - 1) + "└" + "".join(axis))
    return Chart(lines, label_width, log)


#: The largest whole power of ten a float holds: a log scale padded past it is labelled at it.
_LOG10_MAX = math.floor(math.log10(sys.float_info.max))


class _Scale:
    """Maps a loss to a row (0 at the top) and a row back to the loss it stands for."""

    def __init__(self, low: float, high: float, log: bool) -> None:
        self.log = log
        lo, hi = (math.log10(low), math.log10(high)) if log else (low, high)
        if hi / 2 - lo / 2 <= 0:  # one loss; or losses a few subnormals apart, whose halves meet
            pad = 0.5 if log else max(abs(lo) * 0.1, 0.5)
            biggest = sys.float_info.max  # a loss near it, padded, would overflow
            lo, hi = max(lo - pad, -biggest), min(hi + pad, biggest)
        self.lo, self.hi = lo, hi

    def row(self, value: float, rows: int) -> int:
        if self.log and value <= 0:
            return rows - 1
        t = math.log10(value) if self.log else value
        # halves: the span of losses near both ends of the float range would overflow
        fraction = (self.hi / 2 - t / 2) / (self.hi / 2 - self.lo / 2)
        # a loss far off the scale (a killed trial's penalty of 1e308) stays on its edge
        return round(min(1.0, max(0.0, fraction)) * (rows - 1))

    def value(self, row: int, rows: int) -> float:
        fraction = row / max(1, rows - 1)
        t = self.hi * (1 - fraction) + self.lo * fraction
        return 10 ** min(t, _LOG10_MAX) if self.log else t


def _labels(scale: _Scale, rows: int) -> dict[int, str]:
    """Labelled rows: the top, the bottom, and between them every fourth row or, on a log
    scale, the rows where a power of ten falls (kept at least two rows apart). Each label has
    the fewest significant digits, 3 at least, that tell it from the others: losses from
    1.0001 to 1.0004 were labelled ``1`` on every row."""
    values = {0: scale.value(0, rows), rows - 1: scale.value(rows - 1, rows)}
    if scale.log:
        candidates = [
            (scale.row(10.0**d, rows), 10.0**d)
            for d in range(math.floor(scale.hi), math.ceil(scale.lo) - 1, -1)
        ]
    else:
        step = 4 if rows >= 9 else 2
        candidates = [(r, scale.value(r, rows)) for r in range(step, rows - 1, step)]
    for row, value in candidates:
        if 0 < row < rows - 1 and all(abs(row - taken) >= 2 for taken in values):
            values[row] = value
    for digits in range(TICK_DIGITS, MAX_TICK_DIGITS + 1):
        labels = {row: format_tick(value, digits) for row, value in sorted(values.items())}
        if len(set(labels.values())) == len(set(values.values())):
            break
    return labels


#: The significant digits of an axis label, and the most it gets to tell two labels apart.
TICK_DIGITS = 3
MAX_TICK_DIGITS = 12


def format_tick(value: float, digits: int = TICK_DIGITS) -> str:
    """A short axis label: ``0.0123``, ``1.5e+04``, ``-3.2``."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    return text.replace("e-0", "e-").replace("e+0", "e+")


def _column(index: int, count: int, columns: int) -> int:
    """Spread ``count`` points over ``columns``; several share a column when there are more."""
    if count <= 1:
        return 0
    if count <= columns:
        return round(index * (columns - 1) / (count - 1))
    return min(columns - 1, index * columns // count)


def _draw_best(
    grid: list[list[str]],
    columns: list[int],
    best_series: Sequence[float | None],
    scale: _Scale,
    rows: int,
) -> None:
    """The best-so-far loss as a step line from its first value to the right edge."""
    at_column: dict[int, float] = {}
    for col, best in zip(columns, best_series, strict=False):
        if best is not None and math.isfinite(best):
            at_column[col] = best  # the last point of a shared column wins
    if not at_column:
        return
    first = min(at_column)
    previous: int | None = None
    current = at_column[first]
    for col in range(first, len(grid[0])):
        current = at_column.get(col, current)
        row = scale.row(current, rows)
        if previous is None or row == previous:
            _put(grid, row, col, "─")
        else:
            top, bottom = sorted((previous, row))
            _put(grid, top, col, "╮")
            for middle in range(top + 1, bottom):
                _put(grid, middle, col, "│")
            _put(grid, bottom, col, "╰")
        previous = row


def _put(grid: list[list[str]], row: int, col: int, glyph: str) -> None:
    if _PRECEDENCE.get(glyph, 2) >= _PRECEDENCE.get(grid[row][col], 2):
        grid[row][col] = glyph


def _blank_with(text: str, width: int, height: int) -> list[str]:
    lines = [" " * width for _ in range(height)]
    if height:
        lines[height // 2] = text[:width].center(width)
    return lines
