"""The plain console's closing line names the trials that failed, were killed or stopped, as the
dashboard's closing lines do: it said ``8 trials done`` of a search whose trials mostly failed."""

from __future__ import annotations

import re

from conftest import finished_records, model_spec, run_hypermax_here

from hypermax import search
from hypermax.cli import main

FAILING = """
def train(params):
    if params["x"] < 0.5:
        raise ValueError("x below 0.5")
    return params["x"]
"""


def test_the_console_s_closing_line_says_how_many_trials_failed(tmp_path):
    spec = model_spec(
        tmp_path, FAILING, {"name": "f", "iterations": 8, "method": "random", "seed": 1}
    )
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    states = [r["state"] for r in finished_records(tmp_path / "results" / "f").values()]
    failed = states.count("failed")
    assert 0 < failed < 8, "the seed draws no x below 0.5, or only such"
    closing = next(line for line in done.stdout.splitlines() if "search ended" in line)
    assert re.fullmatch(
        rf"hypermax: search ended \(.+\); 8 trials done \({failed} failed\)", closing
    )


def test_a_dashboard_that_could_not_start_leaves_the_closing_lines_once(
    tmp_path, monkeypatch, capsys
):
    """The console that takes over from a dashboard that cannot start (or draw) prints the
    closing lines as the search ends; they were printed a second time once it returned."""
    monkeypatch.setattr(search, "use_dashboard", lambda spec, no_ui: True)  # chosen, no terminal
    spec = model_spec(tmp_path, FAILING, {"name": "f", "iterations": 3, "seed": 1})
    assert main(["run", str(spec)]) == 0
    captured = capsys.readouterr()
    assert "no dashboard (the input is not a terminal)" in captured.err
    closing = [line for line in captured.out.splitlines() if "search ended" in line]
    assert len(closing) == 1, captured.out
