"""validate warns of each ``search.points`` entry the space cannot produce, which the search
would skip, and still passes the spec (the search runs without it)."""

from __future__ import annotations

import json

from conftest import X_SPACE

from hypermax.cli import main


def test_validate_warns_of_points_the_space_cannot_produce(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = {
        "hyperparameters": X_SPACE,
        "function": {"type": "executable", "command": ["true"]},
        "search": {"points": [{"x": 0.5}, {"x": 5}, {"y": 1}]},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    assert main(["validate", "s.json"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("s.json: ok (")
    assert captured.err.splitlines() == [
        "hypermax: warning: s.json: search.points.1: the space cannot produce it "
        "(x: 5 is outside [0.0, 1.0]); the search skips it",
        "hypermax: warning: s.json: search.points.2: the space cannot produce it "
        "(unknown parameter 'y'); the search skips it",
    ]
