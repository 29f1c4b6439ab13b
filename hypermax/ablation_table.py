"""What an ablation study found: each component's loss change against the baseline."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from hypermax.optimizers.ablation import planned_trial
from hypermax.trial import Trial, TrialState
from hypermax.ui.formatting import columns, one_line, padded


@dataclass(frozen=True)
class Effect:
    """The baseline, or one component left out, over the repeats of the study.

    Attributes:
        group, name: the component; both None for the baseline.
        loss: the mean loss of its trials that have one, or None.
        change: for a component, the mean over repeats of its loss minus the loss of the
            baseline of the same repeat (positive: the loss grows without it, so it helps);
            None for the baseline or when no repeat has both losses.
        spread: the standard deviation of those changes (of the losses, for the baseline)
            when at least two repeats have them, else None.
        runs: how many repeats the figures are drawn from.
        failed: how many of its trials ended without a loss.
    """

    group: str | None
    name: str | None
    loss: float | None
    change: float | None
    spread: float | None
    runs: int
    failed: int


def ablation_effects(trials: Iterable[Trial]) -> list[Effect]:
    """The baseline first, then every component in the order of the plan; empty when no trial
    belongs to an ablation study. Trials still running or interrupted are left out."""
    runs: dict[tuple[str | None, str | None], dict[int, Trial]] = {}
    order: dict[tuple[str | None, str | None], int] = {}
    for trial in trials:
        planned = planned_trial(trial)
        if planned is None or trial.state in (TrialState.RUNNING, TrialState.INTERRUPTED):
            continue
        key = (planned.group, planned.name)
        runs.setdefault(key, {})[planned.repeat] = trial
        order[key] = min(order.get(key, planned.index), planned.index)
    baseline = runs.get((None, None), {})
    base_losses = {r: t.loss for r, t in baseline.items() if t.loss is not None}
    effects = []
    for key in sorted(runs, key=lambda k: order[k]):
        losses = {r: t.loss for r, t in runs[key].items() if t.loss is not None}
        failed = len(runs[key]) - len(losses)
        if key == (None, None):
            effects.append(_effect(key, list(losses.values()), None, failed))
        else:
            changes = [loss - base_losses[r] for r, loss in losses.items() if r in base_losses]
            effects.append(_effect(key, list(losses.values()), changes, failed))
    return effects


def _effect(
    key: tuple[str | None, str | None],
    losses: list[float],
    changes: list[float] | None,
    failed: int,
) -> Effect:
    spread_of = losses if changes is None else changes
    return Effect(
        group=key[0],
        name=key[1],
        loss=statistics.fmean(losses) if losses else None,
        change=statistics.fmean(changes) if changes else None,
        spread=_spread(spread_of, [*losses, *spread_of]) if len(spread_of) >= 2 else None,
        runs=len(spread_of),
        failed=failed,
    )


#: a spread this small against the values it comes from is the rounding of their floats
_ROUNDING = 1e-12


def _spread(values: list[float], scale_of: list[float]) -> float:
    """The standard deviation of ``values``; 0 when it is only the rounding of floats (changes
    of 0.62 - 0.52 and 0.66 - 0.56 differ by 1e-16, not by a spread)."""
    spread = statistics.stdev(values)
    return 0.0 if spread <= _ROUNDING * max(abs(v) for v in scale_of) else spread


def ablation_lines(trials: Iterable[Trial]) -> list[str]:
    """The table ``hypermax show`` prints for an ablation study (no lines for another search):
    the baseline's loss and each component's loss and change, with the spread over the repeats
    when the study has more than one."""
    trials = list(trials)
    effects = ablation_effects(trials)
    if not effects:
        return []
    repeats = 1 + max(p.repeat for p in map(planned_trial, trials) if p is not None)
    title = "ablation study: loss change when a component is left out"
    title += f" (mean of {repeats} repeats, ± standard deviation)" if repeats > 1 else ""
    rows = [["group", "component", "loss", "change", *(["spread"] if repeats > 1 else [])]]
    for effect in effects:
        loss = "failed" if effect.loss is None else f"{effect.loss:.6g}"
        if effect.loss is not None and effect.failed:
            loss += f" ({effect.failed} failed)"
        row = [
            "baseline" if effect.group is None else one_line(effect.group),
            one_line(effect.name or ""),
            loss,
            "" if effect.change is None else f"{effect.change:+.6g}",
        ]
        if repeats > 1:
            row.append("" if effect.spread is None else f"±{effect.spread:.3g}")
        rows.append(row)
    widths = [max(columns(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = ["  ".join(map(padded, row, widths)) for row in rows]
    return [title, *(line.rstrip() for line in table)]
