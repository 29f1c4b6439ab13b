"""A trial's recorded peak RSS is its own, not what its process carried from hypermax's, even
when the trial ends before the watchdog's first look."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import run_cli_here
from fake_trials.helpers import FAKES, by_param, write_spec


def _search(preload: bool) -> dict[str, Any]:
    """Two trials that write 0 and 60 MiB, then return at once."""
    return {
        "hyperparameters": {"type": "object", "properties": {"mib": {"enum": [0, 60]}}},
        "function": {
            "type": "python_function",
            "src": str(FAKES / "memory_use.py"),
            "name": "use",
            "preload": preload,
        },
        "search": {"name": "peak", "method": "grid"},
    }


def test_a_fresh_trial_records_its_own_peak_not_that_of_the_process_that_ran_the_search(
    tmp_path: Path,
) -> None:
    # a fresh python_function trial starts with vfork: until its exec it runs in the memory of
    # the process that started it, whose high-water mark (200 MiB and more) the kernel carries
    # into the trial's ru_maxrss; each trial ends within a few tens of milliseconds
    spec = write_spec(tmp_path, _search(preload=False))
    done = subprocess.run(
        [sys.executable, str(FAKES / "search_after_a_peak.py"), str(spec)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    trials = by_param(tmp_path / "results" / "peak", "mib")
    assert {trial["state"] for trial in trials.values()} == {"ok"}
    bare, used = trials[0]["peak_rss_mib"], trials[60]["peak_rss_mib"]
    assert 1 < bare < 100  # an interpreter: not the 200 MiB the search's process once held
    assert 60 < used < 160  # what it wrote, which no sample of the watchdog saw


def test_a_forked_trial_records_its_peak_from_its_reaping_and_leaves_no_file_for_it(
    tmp_path: Path,
) -> None:
    # the preload server reaps its trials and reports each one's peak: a forked trial need not
    # leave it in a file (one file made per trial fewer); a fresh one still does
    spec = write_spec(tmp_path, _search(preload=True))
    done = run_cli_here("run", str(spec), "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "results" / "peak"
    trials = by_param(folder, "mib")
    assert {trial["state"] for trial in trials.values()} == {"ok"}
    bare, used = trials[0]["peak_rss_mib"], trials[60]["peak_rss_mib"]
    assert used > 60 and used - bare > 50  # what it wrote, which no sample of the watchdog saw
    trial_dirs = list((folder / "trials").iterdir())
    assert len(trial_dirs) == 2
    # nor its result, small: it went to hypermax over the trial's socket
    assert not any((d / ".hypermax_result.json").exists() for d in trial_dirs)
    assert not any((d / ".hypermax_peak").exists() for d in trial_dirs)
