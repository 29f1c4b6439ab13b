"""ASHA never stops a trial at or past ``max_steps``, even one whose report jumps over rungs
(a trial that reports only at its end, or skips steps): it has trained all its steps, and
stopping it then saves nothing and throws its result away."""

from __future__ import annotations

import json

from conftest import journal_records, model_spec, run_cli

from hypermax.stopping import Asha, EarlyStopping

ENDS_ONLY = """
def train(params, reporter):
    reporter(27, loss=params["x"] + 10.0)  # one report, at its last step
    return {"loss": params["x"] + 10.0, "note": "ran to its end"}
"""


def test_a_report_jumping_to_max_steps_is_not_judged():
    policy = Asha(EarlyStopping(policy="asha", min_trials=1, eta=3, max_steps=27))
    for trial in (1, 2):
        for step in (3, 9):
            assert not policy.observe(trial, step, 0.1).stop
    standing = policy.observe(3, 27, 5.0)  # past rungs 3 and 9 in one report: its end
    assert not standing.stop  # before: stopped at step 27, rung 3
    assert standing.against == "past the last rung"
    assert policy.rungs[3][3] == (5.0, 27)  # its loss still counts at the rungs it passed
    assert policy.observe(4, 26, 5.0).stop  # below max_steps the jump is judged as before


def test_a_trial_that_reports_only_at_its_end_finishes_ok(tmp_path):
    early = {"policy": "asha", "max_steps": 27, "min_trials": 1}
    points = [{"x": 0.1}, {"x": 0.5}, {"x": 0.9}]  # each worse than the ones before
    search = {"iterations": 3, "method": "random", "points": points, "early_stopping": early}
    model_spec(tmp_path, ENDS_ONLY, search)
    done = run_cli("run", "search.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = next((tmp_path / "results").iterdir())
    ended = [r for r in journal_records(folder) if r["event"] == "trial_finished"]
    assert [r["state"] for r in ended] == ["ok"] * 3, json.dumps(ended)
    assert all(r["metadata"].get("note") == "ran to its end" for r in ended)
