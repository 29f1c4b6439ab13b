"""A trial's recorded peak RSS is its own, not what its process carried from hypermax's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fake_trials.helpers import FAKES, finished, write_spec


def test_a_fresh_trial_does_not_take_the_peak_of_the_process_that_ran_the_search(
    tmp_path: Path,
) -> None:
    # a fresh python_function trial starts with vfork: until its exec it runs in the memory of
    # the process that started it, whose high-water mark (200 MiB and more) the kernel carries
    # into the trial's own ru_maxrss; the trial itself is a bare interpreter (about 10 MiB)
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {
            "type": "python_function",
            "src": str(FAKES / "functions.py"),
            "name": "fine",
            "preload": False,
        },
        "search": {"name": "peak", "method": "grid"},
    }
    spec = write_spec(tmp_path, doc)
    done = subprocess.run(
        [sys.executable, str(FAKES / "search_after_a_peak.py"), str(spec)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    trial = finished(tmp_path / "results" / "peak")[1]
    assert trial["state"] == "ok"
    assert 0 <= trial["peak_rss_mib"] < 100
