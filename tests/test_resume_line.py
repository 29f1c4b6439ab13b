"""The line a search starts with says whether it resumes: a search that only had unfinished
trials (a crash before any trial ended) resumes, and says they run again; a new search
warm-started from another one's trials does not resume anything."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import quadratic

from hypermax import events as ev
from hypermax.cli import main
from hypermax.ui.state import DashboardState

SPACE = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = main([*argv, "--no-ui"])
    return code, capsys.readouterr().out.splitlines()


def write(tmp_path, name: str, **search) -> str:
    doc = {
        "hyperparameters": SPACE,
        "function": quadratic(),
        "search": {"name": name, "iterations": 3, "seed": 1, **search},
        "results": {"directory": "out"},
    }
    (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    return f"{name}.json"


def test_a_search_whose_trials_all_were_running_at_a_crash_says_it_resumes(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    spec = write(tmp_path, "quad")
    assert run(capsys, spec)[0] == 0
    journal = tmp_path / "out" / "quad" / "trials.jsonl"
    # as a crash leaves it: trials 1 and 2 started, neither finished, trial 3 never started
    kept = []
    for line in journal.read_text().splitlines():
        record = json.loads(line)
        if record["event"] == "trial_finished" or record.get("id") == 3:
            continue
        kept.append(line)
    journal.write_text("\n".join(kept) + "\n")
    code, lines = run(capsys, spec)
    assert code == 0
    assert lines[1] == "resuming quad: 0 of 3 trials done, 2 unfinished run again"


def test_a_new_search_warm_started_from_another_does_not_say_it_resumes(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, write(tmp_path, "first"))[0] == 0
    code, lines = run(capsys, write(tmp_path, "second", warm_start="out/first"))
    assert code == 0
    assert not [line for line in lines if "resum" in line]
    assert "warm start: learned from 3 of 3 trials" in lines[1]


def test_the_dashboard_says_the_unfinished_trials_run_again():
    state = DashboardState()
    state.apply(ev.SearchStarted("quad", "tpe", 3, 1, Path("out/quad"), (), True, unfinished=1))
    assert state.messages[-1] == "resumed: 0 of 3 trials were done, 1 unfinished runs again"


def test_a_warm_start_says_why_it_left_trials_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, write(tmp_path, "first"))[0] == 0
    spec = json.loads((tmp_path / "first.json").read_text())
    spec["hyperparameters"]["properties"]["x"]["max"] = 1e-9  # none of first's x fits
    spec["search"] = {"name": "narrow", "iterations": 1, "warm_start": "out/first"}
    (tmp_path / "narrow.json").write_text(json.dumps(spec))
    code, lines = run(capsys, "narrow.json")
    assert code == 0
    assert lines[1].startswith(
        "hypermax: warm start: learned from 0 of 3 trials in out/first; 3 left out, their "
        "params not in this space (the first: x: "
    )
    assert lines[1].endswith(" is outside [0.0, 1e-09])")
