"""``hypermax sample`` prints what a search of the spec would run: N params for every method (one
that proposes nothing more while its own proposals run, NGOpt, goes on as if the earliest had
failed), after what a live search runs now, after the trials a warm start teaches; and it says
which seed it used when that is not the one given."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import journal_records

import hypermax
from hypermax.cli import main
from hypermax.results import ResultsFolder
from hypermax.spec import load_spec

FAILING = """
def train(params):
    raise ValueError("no loss")
"""
NUMBER = {"type": "number", "min": 0, "max": 1}


def write_search(tmp_path, monkeypatch, search: dict[str, Any], names: str = "x") -> None:
    """``search.json`` over the numbers ``names``, whose function fails; run from ``tmp_path``."""
    doc = {
        "hyperparameters": {"type": "object", "properties": {n: NUMBER for n in names}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": search,
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    (tmp_path / "model.py").write_text(FAILING)
    monkeypatch.chdir(tmp_path)


def sample(capsys, *args: str) -> tuple[list[str], str]:
    """``hypermax sample search.json ARGS``: its lines of params, and its stderr."""
    assert main(["sample", "search.json", *args]) == 0
    out, err = capsys.readouterr()
    return out.splitlines(), err


def started(folder: Path) -> list[str]:
    """The params of every trial started in the results ``folder``, as sample prints them."""
    records = journal_records(folder)
    return [json.dumps(r["params"]) for r in records if r["event"] == "trial_started"]


def write_journal(folder: Path, seed: int, trials: list[str] = ()) -> None:
    """A journal of ``search.json``'s search with ``seed``, ``trials`` (params) started."""
    folder.mkdir(parents=True)
    spec_hash = load_spec("search.json").fingerprint()
    records = [{"event": "header", "format": 1, "spec_hash": spec_hash, "seed": seed}]
    for trial_id, line in enumerate(trials, 1):
        params = json.loads(line)
        records.append(
            {"event": "trial_started", "id": trial_id, "params": params, "internal": params}
        )
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_ngopt_samples_n_params_those_a_search_whose_trials_fail_runs(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("nevergrad")
    write_search(
        tmp_path, monkeypatch, {"name": "ng", "method": "ngopt", "iterations": 3, "seed": 3}, "xy"
    )
    sampled, _ = sample(capsys, "-n", "3")
    assert len(set(sampled)) == 3
    hypermax.optimize("search.json")
    assert started(tmp_path / "results" / "ng") == sampled


def test_a_seed_the_results_folder_overrides_is_named_as_run_names_it(
    tmp_path, monkeypatch, capsys
):
    write_search(tmp_path, monkeypatch, {"name": "kept", "method": "random"})
    write_journal(tmp_path / "results" / "kept", seed=5)
    with_9 = sample(capsys, "-n", "2", "--seed", "9")
    assert with_9[1] == (
        "hypermax sample: --seed: 9 is not used: a resumed search keeps the seed it started "
        "with (5)\n"
    )
    assert sample(capsys, "-n", "2", "--seed", "5") == (with_9[0], "")  # the seed it used


def test_the_trials_a_live_search_runs_now_are_not_sampled_as_its_next(
    tmp_path, monkeypatch, capsys
):
    write_search(tmp_path, monkeypatch, {"name": "live", "method": "random", "seed": 3})
    (first, second, third), _ = sample(capsys, "-n", "3")
    folder = ResultsFolder(tmp_path / "results" / "live")
    write_journal(folder.path, 3, [first, second])
    folder.lock()  # this process runs the search: trials 1 and 2 run now
    try:
        assert sample(capsys, "-n", "1")[0] == [third]
    finally:
        folder.unlock()
    (folder.path / ".lock").unlink()  # its search stopped
    assert sample(capsys, "-n", "1")[0] == [first]  # trial 1 runs again on resume


def test_without_a_seed_sample_says_which_it_drew(tmp_path, monkeypatch, capsys):
    write_search(tmp_path, monkeypatch, {"name": "unseeded", "method": "random"})
    drawn, err = sample(capsys, "-n", "2")
    said = re.fullmatch(
        r"hypermax: no search\.seed: sampled with seed (\d+), drawn now; a search draws its "
        r"own \(--seed \1 runs these\)\n",
        err,
    )
    assert said, err
    assert sample(capsys, "-n", "2", "--seed", said.group(1)) == (drawn, "")


def test_a_warm_started_search_is_sampled_after_the_trials_it_learns_from(
    tmp_path, monkeypatch, capsys
):
    search = {"name": "warm", "method": "random", "seed": 4, "iterations": 2}
    write_search(tmp_path, monkeypatch, search)
    (tmp_path / "earlier.csv").write_text("loss,x\n0.5,0.5\n0.25,0.25\n0.75,0.75\n")
    cold, _ = sample(capsys, "-n", "2")
    write_search(tmp_path, monkeypatch, {**search, "warm_start": "earlier.csv"})
    sampled, _ = sample(capsys, "-n", "2")
    assert sampled != cold  # trials 4 and 5, not 1 and 2
    hypermax.optimize("search.json")
    assert started(tmp_path / "results" / "warm") == sampled


def test_a_search_stopped_before_its_first_trial_is_sampled_after_its_warm_start(
    tmp_path, monkeypatch, capsys
):
    """A run that stopped before its first trial (its warm start was not there yet) leaves no
    folder: the next run learns the warm start first, and so does sample."""
    search = {"name": "warm", "method": "random", "seed": 4, "iterations": 2}
    write_search(tmp_path, monkeypatch, {**search, "warm_start": "earlier.csv"})
    assert main(["search.json", "--no-ui"]) == 2  # no earlier.csv yet
    assert not (tmp_path / "results").exists()
    capsys.readouterr()
    (tmp_path / "earlier.csv").write_text("loss,x\n0.5,0.5\n0.25,0.25\n0.75,0.75\n")
    sampled, _ = sample(capsys, "-n", "2")
    hypermax.optimize("search.json")
    assert started(tmp_path / "results" / "warm") == sampled
