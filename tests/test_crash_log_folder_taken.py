"""A search that crashes after its results folder was moved aside, and another hypermax took the
path, leaves the traceback in its own folder's log, not in the other search's."""

from __future__ import annotations

from pathlib import Path

from conftest import quadratic, run_cli
from test_journal_folder_taken import _OTHER

#: moves the results folder aside as it is told trial 1, lets another hypermax take the path
#: (``other.py``, which holds it until this one ends, its stdin closing), then breaks
MOVES_THEN_BREAKS = """
import os, pathlib, subprocess, sys

from hypermax.optimizers.hyperopt_based import RandomOptimizer

class MovesThenBreaks(RandomOptimizer):
    def tell(self, trial):
        super().tell(trial)
        if trial.id == 1:
            path = pathlib.Path("results", "taken")
            os.rename(path, "old")
            other = subprocess.Popen(
                [sys.executable, "other.py", str(path)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            assert other.stdout.readline() == "held\\n"
            raise RuntimeError("the model diverged")
"""


def test_a_crash_after_another_hypermax_took_the_folder_logs_in_this_searchs_own(
    tmp_path: Path, write_spec
) -> None:
    """The traceback was appended to ``logs/hypermax.log`` at the results folder's path: the
    other search's log; and the one line named that file."""
    (tmp_path / "my_optimizers.py").write_text(MOVES_THEN_BREAKS)
    (tmp_path / "other.py").write_text(_OTHER)
    space = {"type": "object", "properties": {"x": {"type": "number", "min": -4, "max": 4}}}
    spec = write_spec(
        {
            "hyperparameters": space,
            "function": quadratic("train"),
            "search": {"name": "taken", "iterations": 3, "method": "my_optimizers:MovesThenBreaks"},
        }
    )
    done = run_cli(str(spec), "--no-ui", cwd=tmp_path, timeout=60)
    assert done.returncode == 1, done.stderr
    path, old = tmp_path / "results" / "taken", tmp_path / "old"
    theirs = path / "logs" / "hypermax.log"
    assert not theirs.exists() or "the model diverged" not in theirs.read_text()
    ours = old / "logs" / "hypermax.log"
    assert done.stderr.splitlines()[-1] == (
        f"hypermax: unexpected error: RuntimeError: the model diverged (traceback in {ours})"
    )
    assert "Traceback (most recent call last)" in ours.read_text()
