"""What a search holds of its finished trials: the metadata of the best only (the journal has
every trial's), and the views and the Python API's Result as they were."""

from __future__ import annotations

import errno
import json
import os
from dataclasses import replace
from pathlib import Path

import hypermax
from hypermax import events as ev
from hypermax.folder_writes import FolderWrites
from hypermax.journal import Journal, finished_record, started_record
from hypermax.results import ResultsFolder
from hypermax.search_record import SearchRecord
from hypermax.trial import Trial, TrialState


def _record(folder: Path) -> SearchRecord:
    def fail(exc: OSError) -> None:
        raise exc

    results = ResultsFolder(folder)
    writes = FolderWrites(results, 1e308, 0.0, fail, lambda text: None)
    return SearchRecord(Journal(results.journal), writes, lambda event: None, fail)


def _ended(trial_id: int, loss: float) -> Trial:
    blob = f"{trial_id}" * 1000
    return Trial(trial_id, {"x": loss}, {"x": loss}, TrialState.OK, loss, metadata={"blob": blob})


def test_a_search_holds_the_metadata_of_its_best_trial_only(tmp_path: Path) -> None:
    """Each trial that ended was held whole all search long: 30 trials returning 10 MB beside
    their loss kept 300 MB in hypermax, of use to nothing but best.json (the journal has it)."""
    record = _record(tmp_path)
    for trial_id, loss in ((1, 0.5), (2, 0.25), (3, 0.75)):
        record.keep(_ended(trial_id, loss), whole=False)
    assert {t.id: bool(t.metadata) for t in record.trials.values()} == {1: False, 2: True, 3: False}
    assert record.metadata_in_journal == {1, 3}
    record.write_views()
    best = json.loads((tmp_path / "best.json").read_text())
    assert (best["trial"], best["metadata"]) == (2, {"blob": "2" * 1000})
    record.keep(_ended(4, 0.125), whole=False)  # the best before it lets go of its metadata
    assert [t.id for t in record.trials.values() if t.metadata] == [4]
    assert record.metadata_in_journal == {1, 2, 3}
    record.journal.close()


def blob_of(params):
    return {"loss": params["x"], "blob": f"{params['x']}" * 1000}


def test_the_result_of_optimize_has_the_metadata_of_every_trial(tmp_path: Path) -> None:
    """The metadata the search let go of is read back from the journal."""
    result = hypermax.optimize(
        blob_of, space={"x": [3, 1, 2]}, method="grid", iterations=3, results_dir=tmp_path
    )
    assert {t["trial"]: t["metadata"]["blob"][:1] for t in result.trials} == {
        1: "3",
        2: "1",
        3: "2",
    }
    assert result.dataframe()["blob"].str[:1].tolist() == ["3", "1", "2"]


class _FullOnce(Journal):
    """A journal whose first append meets a full disk."""

    full = True

    def _write(self, data: bytes) -> None:
        if self.full:
            self.full = False
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        super()._write(data)


def test_records_a_full_disk_refused_go_before_the_next_ones(tmp_path: Path) -> None:
    """A turn's records the full disk refused were dropped, and a later turn's fitted once a log
    was dropped: the journal held trial 1's end without its start (and lost that trial's
    result, which the console had said)."""
    fulls: list[OSError] = []
    results = ResultsFolder(tmp_path)
    writes = FolderWrites(results, 1e308, 0.0, fulls.append, lambda text: None)
    record = SearchRecord(_FullOnce(results.journal), writes, lambda event: None, fulls.append)
    trial = Trial(1, {"x": 0.5}, {"x": 0.5}, TrialState.RUNNING)
    record.add(started_record(trial, 123, None), ev.TrialStarted(trial))
    record.flush()
    assert len(fulls) == 1 and results.journal.read_text() == ""
    ended = replace(trial, state=TrialState.OK, loss=0.5)
    record.add(finished_record(ended), ev.TrialFinished(ended, ended, 1))
    record.flush()
    writes.close()  # its views thread, which the trial's end started
    record.journal.close()
    lines = [json.loads(line) for line in results.journal.read_text().splitlines()]
    assert [(r["event"], r["id"]) for r in lines] == [("trial_started", 1), ("trial_finished", 1)]
