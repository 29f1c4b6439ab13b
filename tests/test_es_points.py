"""``search.points`` that repeat each other or the space's defaults run once, in a new search as
in a resumed one (which always left out the points it had run)."""

from __future__ import annotations

import json

from conftest import journal_records, run_cli

MODEL = """
def train(params):
    return params["x"] + params["y"]
"""


def test_points_equal_to_the_defaults_or_to_each_other_run_once(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    number = {"type": "number", "min": 0, "max": 1}
    doc = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {**number, "default": 0.5}, "y": {**number, "default": 0.25}},
        },
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {
            "name": "points",
            "iterations": 3,
            "method": "random",
            "seed": 1,
            "points": [{"x": 0.5, "y": 0.25}, {"x": 0.1, "y": 0.2}, {"x": 0.1, "y": 0.2}],
        },
        "results": {"directory": "results"},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    done = run_cli("run", "search.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    started = [
        r["params"]
        for r in journal_records(tmp_path / "results" / "points")
        if r["event"] == "trial_started"
    ]
    assert started[:2] == [{"x": 0.5, "y": 0.25}, {"x": 0.1, "y": 0.2}]
    assert len(started) == 3 and started[2] not in started[:2]  # before: the defaults 3 times
