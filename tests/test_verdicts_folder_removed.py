"""A trial whose folder was removed while it ran, and whose reports early stopping judges,
waited out the whole wait for each verdict (2 s a report): the count of the verdicts it reads
could not be written. Its folder is made again for it."""

from __future__ import annotations

from conftest import fake_function_spec, run_hypermax_here

from hypermax.journal_records import read_records
from hypermax.journal_replay import replay
from hypermax.trial import TrialState


def test_the_verdicts_of_a_trial_whose_folder_was_removed_are_counted_again(tmp_path):
    spec = fake_function_spec(
        tmp_path,
        "remove_own_folder.py",
        "train",
        {"name": "s", "iterations": 1, "method": "random", "early_stopping": {"policy": "median"}},
    )
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    (trial,) = replay(read_records(tmp_path / "results" / "s" / "trials.jsonl")).trials.values()
    assert trial.state is TrialState.OK, trial.reason
    assert trial.metadata["counted"] is True
