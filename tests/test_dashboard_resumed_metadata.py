"""A resume leaves the metadata of the trials done, but the best's, in the journal (a search
holds the best's only): the dashboard reads a trial's back when it is opened."""

from __future__ import annotations

import json

from conftest import X_SPACE, quadratic, run_cli_here
from test_dashboard_render import screen

from hypermax import events as ev
from hypermax.journal_records import trial_metadata
from hypermax.journal_replay import read_state
from hypermax.ui.state import DashboardState
from hypermax.ui.view import DashboardView


def test_an_opened_trial_of_a_resumed_search_shows_the_metadata_it_returned(tmp_path):
    doc = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),  # returns {"loss": ..., "extra": "kept"}: extra is metadata
        "search": {"name": "s", "iterations": 3, "points": [{"x": 1.0}]},  # trial 1 the best
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    assert run_cli_here("run", "s.json", "--no-ui", cwd=tmp_path).returncode == 0
    folder = tmp_path / "results" / "s"
    history = read_state(folder / "trials.jsonl", all_metadata=False)  # as a resume reads it
    assert history.metadata_in_journal == {2, 3}
    assert history.trials[2].metadata == {}
    assert trial_metadata(folder / "trials.jsonl", 2) == {"extra": "kept"}
    state = DashboardState()
    state.apply(
        ev.SearchStarted(
            "s",
            "tpe",
            4,
            1,
            folder,
            history=tuple(history.trials.values()),
            resumed=True,
            metadata_in_journal=frozenset(history.metadata_in_journal),
        )
    )
    view = DashboardView(state)
    view.open_trial(2)
    text = screen(view, (160, 50))
    assert "metadata" in text and "extra" in text and "kept" in text
