"""``search.warm_start`` may name the results folder of an earlier search, as its schema says."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import X_SPACE, quadratic, run_cli


def _spec(folder: Path, name: str, **search: object) -> str:
    doc = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": name, "iterations": 2, **search},
        "results": {"directory": str(folder / "results")},
    }
    (folder / f"{name}.json").write_text(json.dumps(doc))
    return f"{name}.json"


def test_a_results_folder_warm_starts_from_its_journal(tmp_path):
    assert run_cli("run", _spec(tmp_path, "earlier"), "--no-ui", cwd=tmp_path).returncode == 0
    later = _spec(tmp_path, "later", warm_start="results/earlier")
    done = run_cli("run", later, "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # before: IsADirectoryError, an unexpected error
    journal = tmp_path / "results" / "later" / "trials.jsonl"
    events = [json.loads(line)["event"] for line in journal.open()]
    assert events.count("trial_imported") == 2


def test_a_folder_that_holds_no_results_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_cli("run", _spec(tmp_path, "later", warm_start="empty"), "--no-ui", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "empty: not a results folder (no trials.jsonl or results.csv)"
    )
    assert len(done.stderr.strip().splitlines()) == 1
