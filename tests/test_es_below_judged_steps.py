"""Early stopping that can judge none of a trial's reports because all of them are at one step
below the first it judges (``grace_steps``, ASHA's first rung) says so, once: a program whose
report lines forget their step (each is then step 0) left the search running every trial to its
end without a word."""

from __future__ import annotations

import json
import sys

from conftest import X_SPACE, run_cli_here
from fake_trials.helpers import FAKES

AT_STEP = """
def train(params, reporter):
    for step in STEPS:
        reporter(step, loss=params["x"] + 1.0 / (step + 1))
    return {"loss": params["x"]}
"""


def _said(tmp_path, function, early_stopping):
    doc = {
        "hyperparameters": X_SPACE,
        "function": function,
        "search": {"name": "s", "iterations": 3, "method": "random"},
    }
    doc["search"]["early_stopping"] = early_stopping
    (tmp_path / "s.json").write_text(json.dumps(doc))
    done = run_cli_here("run", "s.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if "early stopping" in line]


def _model(tmp_path, steps):
    (tmp_path / "model.py").write_text(AT_STEP.replace("STEPS", repr(steps)))
    return {"type": "python_function", "src": "model.py", "name": "train"}


def test_report_lines_that_forget_their_step_are_said_once(tmp_path):
    command = [sys.executable, str(FAKES / "report_without_step.py")]
    said = _said(tmp_path, {"type": "executable", "command": command}, {"policy": "median"})
    assert said == [
        "hypermax: early stopping judged none of trial 1's 3 reports: each is at step 0, below "
        'grace_steps (1) (a HYPERMAX_REPORT line without a "step" is at step 0)'
    ]


def test_report_lines_with_their_step_under_another_key_are_told_its_name(tmp_path):
    """``"epoch": 3`` for ``"step": 3`` left each report at step 0; the line said so, but not
    that the step was there, under a name hypermax takes for a metric."""
    command = [sys.executable, str(FAKES / "report_epoch_not_step.py")]
    said = _said(tmp_path, {"type": "executable", "command": command}, {"policy": "median"})
    assert said == [
        "hypermax: early stopping judged none of trial 1's 3 reports: each is at step 0, below "
        'grace_steps (1) (a HYPERMAX_REPORT line without a "step" is at step 0; these carry '
        '"epoch": name it "step")'
    ]


def test_reports_all_at_one_step_below_the_first_rung_are_said_once(tmp_path):
    function = _model(tmp_path, (2, 2, 2))
    said = _said(tmp_path, function, {"policy": "asha", "min_trials": 1, "max_steps": 27})
    assert said == [
        "hypermax: early stopping judged none of trial 1's 3 reports: each is at step 2, below "
        "the first rung (step 3)"
    ]


def test_reports_that_reach_the_judged_steps_or_move_on_are_not_said(tmp_path):
    one, other = tmp_path / "one", tmp_path / "other"
    one.mkdir(), other.mkdir()
    function = _model(one, (1, 2))  # below the first rung, but moving on: it ended early
    assert _said(one, function, {"policy": "asha", "min_trials": 1, "max_steps": 27}) == []
    function = _model(other, (0, 0, 1))
    assert _said(other, function, {"policy": "median", "min_trials": 1}) == []
