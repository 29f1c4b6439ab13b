"""Trials a search learns from without running them here: a resumed search's own, and another
search's finished trials (a warm start).

Both are kept in the search's record and taught to the optimizer before its first ask. A
resumed search's unfinished trials run again; imported trials are journaled ``imported``, all
in one write closed by an ``imports_done`` mark, and never run (a resume finishes an import a
crash cut short).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from hypermax.bulk import bulk
from hypermax.journal import finished_record, started_record
from hypermax.journal_replay import IMPORTS_DONE
from hypermax.trial import TrialState
from hypermax.warmstart import Finished, imported_trials, warm_start_note

if TYPE_CHECKING:
    from hypermax.folder_writes import FolderWrites
    from hypermax.journal import Journal
    from hypermax.journal_replay import JournalState
    from hypermax.proposals import Proposals
    from hypermax.search_record import SearchRecord
    from hypermax.space import Space
    from hypermax.spec import Spec
    from hypermax.stopping import EarlyStopper


@bulk
def replay(
    history: JournalState,
    spec: Spec,
    space: Space,
    proposals: Proposals,
    record: SearchRecord,
    writes: FolderWrites,
    stopper: EarlyStopper,
) -> tuple[int, bool]:
    """Teach the optimizer (through ``proposals``) every finished trial of ``history`` and
    keep it in ``record`` (its log counted in ``writes``, its reports in ``stopper``); queue the
    unfinished ones to run again. How many of those run again (as many as the iterations left
    take: the others wait for a resume with more), and whether a trial the search ran (not
    imported) produced a loss."""
    told = proposals.resume(
        history.trials.values(),
        spec.search.points,
        space.defaults(),
        spec_name=spec.shown,
    )
    any_loss = False
    for trial in told:
        record.keep(trial)
        if trial.state is not TrialState.IMPORTED:  # another search's losses
            any_loss = any_loss or trial.loss is not None
            writes.count_log(trial.id)
    stopper.rebuild(told)
    # the metadata replay let go of: the journal has it (the Result reads it back from there)
    record.metadata_in_journal |= history.metadata_in_journal & record.trials.keys()
    left = max(0, spec.search.iterations - record.done)
    return min(len(history.trials) - len(told), left), any_loss


def import_finished(
    imported: Sequence[Finished],
    source: str,
    space: Space,
    proposals: Proposals,
    journal: Journal,
    record: SearchRecord,
    done: int = 0,
) -> tuple[int, str]:
    """Journal the finished trials ``imported`` from ``source`` as ``imported`` trials of this
    search, then the ``imports_done`` mark, all in one write; keep them in ``record`` and teach
    them to the optimizer; params this space cannot produce are skipped. ``done``: how many of
    them an import cut short journaled already (a crash in that write leaves the first records
    of it, and no mark): the others are imported now, with the ids they would have had. How
    many were kept (in all), and the line that says what the warm start learned from."""
    left_out: list[str] = []
    every = imported_trials(space, imported, itertools.count(1).__next__, left_out)
    told = [replace(trial, id=proposals.take_id()) for trial in every[done:]]  # the rest
    records = [{**finished_record(t), **started_record(t, None, None)} for t in told]
    lines = [{**record, "event": "trial_imported", "source": source} for record in records]
    if every:
        lines.append({"event": IMPORTS_DONE, "source": source, "imported": len(every)})
    journal.append_many(lines)
    for trial in told:
        record.keep(trial)
    proposals.optimizer.tell_many(told)
    note = warm_start_note(every, len(imported), source, left_out)
    if done:
        note += f" (its import was cut short after {done}: the other {len(told)} imported now)"
    return len(every), note
