"""Ctrl-C in a script that runs hypermax.optimize: the trials are recorded, the script stops."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from fake_trials.helpers import finished, wait_until

SCRIPT = textwrap.dedent(
    """
    import os, time, hypermax

    def slow(params):
        open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "running"), "w").close()
        time.sleep(60)
        return 1.0

    try:
        hypermax.optimize(slow, space={"x": "0:1"}, iterations=4, parallel=2, results_dir="out")
    except KeyboardInterrupt as exc:
        print("KeyboardInterrupt:", exc.result.reason, len(exc.result.trials), flush=True)
        raise
    print("went on after the search", flush=True)
    """
)


def test_ctrl_c_records_the_trials_interrupted_and_raises_keyboard_interrupt(tmp_path):
    script = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        trials = tmp_path / "out" / "slow" / "trials"
        wait_until(lambda: len(list(trials.glob("*/running"))) == 2, 30, "two running trials")
        script.send_signal(signal.SIGINT)
        out, err = script.communicate(timeout=30)
    finally:
        script.kill()
    assert "went on after the search" not in out
    assert "KeyboardInterrupt: interrupted 2" in out, err
    last = err.rstrip().splitlines()[-1]
    assert last == (
        "hypermax.api.SearchInterrupted: the search in out/slow was interrupted: its trials "
        "are recorded, and optimize() with the same arguments resumes it"
    ), err
    assert script.returncode != 0
    states = [r["state"] for r in finished(tmp_path / "out" / "slow").values()]
    assert states == ["interrupted", "interrupted"]
