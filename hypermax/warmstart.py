"""Read finished trials of an earlier search to learn from before the first ask.

Accepts a hypermax journal (``trials.jsonl``), a hypermax ``results.csv``, or the original
Hypermax ``results.csv`` layout (columns trial, status, loss, time, then flat parameter names;
a conditional's the index of its branch taken and that branch's params under the index).
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from hypermax.errors import ResultsError
from hypermax.journal import JOURNAL_NAME
from hypermax.space import EncodeError, flatten, unflatten
from hypermax.specfile.paths import too_long
from hypermax.specfile.regular_file import file_kind
from hypermax.table_rows import (
    COLUMN_PREFIXES,
    METADATA_PREFIX,
    METRIC_PREFIX,
    OWN_COLUMNS,
    PARAM_PREFIX,
    cell_value,
)
from hypermax.trial import Trial, TrialState
from hypermax.values import quoted

if TYPE_CHECKING:
    from hypermax.search_folder import Prepared
    from hypermax.space import Space
    from hypermax.spec import Spec

NOT_PARAMS = {"trial", "id", "state", "status", "loss", "time", "peak_rss_mib", "reason"}
GOOD_STATES = {"ok", "imported", "stopped", "killed", "fail", ""}
#: a table's states of a trial that ended without a loss (hypermax's; hyperopt's ``fail``)
FAILED_STATES = {"failed", "fail", "killed", "stopped", "imported"}
#: the ``error`` of a trial the original Hypermax killed, recorded ``fail`` with its
#: ``auto_kill_loss`` as its loss: the loss a killed trial teaches here too
ORIGINAL_KILLED = "Model was automatically killed."


class Finished(NamedTuple):
    """A finished trial of an earlier search: its params, its loss (None: it ended without one,
    failed, and teaches the optimizer as a failed trial does), for a trial stopped early the
    step of the report its loss is from (else None), how long it took there (None when not
    known), and the metrics it returned (a journal keeps them; empty from a table).

    From a journal, also its state there, what it returned besides its metrics, and its peak
    (what :func:`with_this_loss` needs to weigh it as this search does); ``unusable`` says why
    this search cannot learn from it (its metrics do not give this search's loss)."""

    params: dict[str, Any]
    loss: float | None
    step: int | None = None
    time: float | None = None
    metrics: Mapping[str, Any] = {}
    state: str | None = None
    metadata: Mapping[str, Any] = {}
    peak_rss_mib: float | None = None
    unusable: str | None = None


def load_warm_start(path: Path, top_level_names: set[str]) -> list[Finished]:
    """Every finished trial in ``path``, those that ended without a finite loss (failed) with
    none: a journal (``.jsonl``), a results table (CSV), or a results folder (its journal, else
    its table). Trials that had not ended are left out.

    ``top_level_names`` are the space's top-level parameter names: CSV columns whose first
    dotted part is one of them are parameters; the others (metrics, metadata) are left out.
    """
    if (why := too_long(path)) is not None:
        raise ResultsError(f"{path}: {why}")
    if not path.exists():
        raise ResultsError(f"{path}: warm start file not found")
    mode = path.stat().st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a pipe would wait, /dev/zero never end
        raise ResultsError(f"{path}: is {file_kind(mode)}, not a warm start file")
    if path.is_dir():  # a results folder: its journal, or the table of another tool's
        found = [path / name for name in (JOURNAL_NAME, "results.csv") if (path / name).is_file()]
        if not found:
            raise ResultsError(f"{path}: not a results folder (no {JOURNAL_NAME} or results.csv)")
        path = found[0]
    if path.suffix == ".jsonl":
        return _from_journal(path)
    return _from_csv(path, top_level_names)


def imported_trials(
    space: Space,
    imported: Sequence[Finished],
    take_id: Callable[[], int],
    left_out: list[str] | None = None,
    done: int = 0,
) -> list[Trial]:
    """The finished trials ``imported`` as trials of this search, ``imported`` and never run,
    each with an id from ``take_id``; a param they lack takes its ``default`` (a param added to
    the space since), and params the space cannot produce even so are left out. A trial
    stopped early keeps its ``step`` (only those have one), so that the optimizer ranks it as a
    stopped trial, not as one whose loss is that of a trial that ran to its end. Why each trial
    was left out goes to ``left_out``, when given. ``done``: how many of those kept an import
    cut short (a crash) journaled already: only the others are given, ids taken for them."""
    if done:
        every = imported_trials(space, imported, itertools.count(1).__next__, left_out)
        return [replace(trial, id=take_id()) for trial in every[done:]]
    trials = []
    for finished in imported:
        if finished.unusable is not None:
            if left_out is not None:
                left_out.append(finished.unusable)
            continue
        step = finished.step
        try:  # a param the space added since takes its default, as in a point of search.points
            internal = space.encode(space.complete(finished.params))
        except EncodeError as exc:
            if left_out is not None:
                left_out.append(str(exc))
            continue
        params = space.decode(internal)
        moved = _rounded_away(finished.params, params)
        if moved is not None:  # its loss is not that of the params this space would run
            if left_out is not None:
                left_out.append(moved)
            continue
        trial = Trial(
            id=take_id(),
            params=params,
            internal=internal,
            state=TrialState.IMPORTED,
            loss=finished.loss,
            metrics=dict(finished.metrics),
            time=finished.time,
            reason=_imported_reason(finished),
            step=step,
        )
        trials.append(trial)
    return trials


def _rounded_away(given: Any, produced: Any) -> str | None:
    """Why the params a trial ran with (``given``) are not those the space produces from them
    (``produced``: rounded to a number's step, an integer), naming the first number that moved;
    None when every number is one the space produces (up to float noise)."""
    produced_flat = flatten(produced)
    for name, value in flatten(given).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        other = produced_flat.get(name)
        if isinstance(other, int | float) and not math.isclose(
            value, other, rel_tol=1e-9, abs_tol=1e-12
        ):
            return f"{name}: {value} is not a value of this space, which rounds it to {other}"
    return None


def _imported_reason(finished: Finished) -> str:
    if finished.loss is None:
        return "imported: ended without a loss"
    if finished.step is not None:
        return f"imported: stopped at step {finished.step}"
    return "imported"


def warm_start_note(kept: Sequence[Trial], read: int, source: str, left_out: Sequence[str]) -> str:
    """What a warm start says: how many of the trials ``read`` from ``source`` it ``kept`` (and
    how many of those ended there without a loss), and why the first of those ``left_out`` was."""
    note = f"warm start: learned from {len(kept)} of {read} trials in {source}"
    failed = sum(trial.loss is None for trial in kept)
    if failed:
        note += f" ({failed} ended there without a loss)"
    if left_out:
        first = "" if len(left_out) == 1 else "the first: "
        note += f"; {len(left_out)} left out ({first}{left_out[0]})"
    return note


def _from_journal(path: Path) -> list[Finished]:
    from hypermax.journal_replay import read_state
    from hypermax.results.lock import of_another_host, searching

    # the journal of a search that runs now, here or on another host: its last line may be
    # the record it is writing
    writing = searching(path.parent) is True or of_another_host(path.parent)
    state = read_state(path, writing=writing)
    out = []
    for t in state.trials.values():
        if not t.state.finished or t.state is TrialState.INTERRUPTED:
            continue
        loss = _finite(t.loss)
        step = _stopped_step(t.state.value, t.step) if loss is not None else None
        # a NaN or an infinity is the number it was (read_state reads the journal's "inf" back)
        out.append(
            Finished(
                t.params, loss, step, t.time, t.metrics, t.state.value, t.metadata, t.peak_rss_mib
            )
        )
    return out


def with_this_loss(trials: Sequence[Finished], spec: Spec) -> list[Finished]:
    """The trials of an earlier search's journal with the loss this search's spec gives them,
    as it gives its own trials theirs: another search may weigh its metrics otherwise (other
    metrics, weights, a direction), and the optimizer must not learn losses of two scales. A
    trial that finished is weighed from what it returned (its time there; its peak), one stopped
    early from its last report's metrics, one killed gets this search's ``auto_kill_loss``. One
    whose metrics do not give this loss is ``unusable``. A table's trials (no metrics) and
    those that ended without a loss keep theirs."""
    from hypermax.conclude import composite_loss
    from hypermax.loss import LossError

    out = []
    for trial in trials:
        if trial.state is None or trial.loss is None:
            out.append(trial)
            continue
        if trial.state == TrialState.KILLED.value:
            kill_loss = spec.function.auto_kill_loss
            out.append(trial._replace(loss=None if kill_loss is None else float(kill_loss)))
            continue
        try:
            if trial.step is not None:  # as early stopping weighed it: time and ram as reported
                loss = composite_loss(dict(trial.metrics), spec).loss
            else:
                values = {**trial.metadata, **trial.metrics}
                loss = composite_loss(
                    values, spec, trial.time or 0.0, trial.peak_rss_mib or 0.0
                ).loss
        except LossError as exc:
            out.append(
                trial._replace(unusable=f"its metrics do not give this search's loss: {exc}")
            )
            continue
        out.append(trial._replace(loss=loss))
    return out


def _finite(loss: Any) -> float | None:
    """A loss a trial teaches: a finite number, else None (it ended without a usable one)."""
    if isinstance(loss, bool) or not isinstance(loss, int | float) or not math.isfinite(loss):
        return None
    return float(loss)


def _not_finite(text: str | None) -> bool:
    """Whether a table's cell spells a number that is not finite (``nan``, ``-inf``, ``1e400``)."""
    try:
        return not math.isfinite(float((text or "").strip()))
    except ValueError:
        return False


def _stopped_step(state: str, step: Any) -> int | None:
    """The step of a trial stopped early (one imported stopped keeps it); None for the others."""
    if state not in ("stopped", "imported") or isinstance(step, bool):
        return None
    return step if isinstance(step, int) else None


def _from_csv(path: Path, names: set[str]) -> list[Finished]:
    """The finished trials of a results table; ResultsError for a file that is none (text that
    is not UTF-8, one the csv module cannot read). A cell may be as long as the file: a param's
    long text (past the csv module's 128 KiB limit) is a cell of hypermax's own table. A byte
    order mark (a spreadsheet's "CSV UTF-8") is no part of the first column's name."""
    rows = csv.DictReader([])
    limit = csv.field_size_limit()
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            csv.field_size_limit(max(limit, os.fstat(f.fileno()).st_size))
            rows = csv.DictReader(f)
            return _table_trials(path, rows, names)
    except (csv.Error, UnicodeDecodeError) as exc:
        line = f"line {rows.line_num + 1}: " if isinstance(exc, csv.Error) else ""
        raise ResultsError(f"{path}: {line}not a results table ({exc})") from None
    finally:
        csv.field_size_limit(limit)


def _table_trials(path: Path, rows: csv.DictReader[str], names: set[str]) -> list[Finished]:
    """The finished trials of the rows of a results table (of ``path``); ResultsError for a
    table without a loss column (another table named by mistake: none of its rows teaches; an
    empty file, which has no header)."""
    if rows.fieldnames is None:  # not even a header: a file made empty, or the wrong one
        raise ResultsError(f"{path}: not a results table (an empty file, no loss column)")
    if "loss" not in rows.fieldnames:
        raise ResultsError(f"{path}: not a results table (no loss column)")
    columns = list(rows.fieldnames)
    twice = next((column for i, column in enumerate(columns) if column in columns[:i]), None)
    if twice is not None:  # a row would hold the last of its cells alone
        raise ResultsError(f"{path}: not a results table (the column {quoted(twice)} twice)")
    out = []
    for row in rows:
        state = (row.get("state") or row.get("status") or "").strip().lower()
        loss = _finite(_parse(row.get("loss", "")))
        if loss is None and state in ("ok", "") and _not_finite(row.get("loss")):
            state = "failed"  # ended with a loss no number holds (nan, -inf, 1e400): failed here
        if state == "fail" and row.get("error") != ORIGINAL_KILLED:
            loss = None  # the original's failed trial: its loss cell, if any, is no loss
        if loss is None and state not in FAILED_STATES:
            continue  # no loss, and no word that it ended: running, interrupted, unknown
        if loss is not None and state not in GOOD_STATES:
            continue
        flat = {}
        for column, text in row.items():
            name = _param_name(column or "")
            known = name in names or name.split(".")[0] in names
            if name and column not in NOT_PARAMS and known and text:
                flat[name] = _parse(text)
        flat = _taken_branches(flat)
        clash = next((n for n in flat for m in flat if m.startswith(n + ".")), None)
        if clash is not None:
            raise ResultsError(
                f"{path}: line {rows.line_num}: {clash} has a value and also parts ({clash}.*)"
            )
        step = _stopped_step(state, _parse(row.get("step"))) if loss is not None else None
        whole = {name: flat.pop(name) for name in list(flat) if name in names}  # "a.b" too
        params = {**unflatten(flat), **whole}
        out.append(Finished(params, loss, step, _seconds(row.get("time"))))
    return out


def _taken_branches(flat: dict[str, Any]) -> dict[str, Any]:
    """The flat params of a row of the original Hypermax's table, whose conditional is a column
    holding the index of the branch taken (``optimizer``: 1) with that branch's params named
    under the index (``optimizer.1.learningRate``), as this space names them
    (``optimizer.learningRate``); a branch within a branch alike. Other rows as they are."""
    found = True
    while found:
        found = False
        for name in sorted(flat, key=len):
            index = flat[name]
            parts = [key for key in flat if key.startswith(f"{name}.")]
            if isinstance(index, bool) or not isinstance(index, int) or not parts:
                continue
            taken = f"{name}.{index}."
            if any(not key.startswith(taken) for key in parts):
                continue
            del flat[name]
            for key in parts:
                flat[f"{name}.{key.removeprefix(taken)}"] = flat.pop(key)
            found = True
            break
    return flat


def _seconds(text: str | None) -> float | None:
    """A table's ``time`` cell: seconds, or None when it holds none."""
    seconds = _finite(_parse(text))
    return None if seconds is None else max(0.0, seconds)


def _param_name(column: str) -> str:
    """The param a column of a results table may hold: ``param.time`` holds ``time``, and
    ``param.param.x`` holds ``param.x`` (:func:`hypermax.table_rows.column_name`); a ``metric.``
    column holds a metric (one named like a param, ``metric.x``), no param: "" for none."""
    if column.startswith((METRIC_PREFIX, METADATA_PREFIX)):
        return ""
    if not column.startswith(PARAM_PREFIX):
        return column
    bare = column.removeprefix(PARAM_PREFIX)
    return bare if bare in OWN_COLUMNS or bare.startswith(COLUMN_PREFIXES) else column


def _parse(text: str | None) -> Any:
    """A CSV cell → the value it spells (:func:`hypermax.table_rows.cell_value`); None for none."""
    return None if text is None else cell_value(text)


def warm_start_trials(spec: Spec, path: Path | None = None) -> list[Finished]:
    """The finished trials of the spec's ``search.warm_start`` (read from ``path`` when given:
    :func:`warm_start_path`), which a new search learns from before its first ask; a
    ResultsError names the spec and ``search.warm_start``, then the file and its problem."""
    assert spec.search.warm_start is not None
    names = set(spec.hyperparameters.get("properties", {}))
    path = path or (spec.folder / spec.search.warm_start).resolve()
    own = spec.results_folder.resolve()
    if path == own or (path.parent == own and path.name in (JOURNAL_NAME, "results.csv")):
        raise WarmStartError(  # read, it was this search's folder as it starts: no trials
            spec.shown,
            f"{path}: is {'' if path == own else 'in '}this search's own results folder, which "
            "has no trials before its first: name an earlier search's, or move this one aside "
            "with --fresh to learn from its trials",
        )
    try:
        found = load_warm_start(path, names)
    except ResultsError as exc:  # the file named, not this search's: say whose it is
        raise WarmStartError(spec.shown, str(exc)) from None
    return with_this_loss(found, spec)


class WarmStartError(ResultsError):
    """A ``search.warm_start`` that cannot be read; ``problem`` is what is wrong with the file
    it names (the message names the spec and ``search.warm_start`` first)."""

    def __init__(self, spec_name: str, problem: str) -> None:
        super().__init__(f"{spec_name}: search.warm_start: {problem}")
        self.problem = problem


def warm_start_path(spec: Spec, prepared: Prepared) -> Path:
    """Where the spec's ``search.warm_start`` is read: where it names, but for a fresh start
    that moved the folder it names (or one inside it) aside: there, where its trials went."""
    assert spec.search.warm_start is not None
    path = (spec.folder / spec.search.warm_start).resolve()
    if prepared.set_aside is not None:
        was = prepared.folder.path.resolve()
        if path.is_relative_to(was):
            return prepared.set_aside.resolve() / path.relative_to(was)
    return path
