"""A report that diverged (a NaN or an infinite metric) is shown as the number it was, not as the
text the journal keeps it as."""

from __future__ import annotations

import json

from conftest import X_SPACE, run_cli_here

MODEL = """
def train(params, reporter):
    reporter(1, loss=0.5)
    reporter(2, loss=float("nan"), grad=float("-inf"))
    return {"loss": 0.5}
"""


def test_show_gives_a_diverged_report_its_number(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"name": "s", "iterations": 1, "method": "random"},
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    assert run_cli_here("run", "s.json", "--no-ui", cwd=tmp_path).returncode == 0
    shown = run_cli_here("show", "s.json", "--trial", "1", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    reports = lines[lines.index("reports: 2, the last 2:") + 1 :][:2]
    # before: loss="nan", grad="-inf", as a report that sent the text "nan"
    # as results.csv and the dashboard write them (not Python's json's NaN, -Infinity)
    assert reports == ["  step=1, loss=0.5", "  step=2, loss=nan, grad=-inf"]
