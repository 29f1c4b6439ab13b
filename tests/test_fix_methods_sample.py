"""``hypermax sample -n N`` prints N params for every method, also one that proposes nothing
more while its own proposals run (NGOpt, tuned for ``parallel`` trials at once): the earliest
printed trial is taken to have failed, as a search would tell it."""

from __future__ import annotations

import json

import pytest
from conftest import journal_records

import hypermax
from hypermax.cli import main

FAILING = """
def train(params):
    raise ValueError("no loss")
"""


def test_ngopt_samples_n_params_those_a_search_whose_trials_fail_runs(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("nevergrad")
    (tmp_path / "model.py").write_text(FAILING)
    number = {"type": "number", "min": 0, "max": 1}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": number, "y": number}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"name": "ng", "method": "ngopt", "iterations": 3, "seed": 3},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "search.json", "-n", "3"]) == 0
    sampled = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(sampled) == 3 and len({json.dumps(p) for p in sampled}) == 3

    hypermax.optimize("search.json")
    started = [
        r["params"]
        for r in journal_records(tmp_path / "results" / "ng")
        if r["event"] == "trial_started"
    ]
    assert started == sampled
