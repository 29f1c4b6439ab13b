"""What the running, best-trial and params panels list, as urwid text markup."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hypermax.ablation_table import Effect
from hypermax.analysis import ParamRelation
from hypermax.space import flatten
from hypermax.stopping import Standing, worse
from hypermax.trial import Trial, TrialState
from hypermax.ui.formatting import (
    columns,
    format_duration,
    format_loss,
    format_value,
    one_line,
    padded,
    short_names,
    sparkline,
    stopped_at,
)
from hypermax.ui.running import RunningRow
from hypermax.ui.widgets import Item, cut

BAR_CELLS = 10
#: The best-trial panel's name column: a longer name is shown by its shortest unique tail, cut
#: to this width, so that every value starts in one column (the trial window has it in full).
BEST_NAME_WIDTH = 28
RANKED_NAME_WIDTH = 16


def running_item(row: RunningRow, short: dict[str, str] | None = None) -> Item:
    """One running trial: id, elapsed, RSS, CPU, its last report, the machine it runs on when
    not this one; below, its curve against early stopping's bar and the params unlike the best.

    ``short`` maps flat param names to the shorter names shown.
    """
    parts: list[Any] = [("running", f"#{row.trial_id}"), f"  {format_duration(row.elapsed)}"]
    if row.rss_mib is not None:
        parts.append(f"  {row.rss_mib:.0f} MiB")
    if row.cpu_percent is not None:
        parts.append(f"  CPU {row.cpu_percent:.0f}%")
    if row.last_report:
        report = dict(row.last_report)
        step = report.pop("step", None)
        text = f"step {step}" + "".join(
            f" {one_line(k)}={format_value(v)}" for k, v in report.items()
        )
        parts.append(("label", f"  {text}"))
    if row.where:
        parts.append(("dim", f"  on {row.where}"))
    short = short or {}
    differs = "  ".join(
        f"{one_line(short.get(name, name))}={format_value(value)}"
        + ("" if best is None else f" (best {format_value(best)})")
        for name, value, best in row.differs
    )
    detail: list[Any] = [] if row.standing is None else standing_markup(row.curve, row.standing)
    if differs:
        detail.append(("dim", f"  {differs}" if detail else differs))
    return Item(parts, detail or None)


def standing_markup(curve: Sequence[float], standing: Standing) -> list[Any]:
    """A running trial's curve against early stopping's bar: ``▇▄▂ 0.31 > 0.28 (median ...)``.

    The curve is drawn on a scale that takes the bar in, so its last glyph sits above or below
    where the bar would; it is coloured as the trial fares (``stopped`` when worse).
    """
    bar = standing.bar
    if bar is None:
        line = sparkline(curve)
        return [("dim", f"{line} {format_loss(standing.loss)} ({standing.against})")]
    # the scale of the finite values: a bar or a report that diverged (infinite) would
    # stretch it to infinity and draw every other point at the bottom
    values = [v for v in (*curve, bar) if math.isfinite(v)]
    line = sparkline(curve, min(values), max(values)) if values else sparkline(curve)
    fares_worse = worse(standing.loss, bar)  # an infinite loss too, against infinity
    sign = ">" if fares_worse else "≤"
    return [
        ("stopped" if fares_worse else "ok", line),
        f" {format_loss(standing.loss)} {sign} {format_loss(bar)} ",
        ("dim", f"({standing.against})"),
    ]


def best_markups(best: Trial | None) -> list[Any]:
    """The best trial's loss, metrics and every param."""
    if best is None:
        return [("dim", "no trial with a loss yet")]
    # a stopped best (none that ran to its end has a loss): its loss is that of a step it reached
    where = f"  trial {best.id}"
    if best.state is TrialState.STOPPED:
        where += stopped_at(best.step)
    rows: list[Any] = [[("best", f"loss {format_loss(best.loss)}"), ("dim", where)]]
    flat = {one_line(name): value for name, value in flatten(best.params, keep_empty=True).items()}
    short = short_names(flat)
    names = {
        name: name if columns(name) <= BEST_NAME_WIDTH else cut(short[name], BEST_NAME_WIDTH)
        for name in flat
    }
    width = max((columns(n) for n in names.values()), default=0)
    for name, value in flat.items():
        rows.append([("label", padded(names[name], width)), "  ", format_value(value)])
    for name, value in best.metrics.items():
        if name != "loss":
            rows.append([("dim", f"{one_line(name)} = {format_value(value)}")])
    return rows


def baseline_markups(baseline: Trial | None, effects: Sequence[Effect]) -> list[Any]:
    """An ablation study's baseline (as the best trial is shown), then the loss change of each
    component left out so far."""
    if baseline is None:
        return [("dim", "no baseline trial with a loss yet")]
    rows = best_markups(baseline)
    changes = [e for e in effects if e.group is not None and e.change is not None]
    if changes:
        rows.append([("dim", "loss change without:")])
        names = [one_line(f"{e.group}.{e.name}") for e in changes]
        width = min(28, max(map(columns, names)))
        for effect, shown in zip(changes, names, strict=True):
            spread = "" if effect.spread is None else f" ±{effect.spread:.2g}"
            name = padded(shown, width)
            rows.append([("label", name), f"  {effect.change:+.4g}", ("dim", spread)])
    return rows


def ranking_markups(
    ranking: Sequence[ParamRelation],
    finished: int,
    needed: int,
    short: dict[str, str] | None = None,
) -> list[Any]:
    """Params by ``|rho|`` with a bar; enums name the value with the lowest mean loss.

    ``short`` maps flat names to the shorter ones shown (cut to ``RANKED_NAME_WIDTH``).
    """
    if not ranking:
        if finished < needed:
            return [("dim", f"needs {needed} trials with a loss ({finished} so far)")]
        return [("dim", "no param varies yet")]
    short = short or {}
    names = {r.name: cut(one_line(short.get(r.name, r.name)), RANKED_NAME_WIDTH) for r in ranking}
    width = max(columns(name) for name in names.values())
    rows: list[Any] = []
    for relation in ranking:
        cells = round(abs(relation.rho) * BAR_CELLS)
        row: list[Any] = [
            ("label", padded(names[relation.name], width)),
            f" {relation.rho:+.2f} ",
            ("bar", "█" * cells),
            ("dim", "·" * (BAR_CELLS - cells)),
        ]
        if relation.kind == "enum":
            row.append(("dim", f" best {format_value(relation.best_value)}"))
        rows.append(row)
    return rows
