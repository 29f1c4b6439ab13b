"""``hypermax sample`` prints what the search would run next: the space's defaults and the spec's
points first, and, where the spec's results folder holds its search, what comes after its trials
(with the seed that search keeps)."""

from __future__ import annotations

import json

from conftest import finished_records, quadratic, run_cli

import hypermax
from hypermax.cli import main

SPEC = {
    "hyperparameters": {
        "type": "object",
        "properties": {
            "x": {"type": "number", "min": -2, "max": 2, "default": 0.5},
            "opt": {"enum": ["adam", "sgd"]},
        },
    },
    "function": quadratic(),
    "search": {"name": "next", "method": "random", "points": [{"x": 1.5, "opt": "sgd"}]},
}


def sample(capsys, n: int) -> list[dict]:
    assert main(["sample", "search.json", "-n", str(n)]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sample_gives_the_params_the_search_runs_and_then_goes_on_from_its_results(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "search.json").write_text(json.dumps(SPEC))  # no seed: the journal keeps one
    monkeypatch.chdir(tmp_path)
    first = sample(capsys, 2)
    assert first == [{"x": 0.5, "opt": "adam"}, {"x": 1.5, "opt": "sgd"}]  # defaults, points

    hypermax.optimize("search.json", iterations=3)
    capsys.readouterr()  # its progress lines
    journal = (tmp_path / "results" / "next" / "trials.jsonl").read_text().splitlines()
    started = [json.loads(line) for line in journal if '"trial_started"' in line]
    assert [r["params"] for r in started[:2]] == first
    assert len(finished_records(tmp_path / "results" / "next")) == 3

    coming = sample(capsys, 2)
    assert coming == sample(capsys, 2)  # the seed the search keeps, not a new one each time
    assert coming[0] not in [r["params"] for r in started]
    hypermax.optimize("search.json", iterations=5)
    journal = (tmp_path / "results" / "next" / "trials.jsonl").read_text().splitlines()
    started = [json.loads(line) for line in journal if '"trial_started"' in line]
    assert [r["params"] for r in started[3:]] == coming


def test_a_folder_of_another_search_is_left_aside_saying_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "results" / "next"  # as the spec names it
    folder.mkdir(parents=True)
    header = {"event": "header", "format": 1, "spec_hash": "another", "seed": 3}
    (folder / "trials.jsonl").write_text(json.dumps(header) + "\n")
    (tmp_path / "search.json").write_text(json.dumps(SPEC))
    assert sample(capsys, 1) == [{"x": 0.5, "opt": "adam"}]
    main(["sample", "search.json", "-n", "1"])
    left_aside, drawn = capsys.readouterr().err.splitlines()
    assert left_aside == (
        "hypermax: results/next holds a search with another space, function or loss: not used"
    )
    assert drawn.startswith("hypermax: no search.seed: sampled with seed ")  # not its seed 3


def test_params_beyond_the_iterations_left_are_printed_saying_the_search_would_not_run_them(
    tmp_path, monkeypatch, capsys
):
    spec = {**SPEC, "search": {**SPEC["search"], "iterations": 2, "seed": 1}}
    (tmp_path / "search.json").write_text(json.dumps(spec))
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "search.json", "-n", "2"]) == 0
    assert capsys.readouterr().err == ""  # as many as the search runs: nothing to say
    assert main(["sample", "search.json", "-n", "3"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3  # what was asked for
    assert err == "hypermax: search.iterations is 2: a search runs only the first 2 of these\n"


def test_sample_writes_a_param_name_beyond_ascii_as_it_is_written(tmp_path):
    """``sample`` wrote ``{"\\u03bb": 0.1}`` where ``show`` and results.csv say ``λ``; it
    writes the name as the spec does, in UTF-8 whatever the locale."""
    doc = {
        "hyperparameters": {"type": "object", "properties": {"λ": {"enum": [0.25]}}},
        "function": quadratic(),
        "search": {"name": "uni", "iterations": 1},
    }
    (tmp_path / "uni.json").write_text(json.dumps(doc), encoding="utf-8")
    for lang in ("C.UTF-8", "C"):
        env = {"LC_ALL": lang, "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}
        done = run_cli("sample", "uni.json", "-n", "1", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.encode() == '{"λ": 0.25}\n'.encode(), lang
