"""A trial forked from the preload server imports nothing its objective did not ask for: an
import there is paid again by every trial."""

from __future__ import annotations

from conftest import fake_function_spec, finished_records, run_hypermax_here


def test_a_forked_trial_imports_no_module_its_objective_did_not(tmp_path):
    """Every forked trial imported weakref (to look for the import's finalizers, which an
    objective that never imported it cannot have left): about 2 ms of CPU a trial."""
    search = {"name": "s", "iterations": 2, "method": "random"}
    spec = fake_function_spec(tmp_path, "modules_seen.py", "seen", search, preload=True)
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    trials = finished_records(tmp_path / "results" / "s")
    assert [t["metadata"]["imported"] for t in trials.values()] == [[], []]
