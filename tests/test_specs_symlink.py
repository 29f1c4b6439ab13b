"""A spec reached through a symlink: its relative paths start at the folder of the file it links
to, for the run as for validation (which already read them there)."""

from __future__ import annotations

import json
from pathlib import Path

from fake_trials.helpers import finished

from hypermax.cli import main
from hypermax.spec import load_spec


def linked_spec(tmp_path: Path) -> Path:
    """``elsewhere/search.json`` linking to ``project/search.json``, whose ``src`` is beside it."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "objective.py").write_text("def train(params):\n    return params['x']\n")
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [0.25]}}},
        "function": {"type": "python_function", "src": "objective.py", "name": "train"},
        "search": {"iterations": 1, "method": "random"},
        "results": {"directory": str(tmp_path / "results")},
    }
    (project / "search.json").write_text(json.dumps(spec))
    link = elsewhere / "search.json"
    link.symlink_to(project / "search.json")
    return link


def test_a_linked_spec_s_folder_is_the_folder_of_the_file_it_links_to(tmp_path):
    assert load_spec(linked_spec(tmp_path)).folder == tmp_path / "project"


def test_a_linked_spec_runs_its_src_from_beside_the_linked_file(tmp_path, monkeypatch, capsys):
    link = linked_spec(tmp_path)
    monkeypatch.chdir(link.parent)
    assert main(["validate", "search.json"]) == 0
    assert main(["run", "--no-ui", "search.json"]) == 0
    trials = finished(tmp_path / "results" / "search")
    assert [(r["state"], r["loss"]) for r in trials.values()] == [("ok", 0.25)]
