"""hypermax.optimize with a callable, a "module:function" string, short spaces, and its Result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import finished_records, journal_records

import hypermax
from hypermax.api import Result
from hypermax.errors import SpecError

OFFSET = 1.0  # a module global the shipped function needs: it travels with it


def _distance(x: float) -> float:
    return (x - OFFSET) ** 2


def quadratic(params, reporter):
    """Defined in this test module, which the trial process cannot import: shipped by value."""
    reporter(1, loss=_distance(params["x"]) + 1)
    folder = os.environ["HYPERMAX_TRIAL_DIR"]
    with open(os.path.join(folder, "pid"), "w") as f:
        f.write(str(os.getpid()))
    return {"loss": _distance(params["x"]) + (0 if params["opt"] == "adam" else 0.5)}


def test_a_callable_of_this_module_runs_in_trial_processes_and_gives_a_result(tmp_path):
    result = hypermax.optimize(
        quadratic,
        space={"x": "-2:2", "opt": ["adam", "sgd"], "fixed": 7},
        iterations=4,
        parallel=2,
        seed=5,
        results_dir=str(tmp_path),
    )
    assert isinstance(result, Result)
    folder = tmp_path / "quadratic"
    assert result.folder == folder and result.reason == "iterations done"
    finished = finished_records(folder)
    assert [r["state"] for r in finished.values()] == ["ok"] * 4
    assert result.best_loss == min(r["loss"] for r in finished.values())
    best = min(finished.values(), key=lambda r: (r["loss"], r["id"]))  # ties: the earliest
    assert result.best_params == result.best["params"]
    x, opt = result.best_params["x"], result.best_params["opt"]
    assert result.best_loss == pytest.approx((x - 1) ** 2 + (0 if opt == "adam" else 0.5))
    assert result.best["trial"] == best["id"] and result.best_params["fixed"] == 7
    # each trial ran in a process of its own, not in this one, and reported through its reporter
    pids = {int((folder / "trials" / str(i) / "pid").read_text()) for i in finished}
    assert len(pids) == 4 and os.getpid() not in pids
    reports = [r for r in journal_records(folder) if r["event"] == "trial_reported"]
    assert len(reports) == 4
    assert [t["trial"] for t in result.trials] == [1, 2, 3, 4]


def test_the_space_may_follow_the_callable_without_its_keyword(tmp_path):
    """``optimize(train, {...})``, as a notebook writes it first, was Python's "takes 1
    positional argument but 2 were given"."""
    result = hypermax.optimize(
        quadratic, {"x": "-2:2", "opt": ["adam"]}, iterations=1, results_dir=str(tmp_path)
    )
    assert set(result.best_params) == {"x", "opt"} and -2 <= result.best_params["x"] <= 2


def test_the_result_reads_well_and_becomes_a_dataframe(tmp_path):
    result = hypermax.optimize(
        quadratic, space={"x": "-2:2", "opt": ["adam"]}, iterations=3, results_dir=str(tmp_path)
    )
    text = repr(result)
    assert text.splitlines()[0] == f"Result: 3 trials (3 ok) in {tmp_path / 'quadratic'}"
    assert f"best loss {result.best_loss:.6g} (trial {result.best['trial']})" in text
    assert 'opt="adam"' in text
    pytest.importorskip("pandas", reason="Result.dataframe() needs pandas")
    frame = result.dataframe()
    assert list(frame.index) == [1, 2, 3]
    assert {"state", "loss", "x", "opt"} <= set(frame.columns)
    assert frame["loss"].min() == result.best_loss


def test_calling_again_resumes_the_same_search(tmp_path):
    def search(iterations: int) -> Result:
        space = {"x": "-2:2", "opt": ["adam"]}
        return hypermax.optimize(
            quadratic, space=space, iterations=iterations, results_dir=str(tmp_path), seed=1
        )

    first, again = search(2), search(3)
    assert len(first.trials) == 2 and len(again.trials) == 3
    assert again.trials[:2] == first.trials


def test_a_callable_defined_in_a_python_c_script_is_shipped_by_value(tmp_path):
    script = textwrap.dedent(
        """
        import hypermax
        center = 0.25
        def train(params):
            return {"loss": abs(params["x"] - center), "width": params["width"]}
        result = hypermax.optimize(train, space={"x": "0:1", "width": "1:l3:100"},
                                   iterations=3, method="random", seed=2, results_dir="out")
        print(repr(result))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, done.stderr
    assert f"Result: 3 trials (3 ok) in {tmp_path / 'out' / 'train'}" in done.stdout
    finished = finished_records(tmp_path / "out" / "train")
    for record in finished.values():
        params = next(
            r["params"]
            for r in journal_records(tmp_path / "out" / "train")
            if r["event"] == "trial_started" and r["id"] == record["id"]
        )
        assert record["loss"] == pytest.approx(abs(params["x"] - 0.25))
        assert 1 <= params["width"] <= 100 and isinstance(params["width"], int)
    frozen = json.loads((tmp_path / "out" / "train" / "search.json").read_text())
    assert frozen["search"]["method"] == "random"
    assert frozen["hyperparameters"]["properties"]["width"]["scaling"] == "logarithmic"


def test_a_module_function_string_and_a_metric_to_maximise(tmp_path, monkeypatch):
    (tmp_path / "model.py").write_text(
        "def fit(params):\n    return {'accuracy': 1 - abs(params['c'] - 3) / 10}\n"
    )
    monkeypatch.chdir(tmp_path)
    result = hypermax.optimize(
        "model:fit",
        space={"c": {"type": "number", "min": 0, "max": 10}},
        iterations=3,
        metrics="accuracy:max",
        seed=4,
    )
    assert result.folder.name == "fit" and len(result.trials) == 3
    best = max(result.trials, key=lambda t: t["metrics"]["accuracy"])
    assert result.best["trial"] == best["trial"]


def test_a_module_function_string_names_a_static_method_as_a_spec_does(tmp_path, monkeypatch):
    """``"model:Model.train"`` was read as a spec file's name: 'space= is for a callable or
    'module:function'; a spec has its own hyperparameters'."""
    (tmp_path / "model.py").write_text(
        "class Model:\n    @staticmethod\n    def train(params):\n        return params['c']\n"
    )
    monkeypatch.chdir(tmp_path)
    result = hypermax.optimize("model:Model.train", space={"c": [2, 3]}, iterations=1)
    assert result.folder.name == "Model.train" and result.best_loss in (2, 3)
    with pytest.raises(SpecError, match=r"^runs:v2\.json: cannot read"):
        hypermax.optimize("runs:v2.json")


def test_function_options_reach_the_watchdog(tmp_path):
    def stalls(params):
        time.sleep(60)

    started = time.monotonic()
    result = hypermax.optimize(
        stalls,
        space={"x": "0:1"},
        iterations=1,
        results_dir=str(tmp_path),
        auto_kill_max_time=0.5,
        auto_kill_loss=3.0,
        kill_grace=0.5,
    )
    assert time.monotonic() - started < 30  # generous: the trial sleeps for 60 s
    (trial,) = result.trials
    assert trial["state"] == "killed" and trial["kill_reason"] == "time"
    assert result.best_loss == 3.0


def test_arguments_that_do_not_fit_are_type_errors_before_anything_runs(tmp_path):
    with pytest.raises(TypeError, match="'auto_kill_max_tim'"):
        hypermax.optimize(quadratic, space={"x": "0:1"}, auto_kill_max_tim=3)
    with pytest.raises(TypeError, match="needs space="):
        hypermax.optimize(quadratic, results_dir=str(tmp_path))
    with pytest.raises(TypeError, match="a spec has its own hyperparameters"):
        hypermax.optimize({"hyperparameters": {}}, space={"x": "0:1"})
    with pytest.raises(TypeError, match="'accuracy:best'"):
        hypermax.optimize(quadratic, space={"x": "0:1"}, metrics="accuracy:best")
    assert not list(tmp_path.iterdir())
