"""A trial that takes the stop's signal (SIGUSR1) for itself, as ``faulthandler.register`` does
to dump its stack on demand, is still stopped at the report judged.

hypermax's verdict on a report often came while the trial was still writing it, before the
report's wait blocked the signal: the trial's own handler took it, the stop was lost, and the
trial trained on until the kill ladder (SIGTERM after its ``kill_grace``)."""

from __future__ import annotations

import json

from conftest import X_SPACE, finished_records, run_cli_here

MODEL = """
import os, signal, time
from pathlib import Path

def train(params, reporter):
    def took(signum, frame):
        Path(os.environ["HYPERMAX_TRIAL_DIR"], "took_the_signal").write_text("")
    signal.signal(signal.SIGUSR1, took)
    for epoch in range(1, 13):
        reporter(epoch, loss=params["x"] + 1 / epoch)
        time.sleep(0.01)
    return {"loss": params["x"]}
"""
#: with min_trials 2, trials 3 to 6 are judged against the earlier ones: 3, 5 and 6 stop
XS = [0.1, 0.2, 0.9, 0.05, 0.8, 0.3]


def test_a_trial_with_its_own_sigusr1_handler_stops_at_the_report_judged(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {
            "name": "s",
            "seed": 1,
            "iterations": len(XS),
            "points": [{"x": x} for x in XS],
            "early_stopping": {"policy": "median", "min_trials": 2},
        },
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    done = run_cli_here("run", "s.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "results" / "s"
    stopped = {i: r for i, r in finished_records(folder).items() if r["state"] == "stopped"}
    assert sorted(stopped) == [3, 5, 6]
    for trial_id, record in stopped.items():
        assert (record["step"], record["exit_code"]) == (1, 0), trial_id  # its report raised
        assert not (folder / "trials" / str(trial_id) / "took_the_signal").exists()
        assert "SIGTERM" not in (folder / "logs" / f"trial_{trial_id}.log").read_text()
