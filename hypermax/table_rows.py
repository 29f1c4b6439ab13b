"""A trial as a row of a results table: its columns' names and its cells.

What ``results.csv``, ``hypermax export``, ``Result.dataframe()`` and a warm start read from
a table agree on: the fixed columns, then the metrics and the params, each prefixed
(``param.``, ``metric.``) when its name is taken; a cell as the JSON text it spells
(:func:`cell_value`).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from hypermax.space import flatten
from hypermax.trial import Trial
from hypermax.values import json_equal

#: the columns every row has, first in every table (the only ones of a table without rows)
FIXED_COLUMNS = ("trial", "state", "loss", "time", "peak_rss_mib")
#: the columns of hypermax's own, and those a warm start reads as such in the original
#: Hypermax's tables (``id``, ``status``); a param named like one gets :data:`PARAM_PREFIX`
#: before its name
OWN_COLUMNS = frozenset({*FIXED_COLUMNS, "step", "reason", "id", "status"})
PARAM_PREFIX = "param."
METRIC_PREFIX = "metric."
METADATA_PREFIX = "metadata."  # ``Result.dataframe()``'s other returned values
#: the prefixes that set a param's, a metric's or another returned value's column apart; a
#: name that starts with one gets its own prefix too, so that no two columns share a name (the
#: params ``trial`` and ``param.trial`` are the columns ``param.trial`` and ``param.param.trial``)
COLUMN_PREFIXES = (PARAM_PREFIX, METRIC_PREFIX, METADATA_PREFIX)


def column_name(name: str, prefix: str, taken: bool) -> str:
    """The column of a param, a metric or another value named ``name``: ``prefix`` (one of
    :data:`COLUMN_PREFIXES`) before it when the name is ``taken`` (by a column before it) or
    starts with one of the prefixes, else the name itself."""
    return f"{prefix}{name}" if taken or name.startswith(COLUMN_PREFIXES) else name


def param_column(name: str) -> str:
    """The column of the param of flat name ``name``: ``param.NAME`` when named like a column of
    hypermax's own (:data:`OWN_COLUMNS`) or starting with one of :data:`COLUMN_PREFIXES`."""
    return column_name(name, PARAM_PREFIX, name in OWN_COLUMNS)


def trial_row(trial: Trial, table: bool = False) -> dict[str, Any]:
    """One trial as a flat row: fixed columns, the step of its last report (if it reported),
    metrics, flat params (``param.NAME`` when named like a column of hypermax's own: ``time``,
    ``state``, ..., or starting with one of :data:`COLUMN_PREFIXES`), reason.

    A metric named like a param gets ``metric.NAME`` (as does one that starts with one of
    :data:`COLUMN_PREFIXES`); so does one named like a column of
    hypermax's own that holds another value (a returned ``loss`` that the spec's metrics weigh
    into the loss), while one that holds the column's value (``loss`` without a ``metrics``
    section) is that column. An empty list or object param is its JSON text (``[]``). For a
    ``table`` (:func:`hypermax.export.trials_csv`), whose cells are read as the JSON they spell
    (:func:`cell_value`), a null param is ``"null"``, since a blank cell there is a param the
    trial does not have (one of another branch), and a text that would read as another value
    (``"3"``, ``"true"``, ``"null"``, an empty text) is its JSON text (``"\"3\""``)."""
    fixed, metrics, params = row_parts(trial, table)
    return {**fixed, **metrics, **params, "reason": trial.reason}


def row_parts(
    trial: Trial,
    table: bool,
    taken: frozenset[str] = frozenset(),
    flat: dict[str, Any] | None = None,
    apart: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], ...]:
    """The cells of :func:`trial_row` before ``reason``, in three groups: the fixed columns
    (and ``step``), the metrics, the params. A metric named like a param of this trial, or
    like one of ``taken`` (the params of the other rows of its table: a conditional param
    this trial lacks), is ``metric.NAME``, so that a column holds one thing in every row.
    ``flat``: the trial's :func:`flat_params`, when they are at hand. ``apart``: the
    :func:`apart_metrics` metrics of the other rows of its table."""
    fixed: dict[str, Any] = {
        "trial": trial.id,
        "state": trial.state.value,
        "loss": trial.loss,
        "time": None if trial.time is None else round(trial.time, 4),
        "peak_rss_mib": None if trial.peak_rss_mib is None else round(trial.peak_rss_mib, 1),
    }
    if trial.step is not None:
        fixed["step"] = trial.step  # of its last report: where a stopped trial stopped
    params = flat_params(trial, table) if flat is None else flat
    metrics: dict[str, Any] = {}
    apart = apart | apart_metrics(trial)
    for name, value in trial.metrics.items():
        if isinstance(value, dict | list):
            continue
        if name in OWN_COLUMNS and name not in apart:
            continue  # the column holds it, in every row
        named = name in params or name in taken or name in OWN_COLUMNS
        metrics[column_name(name, METRIC_PREFIX, named)] = value
    columns = {param_column(name): v for name, v in params.items()}
    return fixed, metrics, columns


def apart_metrics(trial: Trial) -> frozenset[str]:
    """The metrics of ``trial`` named like a column of hypermax's own that holds another value
    than they do (a returned ``loss`` that the spec's metrics weigh into the loss). In a table,
    such a metric is ``metric.NAME`` in every row once it is in one: where the weighing left
    the value as it was (a time term of 0), its cell was blank, as if not returned."""
    exact = {
        "trial": trial.id,
        "state": trial.state.value,
        "loss": trial.loss,
        "time": trial.time,
        "peak_rss_mib": trial.peak_rss_mib,
        "step": trial.step,
    }
    return frozenset(
        name
        for name, value in trial.metrics.items()
        if name in OWN_COLUMNS
        and not json_equal(value, exact.get(name))
        and not (name == "loss" and trial.loss is None and not _finite_number(value))
    )


def _finite_number(value: Any) -> bool:
    """Whether ``value`` is a finite number: a returned loss of NaN or an infinity is what
    failed its trial (its reason says so), not another value than its blank loss cell."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int no float holds: an infinite loss
        return False


def flat_params(trial: Trial, table: bool) -> dict[str, Any]:
    """A trial's params as the flat cells of its row (:func:`_spelled_out`)."""
    return flatten(_spelled_out(trial.params, table)) if trial.params else {}  # no column ""


def _spelled_out(value: Any, table: bool) -> Any:
    """``value`` with what :func:`flatten` would leave no column for spelled out: an empty list
    or object as its JSON text; for a table, null as ``null`` and a text that a cell would not
    give back (:func:`cell_value`) as its JSON text."""
    if isinstance(value, dict | list) and not value:
        return json.dumps(value)
    if isinstance(value, dict):
        return {key: _spelled_out(child, table) for key, child in value.items()}
    if isinstance(value, list):
        return [_spelled_out(child, table) for child in value]
    if not table:
        return value
    if value is None:
        return "null"
    if isinstance(value, str) and not _cell_keeps(value):
        return json.dumps(value, ensure_ascii=False)
    return value


@functools.lru_cache(maxsize=4096)
def _cell_keeps(text: str) -> bool:
    """Whether a cell holding ``text`` gives it back (:func:`cell_value`): asked once per text,
    not per trial (a categorical param's few values, in every row)."""
    return text != "" and cell_value(text) == text


def cell_value(text: str) -> Any:
    """A cell of a results table → the JSON value it spells (numbers, true/false, null, lists,
    a quoted text), ``True``/``False`` as booleans, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text


def trials_table(
    trials: Iterable[Trial], table: bool = False, params: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of :func:`trial_row` (``table`` as there) and their columns, whichever trial comes
    first: the fixed ones, ``step`` (when a trial reported), the metrics, the params, each group
    in the order its names first appear, but for the params of ``params`` (the space's, in its
    order, as :class:`hypermax.export.CsvLines` takes them), which come first, each with its
    column; ``reason`` last."""
    trials = list(trials)
    flats = [flat_params(trial, table) for trial in trials]
    taken = frozenset(name for flat in flats for name in flat) | frozenset(params)
    apart = frozenset(name for trial in trials for name in apart_metrics(trial))
    rows, groups = [], [dict.fromkeys(FIXED_COLUMNS), {}, dict.fromkeys(map(param_column, params))]
    for trial, flat in zip(trials, flats, strict=True):
        parts = row_parts(trial, table, taken, flat, apart)
        for group, part in zip(groups, parts, strict=True):
            group.update(dict.fromkeys(part))
        rows.append({key: value for part in parts for key, value in part.items()})
        rows[-1]["reason"] = trial.reason
    columns = dict.fromkeys(key for group in groups for key in group)
    return rows, [*columns, "reason"]


def table_cell(value: Any) -> Any:
    """A row's value as the CSV module writes its cell: none blank, a bool ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
