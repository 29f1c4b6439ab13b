"""What :func:`hypermax.optimize` returns (:class:`Result`), or raises when Ctrl-C ends its search
(:class:`SearchInterrupted`), made from the search's finished trials.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.errors import SentWhole

if TYPE_CHECKING:
    from hypermax.trial import Trial


@dataclass(frozen=True)
class Result:
    """What :func:`hypermax.optimize` returns.

    Attributes:
        best_params: the params of the trial with the lowest loss (None when no trial had one).
        best_loss: its loss.
        best: that trial as a JSON document (as ``best.json`` has it), or None.
        trials: every finished trial as a JSON document, in trial order.
        folder: the results folder (journal, logs, ``results.csv``, ``best.json``).
        reason: why the search ended (``iterations done``, ``timeout``, ...).
        failure: when no trial produced a loss but some failed, the reason most of them share
            and the log that holds its details; else None.
    """

    best_params: dict[str, Any] | None
    best_loss: float | None
    best: dict[str, Any] | None
    trials: list[dict[str, Any]]
    folder: Path
    reason: str
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    failure: str | None = None
    columns: list[str] = field(default_factory=list, repr=False)

    def dataframe(self) -> Any:
        """The trials as a pandas DataFrame, one flat row each: the columns of results.csv, and
        each other value the objective returned that is not a list or an object (``accuracy``
        beside a ``loss``; ``metadata.NAME`` when a column has its name)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Result.dataframe() needs pandas: pip install pandas") from None
        if not self.rows and not self.columns:
            return pd.DataFrame()
        # without a finished trial, the columns alone (the space's params): a script that reads
        # them runs on an empty search too
        return pd.DataFrame(self.rows, columns=self.columns or None).set_index("trial")

    def __repr__(self) -> str:
        from hypermax.ui.formatting import format_loss, format_params, stopped_at, trials_text

        states = Counter(t["state"] for t in self.trials)
        counts = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        lines = [f"Result: {trials_text(len(self.trials))} ({counts or 'none'}) in {self.folder}"]
        lines.append(f"  ended: {self.reason}")
        if self.best is not None:
            # as the search's last line says it: a trial a warm start imported is not its own
            state = self.best["state"]
            imported = ", imported" if state == "imported" else ""
            if state == "stopped":  # a loss at the step it reached, not of a trained model
                imported = stopped_at(self.best.get("step"))
            trial = f"trial {self.best['trial']}{imported}"
            lines.append(f"  best loss {format_loss(self.best_loss)} ({trial})")
            lines.append(f"  best params: {format_params(self.best_params or {}, 300)}")
        elif self.failure is not None:
            lines.append(f"  no trial produced a loss: {self.failure}")
        else:
            lines.append("  no trial produced a loss")
        return "\n".join(lines)


class SearchInterrupted(SentWhole, KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) ended :func:`hypermax.optimize`'s search.

    Raised after the running trials were stopped and recorded ``interrupted``, so that the
    script stops as Ctrl-C stops it anywhere else; ``result`` holds the :class:`Result` so far,
    and calling ``optimize`` again resumes the search.
    """

    def __init__(self, result: Result) -> None:
        self.result = result
        super().__init__(
            f"the search in {result.folder} was interrupted: its trials are recorded, "
            "and optimize() with the same arguments resumes it"
        )


def _dataframe_rows(
    trials: list[Trial], params: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of results.csv with each trial's metadata's plain values added, and the columns:
    those of results.csv (``params``: the space's, as there), the metadata's before ``reason``.
    A NaN or infinity among the metrics and metadata is that number, also when it was read
    back from the journal (``"nan"``)."""
    from hypermax.journal_records import numbers_back
    from hypermax.table_rows import METADATA_PREFIX, column_name, trials_table

    trials = [
        replace(t, metrics=numbers_back(t.metrics), metadata=numbers_back(t.metadata))
        for t in trials
    ]
    rows, columns = trials_table(trials, params=params)
    taken = set(columns)  # a conditional param's column too, in the rows of trials without it
    added: dict[str, None] = {}
    for row, trial in zip(rows, trials, strict=True):
        for name, value in trial.metadata.items():
            if not isinstance(value, dict | list):
                column = column_name(name, METADATA_PREFIX, name in row or name in taken)
                if column not in row:
                    row[column] = value
                    added[column] = None
    return rows, [*columns[:-1], *(c for c in added if c not in columns), "reason"]


def make_result(
    folder: Path,
    reason: str,
    trials: tuple[Trial, ...],
    metadata_in_journal: frozenset[int] = frozenset(),
) -> Result:
    """The Result of a search that ended, from its finished trials; the metadata of those in
    ``metadata_in_journal``, which the search let go of, is read back from its journal."""
    from hypermax.best import best_trial
    from hypermax.commands import failure_text
    from hypermax.export import trial_document
    from hypermax.results import ResultsFolder, frozen_param_names
    from hypermax.stopping import common_failure

    if metadata_in_journal:
        trials = _with_metadata(trials, ResultsFolder(folder).journal, metadata_in_journal)
    finished = sorted((t for t in trials if t.state.finished), key=lambda t: t.id)
    best = best_trial(finished)
    failed = best is None and common_failure(finished) is not None
    params = frozen_param_names(ResultsFolder(folder).spec)
    rows, columns = _dataframe_rows(finished, params)
    return Result(
        best_params=best.params if best else None,
        best_loss=best.loss if best else None,
        best=trial_document(best) if best else None,
        trials=[trial_document(t) for t in finished],
        folder=folder,
        reason=reason,
        rows=rows,
        failure=failure_text(finished, ResultsFolder(folder)) if failed else None,
        columns=columns,
    )


def _with_metadata(
    trials: tuple[Trial, ...], journal: Path, ids: frozenset[int]
) -> tuple[Trial, ...]:
    """``trials``, those of ``ids`` with their metadata as ``journal`` has it (as they are,
    without it, when the journal cannot be read: the Result still says how the search went)."""
    from hypermax.errors import ResultsError
    from hypermax.journal_replay import read_state

    try:
        journaled = read_state(journal).trials
    except (OSError, ResultsError):
        return trials
    return tuple(
        replace(t, metadata=journaled[t.id].metadata)
        if t.id in ids and t.id in journaled and journaled[t.id].state is t.state
        else t
        for t in trials
    )
