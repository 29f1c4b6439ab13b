"""A view that cannot be written is named as the user knows it (``results.csv``), not as the
temporary file it is first written to (``.results.csv.tmp123``)."""

from __future__ import annotations

import os

from hypermax.folder_writes import FolderWrites
from hypermax.results import ResultsFolder
from hypermax.trial import Trial, TrialState


def test_a_view_whose_temporary_file_cannot_be_made_is_named_as_the_view(tmp_path):
    """It said "cannot write .../.results.csv.tmp123: ...": a file the user never sees (a
    results folder made read-only, or immutable, while the search ran)."""
    said: list[str] = []
    writes = FolderWrites(ResultsFolder(tmp_path), 1e308, 1.0, lambda exc: None, said.append)
    (tmp_path / f".results.csv.tmp{os.getpid()}").mkdir()  # in the way, as a read-only folder
    trial = Trial(id=1, params={"x": 1}, internal={}, state=TrialState.OK, loss=0.5)
    assert not writes.views_now([trial])
    writes.close()
    assert said == [
        f"cannot write {tmp_path / 'results.csv'}: Is a directory; the journal holds every trial"
    ]
