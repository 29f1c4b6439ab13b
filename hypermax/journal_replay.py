"""Replaying a journal: the state of every trial its records fold into (see
:mod:`hypermax.journal_records` for how they are read and checked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hypermax.best import best_trial
from hypermax.bulk import bulk
from hypermax.errors import ResultsError
from hypermax.journal_records import finite_number, iter_records, numbers_back, report_step
from hypermax.trial import Trial, TrialState

#: the newest journal format this hypermax reads (and the one it writes)
FORMAT_VERSION = 1

#: the record that closes a warm start's import: all its ``trial_imported`` records are before it
IMPORTS_DONE = "imports_done"


def read_state(path: Path, writing: bool = False, all_metadata: bool = True) -> JournalState:
    """What the journal at ``path`` replays to, read a line at a time: what is held is the
    state, not the journal's text nor its records (see
    :func:`~hypermax.journal_records.iter_records`; ``all_metadata``, see :func:`replay`)."""
    return replay(iter_records(path, writing), path, all_metadata)


@dataclass
class JournalState:
    """What a journal says: its header and every trial in id order."""

    header: dict[str, Any] | None = None
    trials: dict[int, Trial] = field(default_factory=dict)
    #: the trials whose metadata was let go of as it was read (see :func:`replay`)
    metadata_in_journal: set[int] = field(default_factory=set)
    #: whether a warm start's ``trial_imported`` records follow no ``imports_done`` mark
    imports_open: bool = False
    #: whether the journal holds a ``trial_started`` record (a trial this search ran)
    ran: bool = False
    #: the warm start the last ``trial_imported`` record names (None: it names none)
    import_source: str | None = None

    @property
    def import_cut(self) -> bool:
        """Whether the warm start's import was cut short (hypermax killed, or the machine lost
        its power, while it wrote it): imported trials and no mark that all were written, and
        no trial run since (a journal an earlier version wrote, which has no mark, ran trials
        after its import, or holds the whole import)."""
        return self.imports_open and not self.ran

    def cut_import_of(self, source: str | None) -> int:
        """How many trials of the warm start ``source`` the journal holds when their import
        was cut short (see :attr:`import_cut`); 0 when it was not, or was another's."""
        if not source or not self.import_cut or self.import_source not in (None, source):
            return 0
        return sum(trial.state is TrialState.IMPORTED for trial in self.trials.values())

    @property
    def finished(self) -> list[Trial]:
        return [t for t in self.trials.values() if t.state.finished]

    @property
    def unfinished(self) -> list[Trial]:
        """Trials that started and never ended (running at a crash) or were interrupted."""
        return [
            t
            for t in self.trials.values()
            if t.state in (TrialState.RUNNING, TrialState.INTERRUPTED)
        ]


@bulk
def replay(
    records: Iterable[dict[str, Any]], path: Path | None = None, all_metadata: bool = True
) -> JournalState:
    """Fold journal records into the state of every trial (taking them one at a time).

    ``all_metadata=False`` (a search resuming): a finished trial's ``metadata`` (what it
    returned beside its metrics, megabytes of it say) is held only while the trial is the best,
    or the best of those not imported, as a running search holds it
    (:meth:`~hypermax.search_record.SearchRecord.keep`); the others' ids are in the state's
    ``metadata_in_journal``: the journal has it."""
    state = JournalState()
    bests = None if all_metadata else _Bests(state)
    where = f"{path}: " if path else ""
    reports: dict[int, list[dict[str, Any]]] = {}  # each trial's, joined to it at the end
    for record in records:
        event = record.get("event")
        if event == "header":
            version = record.get("format", 0)
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise ResultsError(
                    f"{where}journal format {version} is newer than this hypermax reads "
                    f"({FORMAT_VERSION}); upgrade hypermax"
                )
            state.header = record
        elif event == IMPORTS_DONE:
            state.imports_open = False
        elif event in ("trial_started", "trial_imported"):
            state.ran = state.ran or event == "trial_started"
            if event == "trial_imported":
                state.imports_open = True
                source = record.get("source")
                state.import_source = source if isinstance(source, str) else None
            if _ended_for_good(state.trials.get(record["id"])):
                continue  # a start or import line repeated (copied) after its trial ended
            trial = Trial(
                id=int(record["id"]),
                params=record["params"],
                internal=record.get("internal", {}),
                started_at=finite_number(record.get("started_at")),
            )
            if event == "trial_imported":
                trial = _finish(trial, record)
            state.trials[trial.id] = trial
            if bests is not None and event == "trial_imported":
                bests.ended(trial)
            reports.pop(trial.id, None)  # a trial run again reports anew
        elif event == "trial_reported":
            known = state.trials.get(int(record["id"]))
            if known is not None and not _ended_for_good(known):  # not a copied run's
                step = report_step(record.get("step", 0)) or 0
                # a NaN or an infinity as the number it was: the journal writes it as text
                report = {"step": step, **numbers_back(record.get("metrics", {}))}
                reports.setdefault(known.id, []).append(report)
        elif event == "trial_finished":
            known = state.trials.get(int(record["id"]))
            if known is not None and not _ended_for_good(known):  # the first end stands
                state.trials[known.id] = _finish(known, record)
                if bests is not None:
                    bests.ended(state.trials[known.id])
    for trial_id, made in reports.items():
        trial = state.trials[trial_id]
        state.trials[trial_id] = replace(trial, reports=(*trial.reports, *made))
    state.trials = dict(sorted(state.trials.items()))
    return state


class _Bests:
    """The best trial of a journal being replayed, and the best not imported: the only
    finished trials whose metadata :func:`replay` holds when it lets go of the others'."""

    def __init__(self, state: JournalState) -> None:
        self.state = state
        self.best: Trial | None = None
        self.best_run: Trial | None = None

    def ended(self, trial: Trial) -> None:
        """``trial`` ended for good (its end is final: a later one is passed over)."""
        if not trial.state.finished:
            return
        held = self.best, self.best_run
        self.best = best_trial((trial,) if self.best is None else (trial, self.best))
        if trial.state is not TrialState.IMPORTED:
            run = self.best_run
            self.best_run = best_trial((trial,) if run is None else (trial, run))
        for kept in (trial, *held):
            if kept is None or not kept.metadata or kept is self.best or kept is self.best_run:
                continue
            if self.state.trials.get(kept.id) is kept:
                self.state.trials[kept.id] = replace(kept, metadata={})
                self.state.metadata_in_journal.add(kept.id)


def _ended_for_good(trial: Trial | None) -> bool:
    """Whether a trial ended in a way that never runs it again (a search starts again only the
    trials running at a crash and those it interrupted): later records of it were copied (by
    hand, or by a careless merge of two journals) and are passed over, so that its params,
    reports and end stay those of one run."""
    return trial is not None and trial.state not in (TrialState.RUNNING, TrialState.INTERRUPTED)


def _finish(trial: Trial, record: dict[str, Any]) -> Trial:
    return replace(
        trial,
        state=TrialState(record.get("state", "ok")),
        loss=finite_number(record.get("loss")),
        metrics=numbers_back(record.get("metrics", {})),
        loss_terms=numbers_back(record.get("loss_terms", {})),
        metadata=numbers_back(record.get("metadata", {})),
        time=finite_number(record.get("time")),
        cpu_time=finite_number(record.get("cpu_time")),
        peak_rss_mib=finite_number(record.get("peak_rss_mib")),
        reason=_text(record.get("reason")),
        kill_reason=_text(record.get("kill_reason")),
        kill_value=finite_number(record.get("kill_value")),
        exit_code=_integer(record.get("exit_code")),
        ended_at=finite_number(record.get("ended_at")),
        attachments=_texts(record.get("attachments")),
        step=_integer(record.get("step")),
    )


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    """A text of a record as it is (a hand-edited number or list: None)."""
    return value if isinstance(value, str) else None


def _texts(value: Any) -> tuple[str, ...]:
    """A list of texts of a record (what is not a text, left out)."""
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
