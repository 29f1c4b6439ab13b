"""A search whose warm start is refused (a table without a loss, a file not there) leaves no
results folder behind: the next run, its spec mended or its space changed, starts anew."""

from __future__ import annotations

import json

from conftest import quadratic, run_hypermax_here


def _spec(tmp_path, warm_start, x_max=1):
    spec = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": x_max}},
        },
        "function": quadratic(),
        "search": {"name": "w", "iterations": 1, "seed": 1, "warm_start": warm_start},
        "results": {"directory": "res"},
    }
    path = tmp_path / "search.json"
    path.write_text(json.dumps(spec))
    return path


def test_a_refused_warm_start_leaves_no_folder_and_the_next_run_starts_anew(tmp_path):
    (tmp_path / "bad.csv").write_text("x,y\n0.5,2\n")
    (tmp_path / "good.csv").write_text("loss,x\n0.01,0.5\n")
    for refused in ("bad.csv", "missing"):
        done = run_hypermax_here(_spec(tmp_path, refused))
        assert done.returncode == 2, done.stderr
        assert "search.warm_start" in done.stderr
        assert not (tmp_path / "res").exists()
    (tmp_path / "res").mkdir()  # a folder the user made stays, empty as it was
    done = run_hypermax_here(_spec(tmp_path, "bad.csv"))
    assert done.returncode == 2, done.stderr
    assert list((tmp_path / "res").iterdir()) == []
    # mended, and with another space: a new search, which learns from the table
    done = run_hypermax_here(_spec(tmp_path, "good.csv", x_max=2))
    assert done.returncode == 0, done.stderr
    assert "learned from 1 of 1 trials" in done.stdout + done.stderr


def test_optimize_with_a_refused_warm_start_leaves_no_folder(tmp_path, monkeypatch):
    import pytest

    import hypermax
    from hypermax.warmstart import WarmStartError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.csv").write_text("x,y\n0.5,2\n")
    space = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}
    with pytest.raises(WarmStartError, match="no loss column"):
        hypermax.optimize(
            abs, space=space, iterations=1, results_dir="res", search={"warm_start": "bad.csv"}
        )
    assert not (tmp_path / "res").exists()
