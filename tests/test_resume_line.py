"""The line a search starts with says whether it resumes: a search that only had unfinished
trials (a crash before any trial ended) resumes, and says they run again; a new search
warm-started from another one's trials does not resume anything."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import quadratic

from hypermax import events as ev
from hypermax import search_folder
from hypermax.cli import main
from hypermax.trial import Trial, TrialState
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
        "hypermax: warm start: learned from 0 of 3 trials in out/first; 3 left out (the first: x: "
    )
    assert lines[1].endswith(" is outside [0.0, 1e-09])")


def test_a_warm_start_weighs_the_trials_it_learns_from_as_this_search_does(
    tmp_path, monkeypatch, capsys
):
    """The earlier search minimised ``loss``; this one maximises it: the optimizer must learn
    this search's losses, not the earlier ones of the other sign."""
    monkeypatch.chdir(tmp_path)
    assert run(capsys, write(tmp_path, "first"))[0] == 0
    code, _ = run(capsys, write(tmp_path, "second", warm_start="out/first", direction="max"))
    assert code == 0
    first = _losses(tmp_path / "out" / "first", "trial_finished")
    second = _losses(tmp_path / "out" / "second", "trial_imported")
    assert sorted(second) == sorted(-loss for loss in first) and any(first)


def _losses(folder: Path, event: str) -> list[float]:
    records = [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]
    return [r["loss"] for r in records if r.get("event") == event]


def test_a_warm_start_weighs_killed_and_stopped_trials_and_leaves_out_those_it_cannot(
    tmp_path,
):
    from hypermax.spec import spec_from_dict
    from hypermax.warmstart import Finished, with_this_loss

    doc = {
        "hyperparameters": SPACE,
        "function": quadratic(auto_kill_loss=5.0),
        "metrics": {"acc": {"direction": "increase", "weight": 2}},
        "search": {"iterations": 1},
    }
    spec = spec_from_dict(doc, tmp_path / "s.json")
    earlier = [
        Finished({"x": 0.1}, 1.0, state="killed"),  # the earlier search's auto_kill_loss: 1
        Finished({"x": 0.2}, -0.5, step=3, metrics={"acc": 0.5}, state="stopped"),
        Finished({"x": 0.3}, -0.7, metrics={"loss": 0.7}, metadata={"acc": 0.7}, state="ok"),
        Finished({"x": 0.4}, 0.2, metrics={"loss": 0.2}, state="ok"),  # returned no acc
        Finished({"x": 0.5}, 0.3),  # from a table: kept as it is
    ]
    weighed = with_this_loss(earlier, spec)
    plain = with_this_loss(earlier, spec_from_dict({**doc, "metrics": {}}, tmp_path / "s.json"))
    assert [f.loss for f in weighed] == [5.0, -1.0, -1.4, 0.2, 0.3]
    assert [f.unusable for f in weighed][:3] == [None, None, None]
    assert weighed[3].unusable is not None and "acc" in weighed[3].unusable
    assert [f.unusable is None for f in plain] == [True, False, True, True, True]


def test_a_resumed_search_past_its_loss_threshold_does_not_say_its_unfinished_trials_run_again(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    spec = write(tmp_path, "quad", loss_threshold=100.0)  # the first loss reaches it
    assert run(capsys, spec)[0] == 0
    journal = tmp_path / "out" / "quad" / "trials.jsonl"
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    started = next(r for r in records if r["event"] == "trial_started")
    # as a crash leaves it: trial 1 reached the threshold, trial 2 had started
    second = {**started, "id": 2}
    journal.write_text(journal.read_text() + json.dumps(second) + "\n")
    code, lines = run(capsys, spec)
    assert code == 0
    assert lines[1] == "resuming quad: 1 of 3 trials done", lines
    assert "loss threshold" in "\n".join(lines)
    ids = [json.loads(line).get("id") for line in journal.read_text().splitlines()]
    assert ids.count(2) == 1  # it did not run again


def test_a_resume_that_reads_a_long_journal_says_so_before_it_reads(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = write(tmp_path, "quad")
    assert run(capsys, spec)[0] == 0
    journal = tmp_path / "out" / "quad" / "trials.jsonl"
    assert main([spec, "--no-ui", "--iterations", "4"]) == 0
    assert "reading its journal" not in capsys.readouterr().err  # a short one: read at once
    monkeypatch.setattr(search_folder, "LONG_JOURNAL_BYTES", journal.stat().st_size)
    assert main([spec, "--no-ui", "--iterations", "5"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "hypermax: resuming quad: reading its journal (0 MiB)"
    assert main([spec, "--no-ui", "--fresh", "--iterations", "1"]) == 0
    assert "reading its journal" not in capsys.readouterr().err  # a fresh start reads none


def test_a_resumed_search_with_no_iterations_left_says_what_its_unfinished_trials_need(
    tmp_path, monkeypatch, capsys
):
    """It said "none left to run", and nothing of the trial a crash left unfinished that a
    resume with more iterations would run again."""
    monkeypatch.chdir(tmp_path)
    spec = write(tmp_path, "quad")
    assert run(capsys, spec)[0] == 0
    journal = tmp_path / "out" / "quad" / "trials.jsonl"
    # as a crash leaves it: trial 3 started and never finished
    kept = [
        line
        for line in journal.read_text().splitlines()
        if not (json.loads(line)["event"] == "trial_finished" and json.loads(line)["id"] == 3)
    ]
    journal.write_text("\n".join(kept) + "\n")
    code, lines = run(capsys, spec, "--iterations", "2")
    assert code == 0
    assert lines[1] == (
        "resuming quad: 2 trials done, iterations 2: none left to run; 1 interrupted trial does "
        "not run again (--iterations 3 runs it)"
    )
    state = DashboardState()  # the dashboard's message, of the same start
    done = tuple(Trial(i, {"x": 0.5}, {}, TrialState.OK, loss=0.25) for i in (1, 2))
    state.apply(ev.SearchStarted("quad", "tpe", 2, 1, Path("out/quad"), done, True, not_run=1))
    assert state.messages[-1] == (
        "resumed: 2 of 2 trials were done; 1 interrupted trial does not run again "
        "(--iterations 3 runs it)"
    )
