"""A trial whose files were made ahead (while another trial ran) and removed before it starts
makes them again as it starts, rather than fail for good."""

from __future__ import annotations

from conftest import fake_function_spec, run_hypermax_here

from hypermax.journal_records import read_records
from hypermax.journal_replay import replay
from hypermax.trial import TrialState


def test_a_trial_whose_folder_made_ahead_was_removed_makes_it_again(tmp_path):
    spec = fake_function_spec(
        tmp_path,
        "remove_ahead.py",
        "remove_next",
        {"name": "s", "iterations": 3, "method": "random"},
    )
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "results" / "s"
    trials = replay(read_records(folder / "trials.jsonl")).trials
    # trial 2 was: failed, "cannot start: No such file or directory: .../trials/2"
    assert {i: (t.state, t.reason) for i, t in trials.items()} == {
        i: (TrialState.OK, None) for i in (1, 2, 3)
    }
    assert (folder / "trials" / "2" / ".hypermax_params.json").is_file()
