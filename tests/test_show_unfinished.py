"""``hypermax show`` tells a trial that runs from one whose hypermax is gone (killed mid-trial);
``export`` of such a search, with no trial finished, is a table of no rows with its columns."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys

from fake_trials.helpers import (
    assert_none_alive,
    fake_search,
    start_hypermax,
    started,
    wait_until,
    write_spec,
)


def _show(*args: str, command: str = "show") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hypermax", command, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_show_calls_the_trials_of_a_killed_search_unfinished_not_running(tmp_path, marker):
    spec = write_spec(
        tmp_path, fake_search("wait_for_go", marker, "cut", 4, go=tmp_path / "go", parallel=2)
    )
    results = tmp_path / "results" / "cut"
    hypermax = start_hypermax(spec)
    try:
        ids = [1, 2]
        up = [results / "trials" / str(i) / "up" for i in ids]
        wait_until(
            lambda: sorted(started(results)) == ids and all(f.exists() for f in up),
            30,
            "two trials",
        )
        assert "(2 running)" in _show(str(results))
        copy = shutil.copytree(results, tmp_path / "copy")  # its lock file names that hypermax
        assert "(2 unfinished)" in _show(str(copy))  # which runs the original, not the copy
        hypermax.send_signal(signal.SIGKILL)
        hypermax.wait(10)
    finally:
        hypermax.kill()
        hypermax.communicate()
    assert_none_alive(marker)
    summary = _show(str(results))
    assert "(2 unfinished)" in summary and "running" not in summary.splitlines()[0]
    assert "the search is not running" in summary
    assert _show(str(results), "--trial", "2").startswith("trial 2: unfinished")
    assert _show(str(results), command="export") == "trial,state,loss,time,peak_rss_mib,reason\n"
