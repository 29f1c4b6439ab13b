"""A warm start from a journal reads a NaN or an infinity, which the journal writes as text
(``"inf"``), as the number it was: this search's loss weighs it as it weighs its own trials'."""

from __future__ import annotations

import json

from conftest import fake_function_spec, run_hypermax_here

from hypermax.spec import load_spec
from hypermax.warmstart import warm_start_trials


def test_an_infinity_of_an_earlier_trial_is_no_number_for_this_loss_but_an_infinity(tmp_path):
    earlier = fake_function_spec(
        tmp_path, "odd_results.py", "infinite_metadata", {"name": "a", "iterations": 1}
    )
    done = run_hypermax_here(earlier)
    assert done.returncode == 0, done.stderr
    journal = tmp_path / "results" / "a" / "trials.jsonl"
    assert '"acc":"inf"' in journal.read_text()
    spec = json.loads(earlier.read_text())
    spec["search"] = {"name": "b", "iterations": 1, "warm_start": str(journal)}
    spec["metrics"] = {"acc": {"direction": "increase"}}
    later = tmp_path / "later.json"
    later.write_text(json.dumps(spec))
    [trial] = warm_start_trials(load_spec(later))
    assert trial.metadata["acc"] == float("inf")
    assert trial.unusable is not None
    assert trial.unusable.endswith("acc is inf"), trial.unusable  # not "not a number: "inf""
