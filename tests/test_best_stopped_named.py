"""When no trial ran to its end with a loss, the best trial is one stopped early (or cut short by
the search's timeout): its loss is that of a step it reached, not of a trained model, and the
lines that name the best say so, as they say a trial a warm start imported is."""

from __future__ import annotations

from pathlib import Path

from conftest import model_spec, run_cli_here

from hypermax.api.result import Result
from hypermax.trial import Trial, TrialState
from hypermax.ui.console import best_line
from hypermax.ui.panels import best_markups

# every trial fails at its end unless early stopping stops it first
FAILS_AT_THE_END = """
def train(params, reporter):
    for step in (1, 2):
        reporter(step, loss=params["x"] + 1.0 / step)
    raise RuntimeError("fails at its end")
"""


def test_the_closing_line_names_a_stopped_best_with_its_step(tmp_path):
    early = {"policy": "median", "min_trials": 1}
    points = [{"x": 0.1}, {"x": 0.5}]  # the second is worse at step 1: stopped there
    search = {"iterations": 2, "method": "random", "points": points, "early_stopping": early}
    model_spec(tmp_path, FAILS_AT_THE_END, search, function={"preload": False})
    done = run_cli_here("run", "search.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "best loss 1.5 (trial 2, stopped at step 1): x=0.5" in done.stdout, done.stdout
    shown = run_cli_here("show", "results/search", cwd=tmp_path)
    assert "best loss 1.5 (trial 2, stopped at step 1)" in shown.stdout, shown.stdout


def test_best_line_and_result_name_a_stopped_best():
    stopped = Trial(3, {"x": 1}, {"x": 1}, state=TrialState.STOPPED, loss=0.5, step=4)
    assert best_line(stopped) == "best loss 0.5 (trial 3, stopped at step 4): x=1"
    ran = Trial(3, {"x": 1}, {"x": 1}, state=TrialState.OK, loss=0.5, step=4)
    assert best_line(ran) == "best loss 0.5 (trial 3): x=1"
    best = {"trial": 3, "state": "stopped", "step": 4, "loss": 0.5, "params": {"x": 1}}
    result = Result({"x": 1}, 0.5, best, [best], Path("results/search"), "iterations done")
    assert "best loss 0.5 (trial 3, stopped at step 4)" in repr(result), repr(result)
    first_row = best_markups(stopped)[0]  # the dashboard's best trial panel
    assert ("dim", "  trial 3, stopped at step 4") in first_row
