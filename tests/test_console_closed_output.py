"""A search whose output's reader went away (``hypermax search.json --no-ui | head -1``) goes on
to its end; its console stops writing, and says so once in the search's log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import finished_records, model_spec


def _search_writing_to(tmp_path: Path, stdout: int) -> subprocess.CompletedProcess[str]:
    """A search of 4 trials, ``results/s``, its output to the file descriptor ``stdout``."""
    spec = model_spec(
        tmp_path,
        "def train(params):\n    return params['x']\n",
        {"method": "random", "iterations": 4, "name": "s"},
    )
    return subprocess.run(
        [sys.executable, "-m", "hypermax", str(spec), "--no-ui"],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=60,
    )


def test_a_search_whose_output_was_closed_runs_every_trial_and_logs_it_once(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = _search_writing_to(tmp_path, write_end)
    os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "s"
    assert sorted(finished_records(folder)) == [1, 2, 3, 4]
    log = (folder / "logs" / "hypermax.log").read_text()
    assert "Traceback" not in log
    assert log.count("the output's reader is gone") == 1


def test_a_search_whose_output_is_on_a_full_disk_runs_to_its_end_and_logs_it_once(tmp_path):
    """``hypermax search.json > /dev/full``: every line's write failed, and the search's log got
    a traceback for each of its events; the console stops writing, as for a reader gone."""
    with open("/dev/full", "w") as full:
        proc = _search_writing_to(tmp_path, full.fileno())
    folder = tmp_path / "results" / "s"
    assert sorted(finished_records(folder)) == [1, 2, 3, 4]
    log = (folder / "logs" / "hypermax.log").read_text()
    assert "Traceback" not in log
    assert log.count("the output cannot be written (No space left on device)") == 1
    assert proc.returncode == 0, proc.stderr
