"""Ctrl-C while a plugin optimizer's ask never returns: the search stops all the same."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

from fake_trials.helpers import (
    MARKER_ENV,
    assert_none_alive,
    at_default_signals,
    finished,
    new_marker,
    wait_until,
)

PLUGIN = textwrap.dedent(
    """
    import pathlib, threading
    from hypermax.optimizers import BaseOptimizer
    from hypermax.trial import Proposal

    class Stuck(BaseOptimizer):
        def ask(self, trial_id):
            if trial_id > 1:  # the second ask never returns
                pathlib.Path("asking").write_text(str(trial_id))
                threading.Event().wait()
            return Proposal(trial_id, self.space.decode({"x": 0.5}), {"x": 0.5})

        def tell(self, trial):
            pass
    """
)
OBJECTIVE = textwrap.dedent(
    """
    import os, time

    def train(params):
        open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "running"), "w").close()
        time.sleep(60)
        return 1.0
    """
)


def test_ctrl_c_during_a_plugin_s_endless_ask_stops_the_search_and_its_trials(tmp_path):
    """The search waited for the ask before it saw the interrupt: for ever, its trial running."""
    (tmp_path / "stuck.py").write_text(PLUGIN)
    (tmp_path / "model.py").write_text(OBJECTIVE)
    with new_marker() as marker:
        spec = {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {
                "type": "python_function",
                "src": "model.py",
                "name": "train",
                "parallel": 2,
                "env": {MARKER_ENV: marker},
            },
            "search": {"name": "s", "method": "stuck:Stuck", "iterations": 3},
        }
        (tmp_path / "search.json").write_text(json.dumps(spec))
        command = [sys.executable, "-m", "hypermax", "search.json", "--no-ui"]
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=at_default_signals,
        )
        try:
            wait_until(lambda: (tmp_path / "asking").exists(), 30, "the second ask")
            wait_until(lambda: list(tmp_path.glob("results/s/trials/1/running")), 30, "trial 1")
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            process.kill()
        assert process.returncode == 130, err
        assert "stuck:Stuck was still in ask(2) when interrupted: left running" in out, out
        assert [r["state"] for r in finished(tmp_path / "results" / "s").values()] == [
            "interrupted"
        ]
        assert_none_alive(marker)
