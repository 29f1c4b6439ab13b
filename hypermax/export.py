"""Views derived from the journal: ``results.csv``, ``best.json`` and JSON exports.

Each file is written to a temporary name and renamed into place, so a reader never sees half.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hypermax.execution.protocol import write_atomic
from hypermax.journal import finished_record
from hypermax.space import flatten
from hypermax.trial import Trial

#: the columns every row has, first in every table (the only ones of a table without rows)
FIXED_COLUMNS = ("trial", "state", "loss", "time", "peak_rss_mib")
#: the columns of hypermax's own; a param named like one gets :data:`PARAM_PREFIX` before its name
OWN_COLUMNS = frozenset({*FIXED_COLUMNS, "step", "reason"})
PARAM_PREFIX = "param."


def best_trial(trials: Iterable[Trial]) -> Trial | None:
    """The trial with the lowest loss (the earliest on ties); None when none has a loss."""
    best: Trial | None = None
    best_loss = math.inf
    for trial in trials:
        loss = trial.loss
        if loss is None or not trial.state.finished:
            continue
        if loss < best_loss or (loss == best_loss and best is not None and trial.id < best.id):
            best, best_loss = trial, loss
    return best


def trial_row(trial: Trial, null: Any = None) -> dict[str, Any]:
    """One trial as a flat row: fixed columns, the step of its last report (if it reported),
    metrics (``metric.NAME`` when a param has that name), flat params (``param.NAME`` when
    named like a column of hypermax's own: ``time``, ``state``, ...), reason.

    An empty list or object param is its JSON text (``[]``), a null param ``null``: a table
    (:func:`trials_csv`) gives it ``"null"``, since a blank cell there is a param the trial
    does not have (one of another branch)."""
    row: dict[str, Any] = {
        "trial": trial.id,
        "state": trial.state.value,
        "loss": trial.loss,
        "time": None if trial.time is None else round(trial.time, 4),
        "peak_rss_mib": None if trial.peak_rss_mib is None else round(trial.peak_rss_mib, 1),
    }
    if trial.step is not None:
        row["step"] = trial.step  # of its last report: where a stopped trial stopped
    params = flatten(_spelled_out(trial.params, null))
    for name, value in trial.metrics.items():
        if isinstance(value, dict | list) or name in row:
            continue
        row[f"metric.{name}" if name in params else name] = value
    for name, value in params.items():
        column = f"{PARAM_PREFIX}{name}" if name in OWN_COLUMNS else name
        row.setdefault(column, value)
    row["reason"] = trial.reason
    return row


def _spelled_out(value: Any, null: Any) -> Any:
    """``value`` with what :func:`flatten` would leave no column for spelled out: an empty list
    or object as its JSON text, and null as ``null``."""
    if isinstance(value, dict | list) and not value:
        return json.dumps(value)
    if isinstance(value, dict):
        return {key: _spelled_out(child, null) for key, child in value.items()}
    if isinstance(value, list):
        return [_spelled_out(child, null) for child in value]
    return null if value is None else value


def trials_csv(trials: Iterable[Trial]) -> str:
    """The trials as a CSV table (``results.csv``, ``hypermax export``), one row each; a warm
    start reads their params back from it as the journal holds them."""
    return rows_to_csv([trial_row(t, null="null") for t in trials])


def rows_to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The rows of :func:`trial_row` as CSV: the fixed columns, the others in the order they
    first appear, ``reason`` last."""
    columns: list[str] = list(FIXED_COLUMNS)
    for row in rows:
        for key in row:
            if key not in columns and key != "reason":
                columns.append(key)
    columns.append("reason")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def trial_document(trial: Trial) -> dict[str, Any]:
    """A trial as a JSON document (export, best.json): its journal record plus its params."""
    record = finished_record(trial)
    del record["event"], record["id"]
    return {
        "trial": trial.id,
        "params": trial.params,
        "flat_params": flatten(trial.params),
        **record,
    }


def write_views(folder: Path, trials: Sequence[Trial]) -> None:
    """Rewrite ``results.csv`` and ``best.json`` from the finished trials."""
    finished = sorted((t for t in trials if t.state.finished), key=lambda t: t.id)
    write_atomic(folder / "results.csv", trials_csv(finished))
    best = best_trial(finished)
    write_atomic(
        folder / "best.json",
        json.dumps(trial_document(best) if best else None, indent=2, default=str) + "\n",
    )
