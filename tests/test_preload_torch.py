"""torch with preload: a module whose import ran a parallel torch operation is not forked (GNU
OpenMP's thread pool hangs in a forked process); one that only imports torch is."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="needs torch: pip install 'hypermax[gp]'")

from conftest import fake_function_spec
from fake_trials.helpers import finished, run_hypermax


def _search(tmp_path, op_at_import: bool) -> tuple[dict, int, str]:
    imports = tmp_path / "imports"
    env = {
        "OMP_NUM_THREADS": "2",
        "TORCH_OP_AT_IMPORT": "1" if op_at_import else "",
        "TORCH_IMPORTS": str(imports),
    }
    spec = fake_function_spec(
        tmp_path,
        "torch_at_import.py",
        "f",
        {"name": "torch", "method": "random", "iterations": 2},
        env=env,
        auto_kill_max_time=30,  # a trial that hangs is killed, and fails the test
    )
    done = run_hypermax(spec, timeout=120)
    assert done.returncode == 0, done.stderr
    results = tmp_path / "results" / "torch"
    log = results / "logs" / "hypermax.log"
    count = len(imports.read_text().splitlines())
    return finished(results), count, log.read_text() if log.exists() else ""


def test_a_module_that_ran_torch_in_parallel_when_imported_starts_its_trials_fresh(tmp_path):
    trials, imports, log = _search(tmp_path, op_at_import=True)
    assert [t["state"] for t in trials.values()] == ["ok", "ok"]  # not hung, then killed
    assert imports == 3  # the server's, then each trial's own
    assert "GNU OpenMP's thread pool hangs in a forked process" in log


def test_a_module_that_only_imports_torch_is_preloaded(tmp_path):
    trials, imports, log = _search(tmp_path, op_at_import=False)
    assert [t["state"] for t in trials.values()] == ["ok", "ok"]
    assert imports == 1  # the server's: the trials are forked from it
    assert "cannot preload" not in log
