"""The plain console's closing line names the trials that failed, were killed or stopped, as the
dashboard's closing lines do: it said ``8 trials done`` of a search whose trials mostly failed."""

from __future__ import annotations

import re

from conftest import finished_records, model_spec, run_hypermax_here

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
