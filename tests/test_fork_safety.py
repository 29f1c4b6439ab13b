"""The preload server forks no trial that a fork would hang: GNU OpenMP's thread pool, once a
parallel region ran in the server (scikit-learn, torch, LightGBM at import time), is missing
from a forked process, whose next parallel region then waits for it for ever."""

from __future__ import annotations

import subprocess
import sys

from conftest import fake_function_spec
from fake_trials.helpers import finished, run_hypermax

SEEN = """
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from hypermax.execution.fork_safety import gnu_openmp_pool
x, y = np.random.default_rng(0).random((2000, 5)), np.random.default_rng(1).random(2000)
print(gnu_openmp_pool())
HistGradientBoostingRegressor(max_iter=5).fit(x, y)
print(gnu_openmp_pool())
"""


def test_the_openmp_pool_is_seen_once_a_parallel_region_ran_and_not_before():
    done = subprocess.run(
        [sys.executable, "-c", SEEN], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"]


def test_a_module_that_ran_openmp_when_imported_starts_its_trials_fresh(tmp_path):
    imports = tmp_path / "imports"
    spec = fake_function_spec(
        tmp_path,
        "openmp_at_import.py",
        "f",
        {"name": "openmp", "iterations": 1},  # by the default method: x is not what counts
        env={"OMP_NUM_THREADS": "2", "OPENMP_IMPORTS": str(imports)},
        auto_kill_max_time=30,  # a trial that hangs is killed, and fails the test
    )
    done = run_hypermax(spec, timeout=120)
    assert done.returncode == 0, done.stderr
    results = tmp_path / "results" / "openmp"
    assert [t["state"] for t in finished(results).values()] == ["ok"]  # not hung, then killed
    assert len(imports.read_text().splitlines()) == 2  # the server's, then the trial's own
    log = (results / "logs" / "hypermax.log").read_text()
    assert "GNU OpenMP's thread pool hangs in a forked process" in log


def test_a_module_that_made_a_process_pool_when_imported_starts_its_trials_fresh(tmp_path):
    # the pool's queues and locks, made in the server, would be every forked trial's: the
    # second trial's tasks waited for ever on what the first left
    spec = fake_function_spec(
        tmp_path,
        "process_pool_at_import.py",
        "f",
        {"name": "pool", "iterations": 2},
        auto_kill_max_time=30,  # a trial that hangs is killed, and fails the test
    )
    done = run_hypermax(spec, timeout=120)
    assert done.returncode == 0, done.stderr
    results = tmp_path / "results" / "pool"
    assert [t["state"] for t in finished(results).values()] == ["ok", "ok"]
    log = (results / "logs" / "hypermax.log").read_text()
    assert "the module made multiprocessing locks or queues when imported" in log
