"""A trial that is stopped (SIGSTOP) when its time limit comes still handles its SIGTERM: the
kill ladder continues it, so its ``finally`` blocks run instead of waiting out the grace for
SIGKILL."""

from __future__ import annotations

from pathlib import Path

from test_exec_trials import _run, _train

from hypermax.trial import TrialState

STOPS_ITSELF = """
import os, signal, sys
from pathlib import Path

def train(params):
    def cleaned_up(signum, frame):
        Path(os.environ["CLEANED"]).write_text("SIGTERM handled")
        sys.exit(1)
    signal.signal(signal.SIGTERM, cleaned_up)
    os.kill(os.getpid(), signal.SIGSTOP)  # a debugger, a job control mishap
    return 0.5
"""


def test_a_stopped_trial_at_its_time_limit_handles_sigterm(tmp_path: Path) -> None:
    cleaned = tmp_path / "cleaned"
    function = _train(
        tmp_path,
        STOPS_ITSELF,
        auto_kill_max_time=0.5,
        kill_grace=30,
        preload=False,
        env={"CLEANED": str(cleaned)},
    )
    outcome = _run(tmp_path, **function)
    assert outcome.state is TrialState.KILLED
    assert cleaned.read_text() == "SIGTERM handled"
    log = (tmp_path / "logs" / "trial_1.log").read_text()
    assert "after SIGTERM" in log and "SIGKILL to" not in log
