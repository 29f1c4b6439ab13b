"""A spec edited between runs: resuming says, one line each, what it does with the edits."""

from __future__ import annotations

import json

from conftest import X_SPACE, quadratic

from hypermax.cli import main


def _spec(tmp_path, method: str, seed: int):
    path = tmp_path / "search.json"
    doc = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": "s", "method": method, "iterations": 1, "seed": seed},
        "results": {"directory": str(tmp_path / "results")},
    }
    path.write_text(json.dumps(doc))
    return str(path)


def test_another_method_and_another_seed_on_resume_are_each_said_in_one_line(tmp_path, capsys):
    assert main([_spec(tmp_path, "random", 1), "--no-ui"]) == 0
    assert "search.method" not in capsys.readouterr().err
    assert main([_spec(tmp_path, "tpe", 2), "--no-ui", "--iterations", "2"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert (
        "search.json: search.method: tpe asks from now on (it was random), taught the trials done"
        in err
    )
    assert (
        "search.json: search.seed: 2 is not used: a resumed search keeps the seed it started "
        "with (1)"
    ) in err


def test_resume_from_a_frozen_spec_that_is_not_an_object_is_one_line(tmp_path, capsys):
    folder = tmp_path / "results" / "s"
    folder.mkdir(parents=True)
    (folder / "search.json").write_text("[]")
    assert main(["resume", str(folder), "--no-ui"]) == 2
    assert capsys.readouterr().err == f"{folder}/search.json: damaged (not a JSON object)\n"
