"""An executable stopped early may print reports before its SIGTERM lands (here: in answer to
it). Those come after the decision to stop it: they move neither its recorded step nor its loss,
nor feed the policy; they stay in its log, not in the journal."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import X_SPACE, finished_records, journal_records, run_cli_here, run_hypermax_here
from fake_trials.helpers import write_spec

#: trial 1 reports loss 0 at step 1 and ends; trial 2 reports loss 1 at step 1 (worse than the
#: median of trial 1: stopped), then waits, and reports step 2225 when hypermax's SIGTERM comes
REPORTS_ON_SIGTERM = """
import json, os, signal, sys, time
from pathlib import Path


def report(step, loss):
    print("HYPERMAX_REPORT " + json.dumps({"step": step, "loss": loss}), flush=True)


def stopped(signum, frame):
    report(2225, -100.0)
    sys.exit(143)


if Path(os.environ["HYPERMAX_TRIAL_DIR"]).name == "1":
    report(1, 0.0)
    print(0.0)
    sys.exit()
signal.signal(signal.SIGTERM, stopped)
report(1, 1.0)
time.sleep(30)
"""


def test_reports_after_the_stop_leave_the_record_and_the_policy_alone(tmp_path: Path) -> None:
    (tmp_path / "trial.py").write_text(REPORTS_ON_SIGTERM)
    median = {"policy": "median", "min_trials": 1, "grace_steps": 1}
    search = {"name": "s", "method": "random", "iterations": 2, "early_stopping": median}
    function = {"type": "executable", "command": [sys.executable, str(tmp_path / "trial.py")]}
    spec = write_spec(
        tmp_path, {"hyperparameters": X_SPACE, "function": function, "search": search}
    )
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "results" / "s"
    stopped = finished_records(folder)[2]
    assert (stopped["state"], stopped["step"], stopped["loss"]) == ("stopped", 1, 1.0)
    assert stopped["reason"] == "stopped at step 1: loss 1 worse than 0 (median of 1 at step 1)"
    reported = [
        (r["id"], r["step"]) for r in journal_records(folder) if r["event"] == "trial_reported"
    ]
    assert reported == [(1, 1), (2, 1)]
    assert '"step": 2225' in (folder / "logs" / "trial_2.log").read_text()  # not without a trace
    show = run_cli_here("show", str(folder), cwd=tmp_path)
    row = next(line.split() for line in show.stdout.splitlines() if line.split()[:1] == ["2"])
    assert row[2] == "stopped@1"
