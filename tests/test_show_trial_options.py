"""``hypermax show --trial N`` shows one trial: the options of the summary (``--importance``,
``--top``) beside it are refused in one line, not ignored."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli_here


def _folder(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    lines = [{"event": "header", "format": 1}]
    for i in range(1, 4):
        lines.append({"event": "trial_started", "id": i, "params": {"x": i / 10}})
        lines.append({"event": "trial_finished", "id": i, "state": "ok", "loss": i / 10})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder


@pytest.mark.parametrize("option", [["--importance"], ["--top", "3"]])
def test_a_summary_option_beside_trial_is_refused(tmp_path, option):
    _folder(tmp_path)
    done = run_cli_here("show", "r", "--trial", "2", *option, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert option[0] in done.stderr and "--trial" in done.stderr


def test_trial_alone_and_the_summary_options_still_work(tmp_path):
    _folder(tmp_path)
    assert run_cli_here("show", "r", "--trial", "2", cwd=tmp_path).stdout.startswith("trial 2")
    done = run_cli_here("show", "r", "--top", "1", "--importance", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "importance" in done.stdout.lower()
