"""``hypermax show``: a results folder as text — its summary and best trials, or one trial whole."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hypermax.best import best_trial, ended_order
from hypermax.trial import KillReason, Trial, TrialState
from hypermax.ui.console import best_line
from hypermax.ui.formatting import (
    columns,
    format_loss,
    format_params,
    format_state,
    json_value,
    one_line,
    padded,
    trial_sections,
    trials_text,
)

#: what a trial that started and never ended is called once no hypermax runs its search
UNFINISHED = "unfinished"
#: what ``show`` says of a search whose warm start's import a crash cut short
IMPORT_CUT = (
    "its warm start's import was cut short (a crash): the search imports the rest when it resumes"
)
#: the kill reasons of a trial the watchdog killed for crossing a limit
WATCHDOG_LIMITS = frozenset({KillReason.TIME, KillReason.RAM, KillReason.SYSTEM_RAM})
#: the unit of the value a watchdog limit was crossed at (seconds run, MiB in use)
KILL_UNITS: dict[str, str] = {
    KillReason.TIME: " s",
    KillReason.RAM: " MiB",
    KillReason.SYSTEM_RAM: " MiB",
}


def summary_lines(
    folder: Path,
    trials: Sequence[Trial],
    metadata: dict[str, Any],
    top: int,
    searching: bool | None = None,
    stopped: int | None = None,
) -> list[str]:
    """The folder's trials by state, the search's metadata, the best trial and the ``top`` best.

    Args:
        folder: the results folder, as the user named it.
        trials: every trial of its journal.
        metadata: the search's metadata (the original Hypermax's ``hypermax_results``).
        top: rows of the table of the best trials.
        searching: whether a hypermax runs the search now (None: cannot be told). When none
            does, trials that started and never ended are not running but ``unfinished``.
        stopped: the pid of the hypermax that runs the search, when it is stopped (Ctrl-Z).
    """
    counts = Counter(_state_text(t, searching) for t in trials)
    states = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    named = one_line(str(folder))  # a newline in its name would end the line
    lines = [f"{named}: {trials_text(len(trials))}" + (f" ({states})" if states else "")]
    if counts[UNFINISHED]:
        lines.append(
            "the search is not running (its hypermax is gone): its unfinished trials run"
            " again when it resumes"
        )
    if stopped is not None:
        lines.append(
            f"its hypermax (pid {stopped}) is stopped (Ctrl-Z): fg in its terminal, or kill"
            f" -CONT {stopped}, continues it"
        )
    if metadata:
        lines += ["metadata:", *_pairs(metadata.items())]
    best = best_trial(trials)
    if best is None:
        # a running, unfinished or interrupted trial runs to its end yet (on resume); a search
        # with no trial has run none yet
        pending = not trials or any(
            t.state in (TrialState.RUNNING, TrialState.INTERRUPTED) for t in trials
        )
        if pending:
            return [*lines, "no trial produced a loss yet"]
        return [*lines, "no trial produced a loss" + _why(folder, trials)]
    lines.append(best_line(best))
    ranked = sorted(
        (t for t in trials if t.loss is not None), key=lambda t: (t.loss, ended_order(t), t.id)
    )
    rows = [
        (
            str(t.id),
            format_loss(t.loss),
            format_state(t),
            "-" if t.time is None else f"{t.time:.1f}s",
            format_params(t.params, 100),
        )
        for t in ranked[:top]
    ]
    # columns as wide as their widest cell (a trial of 30 hours, a loss of -1.8e+308), at least
    # as wide as a search's usual ones
    widths = [max(least, *(len(row[i]) for row in rows)) for i, least in enumerate((6, 12, 11, 7))]
    header = ("trial", "loss", "state", "time")
    lines.append(_row(header, widths) + "  params")
    lines += [f"{_row(row[:4], widths)}  {row[4]}" for row in rows]
    if len(ranked) > top:
        lines.append(f"... {len(ranked) - top} more with a loss (--top N shows more)")
    return lines


def _why(folder: Path, trials: Sequence[Trial]) -> str:
    """``: every trial failed: REASON; details in LOG`` (the reason most failed trials share, as
    the search's own last line and its Result say it) when some trial failed; else ``""``."""
    from hypermax.commands import failure_text
    from hypermax.results import ResultsFolder
    from hypermax.stopping import common_failure

    if common_failure(trials) is None:
        return ""
    return f": {failure_text(trials, ResultsFolder(folder))}"


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    """The trial, loss, state and time cells of a row of the table of best trials."""
    trial, loss, state, time = cells
    return f"{trial:>{widths[0]}}  {loss:<{widths[1]}}  {state:<{widths[2]}}  {time:>{widths[3]}}"


def _state_text(trial: Trial, searching: bool | None) -> str:
    if trial.state is TrialState.RUNNING and searching is False:
        return UNFINISHED
    return trial.state.value


def trial_lines(
    trial: Trial, best: Trial | None, log: Path, searching: bool | None = None
) -> list[str]:
    """One trial whole: state and reason, loss and its terms, metrics, params (exact values),
    metadata, files, reports, timings and where its log is. ``searching`` as for
    :func:`summary_lines`."""
    tag = "  (the best trial)" if best is not None and best.id == trial.id else ""
    state = _state_text(trial, searching)
    if state == UNFINISHED:
        tag += "  (the search is not running: it runs again when the search resumes)"
    lines = [f"trial {trial.id}: {state}{tag}"]
    if trial.reason:
        lines.append(f"  reason      {one_line(trial.reason)}")
    lines.append(f"  loss        {'-' if trial.loss is None else repr(trial.loss)}")
    if trial.kill_reason:
        unit = KILL_UNITS.get(trial.kill_reason, "")
        value = "" if trial.kill_value is None else f" at {trial.kill_value:g}{unit}"
        # a trial stopped early or interrupted was stopped, not killed for crossing a limit
        how = "killed    " if trial.kill_reason in WATCHDOG_LIMITS else "ended by  "
        lines.append(f"  {how}  {one_line(str(trial.kill_reason))}{value}")
    if trial.exit_code is not None:
        lines.append(f"  exit code   {trial.exit_code}")
    if trial.step is not None:
        lines.append(f"  step        {trial.step} (of its last report)")
    for title, values in trial_sections(trial):
        if values:
            lines += [f"{title}:", *_pairs(values.items())]
    if trial.attachments:
        lines += ["files:", *(f"  {one_line(str(name))}" for name in trial.attachments)]
    if trial.reports:
        lines.append(f"reports: {len(trial.reports)}, the last {min(5, len(trial.reports))}:")
        lines += [f"  {format_params(report, None)}" for report in trial.reports[-5:]]
    timings = _timings(trial)
    if timings:
        lines += ["timings:", *_pairs(timings)]
    if trial.state is not TrialState.IMPORTED:  # never run here: it has no log
        lines.append(f"log: {one_line(str(log))}" + ("" if log.exists() else " (not there)"))
    return lines


def _timings(trial: Trial) -> list[tuple[str, str]]:
    out = []
    for name, value in (("started", trial.started_at), ("ended", trial.ended_at)):
        if value is not None:
            try:
                when = datetime.datetime.fromtimestamp(value)
            except (OverflowError, OSError, ValueError):  # a hand-edited time: shown as it is
                out.append((name, repr(value)))
                continue
            out.append((name, when.isoformat(sep=" ", timespec="seconds")))
    if trial.time is not None:
        out.append(("time", f"{trial.time:.3f} s"))
    if trial.cpu_time is not None:
        out.append(("cpu", f"{trial.cpu_time:.3f} s"))
    if trial.peak_rss_mib is not None:
        out.append(("peak RSS", f"{trial.peak_rss_mib:.1f} MiB"))
    return out


def _pairs(items: Iterable[tuple[str, Any]]) -> list[str]:
    """``  name   value`` lines, names padded to a column; values as exact JSON, text bare
    (control characters escaped: one line each, and nothing that steers the terminal)."""
    pairs = [
        (one_line(str(k)), one_line(v) if isinstance(v, str) else json_value(v)) for k, v in items
    ]
    width = min(32, max((columns(k) for k, _ in pairs), default=0))
    return [f"  {padded(name, width)}  {value}" for name, value in pairs]
