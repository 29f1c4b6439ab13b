"""The charts of ``hypermax plot``, one function each: draw from :class:`PlotData`, save a PNG.

Each function returns the path it wrote (:func:`~hypermax.plots.saving.save_chart`), or None
when the search has too little for that chart.
Figures are built with matplotlib's object API (no pyplot, no global state, no display).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from hypermax.best import CUT_SHORT, best_trial
from hypermax.plots.data import PlotData
from hypermax.plots.labels import (
    AXIS_SHARE,
    TITLE_NAME_CHARS,
    fit_tick_labels,
    label_of,
    name_text,
    tick_text,
)
from hypermax.plots.saving import save_chart
from hypermax.plots.scales import (
    bins,
    colormap,
    fewer_groups,
    log_scale,
    unit_column,
    unit_column_of,
)
from hypermax.trial import Trial, TrialState
from hypermax.ui.formatting import trials_text

#: Where a trial without a loss (failed, or killed without ``auto_kill_loss``) is drawn.
_MARKS = {
    TrialState.OK: ("o", "#1f77b4", "ok"),
    TrialState.IMPORTED: ("o", "#7f7f7f", "imported"),
    TrialState.STOPPED: ("v", "#ff7f0e", "stopped early"),
    TrialState.KILLED: ("X", "#d62728", "killed"),
    TrialState.FAILED: ("x", "#9467bd", "failed"),
    TrialState.INTERRUPTED: ("x", "#8c564b", "interrupted"),
}


#: The share of trials (by loss) that the parallel-coordinates chart shows.
TOP_SHARE = 0.2


def loss_history(data: PlotData, path: Path) -> Path | None:
    """Loss per trial with the best-so-far line; trials without a loss marked on the top edge."""
    if not data.trials:
        return None
    fig = Figure(figsize=(10, 4.5))
    ax = fig.add_subplot()
    scored = data.scored()
    losses = [float(t.loss) for t in scored if t.loss is not None]
    for state, (marker, color, label) in _MARKS.items():
        group = [t for t in scored if t.state is state]
        if group:
            ax.scatter(
                numbers([t.id for t in group]),
                numbers([_loss(t) for t in group]),
                marker=marker,
                color=color,
                s=28,
                label=f"{label} ({len(group)})",
                zorder=3,
            )
    best_x, best_y, best = [], [], math.inf
    for t in sorted(scored, key=lambda t: t.id):
        counts = t.state is not TrialState.IMPORTED and t.state not in CUT_SHORT
        if counts and t.loss is not None and t.loss < best:
            best = t.loss
        if math.isfinite(best):
            best_x.append(t.id)
            best_y.append(best)
    if best_x:
        ax.step(best_x, best_y, where="post", color="#2ca02c", lw=2, label="best so far")
    if log_scale(losses):
        ax.set_yscale("log")
    scored_ids = {t.id for t in scored}  # a set: a list's membership test made this quadratic
    lossless = [t for t in data.trials if t.id not in scored_ids]
    for state in dict.fromkeys(t.state for t in lossless):  # in trial order, the same each run
        marker, color, label = _MARKS[state]
        group = [t for t in lossless if t.state is state]
        ax.scatter(
            numbers([t.id for t in group]),
            numbers([1.0] * len(group)),
            marker=marker,
            color=color,
            s=40,
            transform=ax.get_xaxis_transform(),
            clip_on=False,
            zorder=4,
            label=f"{label}, no loss ({len(group)})",
        )
    # the marks on the top edge do not widen the axis: every trial is on it
    first, last = min(t.id for t in data.trials), max(t.id for t in data.trials)
    pad = max(0.5, (last - first) * 0.02)
    low, high = ax.get_xlim() if scored else (first, last)
    ax.set_xlim(min(low, first - pad), max(high, last + pad))
    # no trial 1.5: whole numbers even where one alone is in view (a search of one trial), which
    # MaxNLocator's default of two at least gave up for 0.5, 0.6, ...
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    title = f"{name_text(data.name, TITLE_NAME_CHARS)}: loss of {trials_text(len(data.trials))}"
    ax.set(xlabel="trial", ylabel="loss", title=title)
    if not scored:  # the marks on the top edge alone: a scale would number losses none has
        ax.set_yticks([])
        ax.set_ylabel("loss (no trial has one)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)
    return save_chart(fig, path)


def numbers(values: Sequence[float]) -> np.ndarray:
    """``values`` as the array matplotlib draws: a list given to ``scatter`` went through
    numpy's masked-array conversion item by item (12 s of the charts of 50,000 trials)."""
    return np.asarray(values, dtype=float)


def param_chart(data: PlotData, name: str, path: Path) -> Path | None:
    """A number against the loss (log axis where it is searched so), or an enum as box plots."""
    scored = [t for t in data.scored() if name in data.flat[t.id]]
    if len(scored) < 2:
        return None
    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.add_subplot()
    losses = [float(t.loss) for t in scored if t.loss is not None]
    best = best_trial(scored) or scored[0]
    if data.numeric(name):
        values = numbers([data.flat[t.id][name] for t in scored])
        ids = numbers([t.id for t in scored])
        points = ax.scatter(values, numbers(losses), c=ids, cmap="viridis", s=30)
        fig.colorbar(points, ax=ax, label="trial", ticks=MaxNLocator(integer=True))
        ax.scatter(
            [data.flat[best.id][name]],
            [_loss(best)],
            marker="*",
            s=220,
            color="#d62728",
            edgecolor="black",
            zorder=4,
            label=f"best (trial {best.id})",
        )
        if name in data.log_params:
            ax.set_xscale("log")
        ax.legend(loc="upper right", fontsize=8)
    else:
        groups: dict[str, list[float]] = {}
        for t, loss in zip(scored, losses, strict=True):
            groups.setdefault(label_of(data.flat[t.id][name]), []).append(loss)
        groups = fewer_groups(groups)
        labels = sorted(groups, key=lambda k: statistics.median(groups[k]))
        shown = [tick_text(k) for k in labels]
        ax.boxplot([groups[k] for k in labels], tick_labels=shown, showmeans=True, showfliers=False)
        for i, label in enumerate(labels, start=1):
            ys = groups[label]
            xs = [i + 0.15 * ((j % 7) / 6 - 0.5) for j in range(len(ys))]
            ax.scatter(numbers(xs), numbers(ys), s=10, color="#1f77b4", alpha=0.5, zorder=3)
        fit_tick_labels(ax, shown, fig.get_figwidth() * 72 * AXIS_SHARE)
    if log_scale(losses):
        ax.set_yscale("log")
    scale = " (log scale)" if name in data.log_params else ""
    named = name_text(name)
    ax.set(xlabel=f"{named}{scale}", ylabel="loss", title=f"{named} against the loss")
    ax.grid(alpha=0.3)
    return save_chart(fig, path)


def parallel_coordinates(data: PlotData, path: Path) -> Path | None:
    """The best 20 % of the trials (at least 2) as lines across every param they hold (a
    conditional param none of them has is left out), then the loss."""
    scored = sorted(data.scored(), key=lambda t: (t.loss, t.id))
    top = scored[: max(2, math.ceil(len(scored) * TOP_SHARE))]
    names = [n for n in data.drawn_params() if any(n in data.flat[t.id] for t in top)]
    if len(top) < 2 or not names:
        return None
    axes = [*names, "loss"]
    columns = [unit_column(data, top, n) for n in names]
    losses = [float(t.loss) for t in top if t.loss is not None]
    columns.append(unit_column_of(losses, log=log_scale(losses)))
    fig = Figure(figsize=(max(7.0, 1.3 * len(axes)), 5))
    ax = fig.add_subplot()
    lowest = min(losses)
    span = (max(losses) - lowest) or 1.0
    cmap = colormap("viridis")
    xs = range(len(axes))
    lines = [list(zip(xs, ys, strict=True)) for ys in zip(*(c[0] for c in columns), strict=True)]
    colors = [cmap(((t.loss or 0) - lowest) / span * 0.85) for t in top]
    # one artist for all the lines but the best (a line each took 37 s for the 10,000 best of
    # a search of 50,000 trials), which is drawn over them, thicker
    others = LineCollection(lines[1:], colors=colors[1:], linewidths=1.2, alpha=0.85, zorder=2)
    ax.add_collection(others)
    ax.plot(xs, [y for _, y in lines[0]], color=colors[0], lw=2.2, alpha=0.85, zorder=3)
    for i, (_, ticks) in enumerate(columns):
        ax.axvline(i, color="black", lw=0.8)
        for y, text in ticks:
            below = y == 0 and len(ticks) == 2
            offset = (3, -12) if below else (3, 4 if y >= 1 else -3)
            ax.annotate(
                tick_text(text), (i, y), xytext=offset, textcoords="offset points", fontsize=7
            )
    names_shown = [name_text(a) for a in axes]
    slanted = len(axes) > 5 or max(map(len, names_shown)) > 12  # else they run into each other
    ax.set_xticks(range(len(axes)), names_shown, rotation=25 if slanted else 0, ha="right")
    ax.set_yticks([])
    ax.set_ylim(-0.08, 1.08)
    ax.set_title(f"the best {len(top)} of {len(scored)} trials (darkest: lowest loss)")
    return save_chart(fig, path)


def importance_chart(data: PlotData, path: Path) -> Path | None:
    """The params' importance as horizontal bars, the most important on top (the first
    :attr:`~PlotData.most_params` of them)."""
    ranked = data.importance.params
    params = ranked[: data.most_params]
    if not params:
        return None
    fig = Figure(figsize=(7, 1.2 + 0.4 * len(params)))
    ax = fig.add_subplot()
    names = [name_text(p.name) for p in params][::-1]
    shares = [p.importance for p in params][::-1]
    bars = ax.barh(range(len(names)), shares, color="#1f77b4")  # names cut alike: a bar each
    ax.set_yticks(range(len(names)), names)
    ax.bar_label(bars, labels=[f"{s:.2f}" for s in shares], padding=3, fontsize=8)
    ax.set_xlim(0, max(1e-9, max(shares)) * 1.15)
    how = "random forest, fANOVA-style" if data.importance.method == "forest" else "|Spearman rho|"
    shown = "" if len(params) == len(ranked) else f"; the {len(params)} first of {len(ranked)}"
    ax.set(xlabel="share of importance")
    # over the whole figure: over the bars alone, beside long names, it ran off the image
    fig.suptitle(f"param importance ({how}, {data.importance.trials} trials{shown})")
    return save_chart(fig, path)


def hotspot_grid(data: PlotData, path: Path, cells: int = 8) -> Path | None:
    """The two most important params as a grid of the mean loss of the trials in each cell."""
    ranked = [p.name for p in data.importance.params]
    if len(ranked) < 2:
        return None
    x_name, y_name = ranked[0], ranked[1]
    scored = [t for t in data.scored() if x_name in data.flat[t.id] and y_name in data.flat[t.id]]
    if len(scored) < 4:
        return None
    x_bins = bins(data, scored, x_name, cells)
    y_bins = bins(data, scored, y_name, cells)
    sums = [[0.0] * len(x_bins[1]) for _ in y_bins[1]]
    counts = [[0] * len(x_bins[1]) for _ in y_bins[1]]
    for t in scored:
        col = x_bins[0](data.flat[t.id][x_name])
        row = y_bins[0](data.flat[t.id][y_name])
        sums[row][col] += float(t.loss or 0)
        counts[row][col] += 1
    grid = [
        [s / c if c else math.nan for s, c in zip(r, n, strict=True)]
        for r, n in zip(sums, counts, strict=True)
    ]
    fig = Figure(figsize=(7.5, 5.5))
    ax = fig.add_subplot()
    image = ax.imshow(grid, origin="lower", cmap="viridis_r", aspect="auto")
    fig.colorbar(image, ax=ax, label="mean loss (blank: no trial)")
    filled = [v for line in grid for v in line if not math.isnan(v)]
    low, high = min(filled), max(filled)
    for row, line in enumerate(grid):
        for col, value in enumerate(line):
            if not math.isnan(value):
                light = value - low < (high - low) / 2  # viridis_r: low losses are light cells
                ax.text(
                    col,
                    row,
                    f"{value:.3g}\n({counts[row][col]})",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="black" if light else "white",
                )
    x_ticks, y_ticks = ([tick_text(label) for label in bins[1]] for bins in (x_bins, y_bins))
    ax.set_xticks(range(len(x_ticks)), x_ticks, rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(len(y_ticks)), y_ticks, fontsize=7)
    x_shown, y_shown = name_text(x_name), name_text(y_name)
    ax.set(xlabel=x_shown, ylabel=y_shown)
    where = (
        f"{x_shown} and {y_shown}" if len(x_shown + y_shown) <= 40 else f"{x_shown}\nand {y_shown}"
    )
    fig.suptitle(f"hotspots: mean loss by {where}")  # over the colour bar too
    return save_chart(fig, path)


def reported_curves(data: PlotData, path: Path) -> Path | None:
    """Every trial's intermediate reports; those stopped early stand out."""
    reporting = [t for t in data.trials if t.reports]
    if not reporting:
        return None
    metric = _curve_metric(reporting)
    if metric is None:
        return None
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    # one collection of lines for the trials that ran to the end, one over it for those
    # stopped early (a line each took minutes for 50,000 trials, and their legend a warning)
    for stopped, color, alpha, width in (
        (False, "#1f77b4", 0.45, 1.0),
        (True, "#ff7f0e", 0.9, 1.6),
    ):
        curves = [
            [(r["step"], r[metric]) for r in t.reports if _number(r.get(metric))]
            for t in reporting
            if (t.state is TrialState.STOPPED) is stopped
        ]
        curves = [points for points in curves if points]
        lines = LineCollection(curves, colors=color, alpha=alpha, linewidths=width)
        ax.add_collection(lines)
        dotted = [point for points in curves if len(points) < 30 for point in points]
        if dotted:  # the points of a short curve are marked
            ax.plot(*zip(*dotted, strict=True), ".", color=color, alpha=alpha)
    ax.autoscale_view()
    stopped_count = sum(t.state is TrialState.STOPPED for t in reporting)
    ax.plot([], [], color="#1f77b4", label="ran to the end")
    ax.plot([], [], color="#ff7f0e", label=f"stopped early ({stopped_count})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # one step: 1 alone
    named = name_text(metric)  # the trial's to name: a newline, 100 characters
    title = f"reported {named} of {trials_text(len(reporting))}"
    ax.set(xlabel="step", ylabel=named, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_chart(fig, path)


def _curve_metric(trials: list[Trial]) -> str | None:
    """``loss`` if the reports carry it, else the metric reported most often."""
    seen: dict[str, int] = {}
    for t in trials:
        for report in t.reports:
            for key, value in report.items():
                if key != "step" and _number(value):
                    seen[key] = seen.get(key, 0) + 1
    if "loss" in seen:
        return "loss"
    return max(seen, key=lambda k: (seen[k], k)) if seen else None


def _loss(trial: Trial) -> float:
    return float(trial.loss) if trial.loss is not None else math.nan


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
