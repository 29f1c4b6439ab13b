"""Plugin optimizers: the example plugin passes the contract and runs a search from its folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import journal_records, quadratic, run_cli

from hypermax.testing import OptimizerContract

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class TestExamplePlugin(OptimizerContract):
    method = "local_search:LocalSearch"
    options = {"startup": 5}
    folder = EXAMPLES


def test_a_plugin_author_runs_the_contract_with_one_pytest_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_local_search.py"],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout


def test_a_search_runs_the_plugin_from_the_spec_folder_with_its_options(
    tmp_path: Path, write_spec: Any
) -> None:
    shutil.copy(EXAMPLES / "local_search.py", tmp_path / "local_search.py")
    spec = write_spec(
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": -4, "max": 4}},
            },
            "function": quadratic("train"),
            "search": {
                "name": "plugin",
                "method": "local_search:LocalSearch",
                "iterations": 12,
                "seed": 2,
                "local_search:LocalSearch": {"startup": 4, "step": 0.05},
            },
        }
    )
    result = run_cli(str(spec), "--no-ui", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    xs = [
        r["params"]["x"]
        for r in journal_records(tmp_path / "results" / "plugin")
        if r["event"] == "trial_started"
    ]
    assert len(xs) == 12
    # after 4 random trials, every step stays within a few steps (0.05 of the range) of the best
    best_before = [min(xs[:i], key=lambda x: (x - 1) ** 2) for i in range(4, 12)]
    assert all(abs(x - best) <= 4 * 0.05 * 8 for x, best in zip(xs[4:], best_before, strict=True))
