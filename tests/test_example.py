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
