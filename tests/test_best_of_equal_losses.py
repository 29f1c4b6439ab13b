"""Of trials with the same loss, the best is the one that reached it first: the progress line
keeps it when an earlier trial ends later with that loss, and best.json, ``show`` and the
closing line name the same one."""

from __future__ import annotations

import json

from conftest import run_cli_here
from fake_trials.helpers import fake, run_hypermax, write_spec


def test_an_equal_loss_ended_later_does_not_take_the_best(tmp_path):
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {
                "type": "executable",
                "command": fake("finish_after_second"),
                "parallel": 2,
            },
            "search": {"name": "tie", "iterations": 2, "method": "random"},
        },
    )
    done = run_hypermax(spec)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "best 0.5" in line]
    assert [line.split("trial ")[1].split()[0] for line in lines] == ["2", "1"]  # ended so
    assert all("best 0.5 (#2)" in line for line in lines), done.stdout
    assert "best loss 0.5 (trial 2)" in done.stdout
    folder = tmp_path / "results" / "tie"
    assert json.loads((folder / "best.json").read_text())["trial"] == 2
    shown = run_cli_here("show", str(folder), cwd=tmp_path).stdout
    assert "trial 2" in shown.split("best")[1].splitlines()[0], shown
