"""The README's main job: search.example.json validates and runs."""

from __future__ import annotations

from pathlib import Path

from conftest import finished_records, run_cli

ROOT = Path(__file__).resolve().parents[1]


def test_example_spec_runs_a_few_trials(tmp_path):
    proc = run_cli(
        "run",
        str(ROOT / "search.example.json"),
        "--no-ui",
        "--iterations",
        "3",
        "--results",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    finished = finished_records(tmp_path / "example")
    assert [r["state"] for r in finished.values()] == ["ok"] * 3
    assert all(set(r["loss_terms"]) == {"auc", "time"} for r in finished.values())
    assert finished[1]["metrics"]["auc"] > 0.9  # the defaults are a sound classifier


def test_the_example_plugin_refuses_a_step_that_is_not_positive_as_the_readme_says(tmp_path):
    """The README quotes its ``step must be positive, got -1``; the plugin took any step."""
    import json
    import shutil

    shutil.copy(ROOT / "examples" / "local_search.py", tmp_path / "local_search.py")
    spec = tmp_path / "search.json"
    method = "local_search:LocalSearch"
    spec.write_text(
        json.dumps(
            {
                "hyperparameters": {
                    "type": "object",
                    "properties": {"x": {"type": "number", "min": 0, "max": 1}},
                },
                "function": {"type": "executable", "command": ["true"]},
                "search": {"method": method, method: {"step": -1}},
            }
        )
    )
    proc = run_cli("validate", str(spec), cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (
        2,
        "search.json: search.local_search:LocalSearch: step must be positive, got -1\n",
    )
