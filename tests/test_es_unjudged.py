"""Early stopping that can weigh none of a trial's reports says so, once: a report whose metric is
misnamed (``acc`` for the spec's ``accuracy``) left the search running every trial to its end
without a word."""

from __future__ import annotations

import json

from conftest import X_SPACE, run_cli_here

MODEL = """
def train(params, reporter):
    for step in range(1, 4):
        reporter(step, acc=0.5 + step / 10)
    return {"accuracy": 0.8}
"""


def test_a_trial_none_of_whose_reports_could_be_judged_is_said_once(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {
            "name": "s",
            "iterations": 3,
            "method": "random",
            "metric": "accuracy",
            "direction": "max",
            "early_stopping": {"policy": "median", "min_trials": 1},
        },
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    done = run_cli_here("run", "s.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stdout.splitlines() if "early stopping" in line]
    assert said == [
        "hypermax: early stopping judged none of trial 1's 3 reports: none carries "
        '"accuracy" (the last one carried "acc"), which the loss needs'
    ]


def test_a_trial_with_a_report_it_could_judge_is_not_said(tmp_path):
    """Reports of another kind beside judged ones (per batch, without the validation metric)
    are no mistake."""
    model = MODEL.replace('{"accuracy": 0.8}', '{"loss": 0.1}')
    per_batch = "reporter(step, loss=1 / step)\n        reporter(step, batch_loss=1 / step)"
    (tmp_path / "model.py").write_text(
        model.replace("reporter(step, acc=0.5 + step / 10)", per_batch)
    )
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {
            "name": "s",
            "iterations": 2,
            "method": "random",
            "early_stopping": {"policy": "median", "min_trials": 1},
        },
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    done = run_cli_here("run", "s.json", "--no-ui", cwd=tmp_path)
    assert "early stopping" not in done.stdout + done.stderr
