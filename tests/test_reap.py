"""wait_ended: a child's exit code once it has ended, None while it still runs."""

from __future__ import annotations

import subprocess
import sys

from hypermax.execution.reap import wait_ended


def test_an_ended_process_is_reaped_with_its_exit_code():
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert wait_ended(proc, 30) == 3
    assert proc.returncode == 3  # reaped: no zombie is left
    assert wait_ended(proc, 30) == 3  # and asking again answers the same


def test_a_process_still_running_at_the_timeout_is_none_and_left_running():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert wait_ended(proc, 0.2) is None
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
    assert wait_ended(proc, 30) == -9
