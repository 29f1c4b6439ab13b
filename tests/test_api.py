"""The Python API: hypermax.optimize runs the same search as the command line."""

from __future__ import annotations

import json

import pytest
from conftest import OBJECTIVES

import hypermax
from hypermax.errors import ResultsError


def _spec(tmp_path, high: float = 2.0) -> dict:
    return {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": -2, "max": high}},
        },
        "function": {
            "type": "python_function",
            "src": str(OBJECTIVES / "quadratic.py"),
            "name": "train",
        },
        "search": {"name": "api", "seed": 3},
        "results": {"directory": str(tmp_path / "results")},
    }


def test_optimize_runs_a_spec_dict_and_returns_the_best_trial(tmp_path):
    best = hypermax.optimize(_spec(tmp_path), iterations=3, parallel=2).best
    assert best["state"] == "ok" and best["loss"] == pytest.approx((best["params"]["x"] - 1) ** 2)
    journal = (tmp_path / "results" / "api" / "trials.jsonl").read_text().splitlines()
    finished = [json.loads(line) for line in journal if '"trial_finished"' in line]
    assert len(finished) == 3
    assert best["loss"] == min(r["loss"] for r in finished)


def test_an_unknown_keyword_is_a_type_error_before_anything_runs(tmp_path):
    with pytest.raises(TypeError, match="'iteratons'"):
        hypermax.optimize(_spec(tmp_path), iteratons=3)
    assert not (tmp_path / "results").exists()


def test_another_search_in_the_folder_is_refused_in_the_api_s_own_words(tmp_path, monkeypatch):
    """The refusal says how to start anew, and (it said nothing of it) how the new search
    learns from the old one's trials, as optimize() takes it; done, it does."""
    monkeypatch.chdir(tmp_path)  # where a relative warm_start starts, as the spec's paths
    hypermax.optimize(_spec(tmp_path), iterations=1)
    with pytest.raises(ResultsError) as refused:
        hypermax.optimize(_spec(tmp_path, high=3.0), iterations=1)
    message = str(refused.value)
    assert message.endswith(
        'use fresh=True to start anew (the old folder is kept; search={"warm_start":'
        ' "results/api"} learns from its trials)'
    )
    assert "--fresh" not in message
    spec = _spec(tmp_path, high=3.0)
    spec["search"]["warm_start"] = "results/api"
    result = hypermax.optimize(spec, iterations=1, fresh=True)
    assert [trial["state"] for trial in result.trials] == ["imported", "ok"]
    assert (tmp_path / "results" / "api.1" / "trials.jsonl").exists()


def test_search_keys_without_a_keyword_of_their_own_go_in_search(tmp_path):
    """A callable's search can stop at a loss threshold, stop trials early, ... (search=)."""

    def train(params):
        return 0.1

    result = hypermax.optimize(
        train,
        space={"x": "0:1"},
        iterations=5,
        results_dir=str(tmp_path),
        search={"loss_threshold": 0.5, "early_stopping": {"policy": "median"}},
    )
    assert result.reason == "loss threshold 0.5 reached"
    assert len(result.trials) == 1
    frozen = json.loads((tmp_path / "train" / "search.json").read_text())
    assert frozen["search"]["early_stopping"]["policy"] == "median"
    with pytest.raises(TypeError, match="iterations given twice, as iterations= and in search="):
        hypermax.optimize(train, space={"x": "0:1"}, iterations=5, search={"iterations": 3})
    with pytest.raises(TypeError, match="search= holds keys of the spec's search section"):
        hypermax.optimize(train, space={"x": "0:1"}, search=["timeout", 5])  # type: ignore[arg-type]
