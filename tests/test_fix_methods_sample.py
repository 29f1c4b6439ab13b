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


def test_a_seed_the_results_folder_overrides_is_named_as_run_names_it(
    tmp_path, monkeypatch, capsys
):
    from hypermax.spec import load_spec

    number = {"type": "number", "min": 0, "max": 1}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": number}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"name": "kept", "method": "random"},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    (tmp_path / "model.py").write_text(FAILING)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "results" / "kept"
    folder.mkdir(parents=True)
    spec_hash = load_spec("search.json").fingerprint()
    header = {"event": "header", "format": 1, "spec_hash": spec_hash, "seed": 5}
    (folder / "trials.jsonl").write_text(json.dumps(header) + "\n")

    assert main(["sample", "search.json", "-n", "2", "--seed", "9"]) == 0
    with_9 = capsys.readouterr()
    assert with_9.err == (
        "search.json: search.seed: 9 is not used: a resumed search keeps the seed it started "
        "with (5)\n"
    )
    assert main(["sample", "search.json", "-n", "2", "--seed", "5"]) == 0
    assert capsys.readouterr() == (with_9.out, "")  # the seed kept is the one sampled with


def test_the_trials_a_live_search_runs_now_are_not_sampled_as_its_next(
    tmp_path, monkeypatch, capsys
):
    from hypermax.results import ResultsFolder
    from hypermax.spec import load_spec

    number = {"type": "number", "min": 0, "max": 1}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": number}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"name": "live", "method": "random", "seed": 3},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    (tmp_path / "model.py").write_text(FAILING)
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "search.json", "-n", "3"]) == 0
    first, second, third = capsys.readouterr().out.splitlines()

    folder = ResultsFolder(tmp_path / "results" / "live")
    folder.path.mkdir(parents=True)
    spec_hash = load_spec("search.json").fingerprint()
    records = [{"event": "header", "format": 1, "spec_hash": spec_hash, "seed": 3}]
    for trial_id, line in ((1, first), (2, second)):
        params = json.loads(line)
        records.append(
            {"event": "trial_started", "id": trial_id, "params": params, "internal": params}
        )
    folder.journal.write_text("".join(json.dumps(r) + "\n" for r in records))
    folder.lock()  # this process runs the search: trials 1 and 2 run now
    try:
        assert main(["sample", "search.json", "-n", "1"]) == 0
        assert capsys.readouterr().out.splitlines() == [third]
    finally:
        folder.unlock()
    (folder.path / ".lock").unlink()  # its search stopped
    assert main(["sample", "search.json", "-n", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == [first]  # trial 1 runs again on resume


def test_without_a_seed_sample_says_which_it_drew(tmp_path, monkeypatch, capsys):
    import re

    number = {"type": "number", "min": 0, "max": 1}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": number}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"name": "unseeded", "method": "random"},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    (tmp_path / "model.py").write_text(FAILING)
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "search.json", "-n", "2"]) == 0
    drawn = capsys.readouterr()
    said = re.fullmatch(
        r"hypermax: no search\.seed: sampled with seed (\d+), drawn now; a search draws its "
        r"own \(--seed \1 runs these\)\n",
        drawn.err,
    )
    assert said, drawn.err
    assert main(["sample", "search.json", "-n", "2", "--seed", said.group(1)]) == 0
    assert capsys.readouterr() == (drawn.out, "")


def test_a_warm_started_search_is_sampled_after_the_trials_it_learns_from(
    tmp_path, monkeypatch, capsys
):
    number = {"type": "number", "min": 0, "max": 1}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": number}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"name": "warm", "method": "random", "seed": 4, "iterations": 2},
    }
    (tmp_path / "model.py").write_text("def train(params):\n    return params['x']\n")
    (tmp_path / "earlier.csv").write_text("loss,x\n0.5,0.5\n0.25,0.25\n0.75,0.75\n")
    (tmp_path / "search.json").write_text(json.dumps(doc))
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "search.json", "-n", "2"]) == 0
    cold = capsys.readouterr().out.splitlines()
    doc["search"]["warm_start"] = "earlier.csv"
    (tmp_path / "search.json").write_text(json.dumps(doc))
    assert main(["sample", "search.json", "-n", "2"]) == 0
    sampled = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sampled != [json.loads(line) for line in cold]  # trials 4 and 5, not 1 and 2

    hypermax.optimize("search.json")
    started = [
        r["params"]
        for r in journal_records(tmp_path / "results" / "warm")
        if r["event"] == "trial_started"
    ]
    assert started == sampled
