"""``search.warm_start`` may name the results folder of an earlier search, as its schema says."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import X_SPACE, quadratic, run_cli_here

from hypermax.space import Space
from hypermax.warmstart import imported_trials, load_warm_start


def _spec(folder: Path, name: str, **search: object) -> str:
    doc = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": name, "iterations": 2, **search},
        "results": {"directory": str(folder / "results")},
    }
    (folder / f"{name}.json").write_text(json.dumps(doc))
    return f"{name}.json"


def test_a_results_folder_warm_starts_from_its_journal(tmp_path):
    assert run_cli_here("run", _spec(tmp_path, "earlier"), "--no-ui", cwd=tmp_path).returncode == 0
    later = _spec(tmp_path, "later", warm_start="results/earlier")
    done = run_cli_here("run", later, "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # before: IsADirectoryError, an unexpected error
    journal = tmp_path / "results" / "later" / "trials.jsonl"
    events = [json.loads(line)["event"] for line in journal.open()]
    assert events.count("trial_imported") == 2
    earlier = map(json.loads, (tmp_path / "results" / "earlier" / "trials.jsonl").open())
    ran = {r["loss"]: r for r in earlier if r["event"] == "trial_finished"}
    for record in map(json.loads, journal.open()):
        if record["event"] == "trial_imported":  # keeps what it took and returned there
            assert record["time"] == ran[record["loss"]]["time"] > 0
            assert record["metrics"] == ran[record["loss"]]["metrics"] != {}


def test_a_warm_start_of_the_search_s_own_folder_is_refused_by_validate_and_run_alike(tmp_path):
    """validate said the folder was not found, then run made it and learned from its empty
    journal, saying nothing: a warm start that taught nothing."""
    for warm_start in ("results/own", "results/own/results.csv"):
        spec = _spec(tmp_path, "own", warm_start=warm_start)
        where = "is" if warm_start.endswith("own") else "is in"
        said = (
            f"own.json: search.warm_start: {tmp_path / warm_start}: {where} this search's own "
            "results folder, which has no trials before its first: name an earlier search's, "
            "or move this one aside with --fresh to learn from its trials\n"
        )
        for command in ("validate", "run"):
            done = run_cli_here(command, spec, cwd=tmp_path)
            assert (done.returncode, done.stderr) == (2, said), command


def test_a_results_table_gives_each_imported_trial_the_time_it_took(tmp_path):
    (tmp_path / "results.csv").write_text(
        "trial,status,loss,time,x\n1,ok,0.5,12.5,0.1\n2,ok,0.25,,0.2\n3,ok,0.75,n/a,0.3\n"
    )
    read = load_warm_start(tmp_path, {"x"})
    ids = iter(range(1, 10))
    trials = imported_trials(Space(X_SPACE), read, lambda: next(ids))
    assert [(t.time, t.metrics) for t in trials] == [(12.5, {}), (None, {}), (None, {})]


def test_a_folder_that_holds_no_results_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_cli_here(
        "run", _spec(tmp_path, "later", warm_start="empty"), "--no-ui", cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "empty: not a results folder (no trials.jsonl or results.csv)"
    )
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_warm_start_that_is_no_results_file_is_one_line(tmp_path):
    """A named pipe waited for a writer for ever; a table of bytes that are not UTF-8 ended in
    an unexpected error."""
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "latin1.csv").write_bytes("trial,loss,é\n1,0.5,é\n".encode("latin-1"))
    (tmp_path / "data.csv").write_text("x,y\n0.5,3\n")  # was "learned from 0 of 0 trials"
    (tmp_path / "damaged.jsonl").write_text("{\n{}\n")  # was named as if it were the search's
    (tmp_path / "twice.csv").write_text("trial,loss,x,x\n1,0.5,0.1,0.9\n")  # x was 0.9
    for name, problem in (
        ("pipe.csv", "is a named pipe, not a warm start file"),
        ("latin1.csv", "not a results table ('utf-8' codec can't decode byte 0xe9 in position"),
        ("data.csv", "not a results table (no loss column)"),
        ("damaged.jsonl", "line 1: damaged journal record (not valid JSON)"),
        ("twice.csv", 'not a results table (the column "x" twice)'),
    ):
        spec = _spec(tmp_path, "later", warm_start=name)
        done = run_cli_here("run", spec, "--no-ui", cwd=tmp_path)
        assert (done.returncode, done.stdout) == (2, "")
        said = f"later.json: search.warm_start: {tmp_path / name}: {problem}"
        assert done.stderr.startswith(said), done.stderr
        assert len(done.stderr.splitlines()) == 1


def test_show_gives_an_imported_trial_of_unknown_time_no_time_and_no_log(tmp_path):
    from hypermax.show import summary_lines, trial_lines
    from hypermax.trial import Trial, TrialState

    imported = Trial(1, {"x": 0.1}, {"x": 0.1}, TrialState.IMPORTED, loss=0.5, reason="imported")
    ran = Trial(2, {"x": 0.2}, {"x": 0.2}, TrialState.OK, loss=0.7, time=0.0)
    table = summary_lines(tmp_path, [imported, ran], {}, top=10)[-2:]
    assert [line.split()[3] for line in table] == ["-", "0.0s"]  # unknown is not 0 seconds
    lines = trial_lines(imported, imported, tmp_path / "logs" / "trial_1.log")
    assert not any(line.startswith(("log:", "timings:")) for line in lines)
    lines = trial_lines(ran, imported, tmp_path / "logs" / "trial_2.log")
    assert lines[-3:] == [
        "timings:",
        "  time  0.000 s",
        f"log: {tmp_path / 'logs' / 'trial_2.log'} (not there)",
    ]


def test_trials_that_ended_without_a_loss_are_imported_to_teach_as_failed_ones(tmp_path):
    from hypermax.warmstart import warm_start_note

    (tmp_path / "t.csv").write_text(
        "trial,status,loss,x\n1,ok,0.5,0.1\n2,fail,,0.9\n3,running,,0.3\n4,ok,nan,0.4\n"
    )
    journal = tmp_path / "earlier" / "trials.jsonl"
    journal.parent.mkdir()
    records = [{"event": "header", "format": 1, "seed": 1, "spec_hash": "x"}]
    for i, state in enumerate(("ok", "failed", "interrupted"), 1):
        records.append({"event": "trial_started", "id": i, "params": {"x": i / 10}})
        loss = 0.25 if state == "ok" else None
        records.append({"event": "trial_finished", "id": i, "state": state, "loss": loss})
    journal.write_text("".join(json.dumps(r) + "\n" for r in records))
    # not running nor interrupted; ``ok`` with a NaN loss ended, and fails as it would here
    for source, failed in (("t.csv", [True, True]), ("earlier", [True])):
        read = load_warm_start(tmp_path / source, {"x"})
        trials = imported_trials(Space(X_SPACE), read, iter(range(1, 10)).__next__)
        assert [t.loss is None for t in trials] == [False, *failed]
        assert trials[1].reason == "imported: ended without a loss"
        n = 1 + len(failed)
        assert warm_start_note(trials, len(read), source, []) == (
            f"warm start: learned from {n} of {n} trials in {source} "
            f"({len(failed)} ended there without a loss)"
        )


def test_a_trial_whose_params_this_space_rounds_away_is_left_out(tmp_path):
    """An earlier trial of x 0.37 taught as one of x 0 (an integer now) would pair a loss with
    params that never ran it; one of x 1.0, or 0.30000000000000004 where the step is 0.1, is a
    value of the space and is kept, as it ran."""
    (tmp_path / "t.csv").write_text(
        "trial,status,loss,x,y\n1,ok,0.5,0.37,0.3\n2,ok,0.25,1.0,0.30000000000000004\n"
        "3,ok,0.75,0,0.36\n"
    )
    space = Space(
        {
            "type": "object",
            "properties": {
                "x": {"type": "integer", "min": 0, "max": 3},
                "y": {"type": "number", "min": 0, "max": 1, "rounding": 0.1},
            },
        }
    )
    left_out: list[str] = []
    read = load_warm_start(tmp_path / "t.csv", {"x", "y"})
    trials = imported_trials(space, read, iter(range(1, 10)).__next__, left_out)
    assert [(t.params, t.loss) for t in trials] == [({"x": 1, "y": 0.3}, 0.25)]
    assert left_out == [
        "x: 0.37 is not a value of this space, which rounds it to 0",
        "y: 0.36 is not a value of this space, which rounds it to 0.4",
    ]


def test_an_imported_loss_past_the_loss_threshold_does_not_end_the_search(tmp_path):
    """The loss threshold is one a trial of this search reaches: an earlier search's loss,
    which a warm start teaches, ended the search before it ran a trial."""
    (tmp_path / "t.csv").write_text("trial,status,loss,x\n1,ok,-1,0.5\n")
    later = _spec(tmp_path, "later", warm_start="t.csv", loss_threshold=-0.5)
    done = run_cli_here("run", later, "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "search ended (iterations done); 2 trials done" in done.stdout + done.stderr
    journal = tmp_path / "results" / "later" / "trials.jsonl"
    states = [r.get("state") for r in map(json.loads, journal.open()) if r["event"] != "header"]
    assert states.count("ok") == 2 and states.count("imported") == 1


def test_a_param_added_since_with_a_default_takes_it_as_a_point_does(tmp_path):
    """Trials of an earlier space, before ``y`` was searched: with a ``default`` (the value the
    program used before, say) they take it and are learned from; without one they are left
    out, as nothing says what they ran with."""
    (tmp_path / "t.csv").write_text("trial,status,loss,x\n1,ok,0.5,0.25\n")
    read = load_warm_start(tmp_path / "t.csv", {"x", "y"})
    y = {"type": "number", "min": 0, "max": 1}
    for node, kept in (({**y, "default": 0.75}, [{"x": 0.25, "y": 0.75}]), (y, [])):
        space = Space({"type": "object", "properties": {**X_SPACE["properties"], "y": node}})
        left_out: list[str] = []
        trials = imported_trials(space, read, iter(range(1, 10)).__next__, left_out)
        assert [t.params for t in trials] == kept
        assert left_out == ([] if kept else ['missing parameter "y"'])


def test_a_fresh_start_learns_from_its_own_folder_where_it_was_moved(tmp_path):
    """``--fresh`` with ``warm_start`` naming the search's own folder: start anew, learning
    from the trials it held, which the fresh start moved to ``s.1``, not from the new, empty
    folder."""
    assert run_cli_here("run", _spec(tmp_path, "s"), "--no-ui", cwd=tmp_path).returncode == 0
    again = _spec(tmp_path, "s", warm_start="results/s")
    done = run_cli_here("run", again, "--no-ui", "--fresh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    moved = tmp_path / "results" / "s.1"
    assert f"warm start: learned from 2 of 2 trials in {moved}" in done.stdout + done.stderr
    journal = tmp_path / "results" / "s" / "trials.jsonl"
    events = [json.loads(line)["event"] for line in journal.open()]
    assert events.count("trial_imported") == 2


def test_a_resumed_warm_started_search_runs_the_points_an_unbroken_one_runs(tmp_path):
    """A point equal to a trial the warm start imported runs in the search that imported it
    (its points were queued first): resumed before it ran, the search runs it too, instead of
    taking it for one it ran."""
    (tmp_path / "t.csv").write_text("trial,status,loss,x\n1,ok,0.5,0.25\n")
    points = [{"x": 0.5}, {"x": 0.25}]
    spec = _spec(tmp_path, "later", warm_start="t.csv", points=points, seed=1)
    for iterations in ("1", "2"):  # the first point (trial 2), then, resumed, the second
        done = run_cli_here("run", spec, "--no-ui", "--iterations", iterations, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    journal = tmp_path / "results" / "later" / "trials.jsonl"
    started = [r for r in map(json.loads, journal.open()) if r["event"] == "trial_started"]
    assert [(r["id"], r["params"]) for r in started] == [(2, {"x": 0.5}), (3, {"x": 0.25})]


def test_validate_refuses_a_warm_start_the_run_would_refuse(tmp_path):
    """``validate`` said ok to a warm start that is not there, which the run then refused."""
    spec = _spec(tmp_path, "later", warm_start="results/earlier")
    done = run_cli_here("validate", spec, cwd=tmp_path)
    assert done.returncode == 2
    missing = tmp_path / "results" / "earlier"
    assert done.stderr == (f"later.json: search.warm_start: {missing}: warm start file not found\n")
    assert run_cli_here("run", _spec(tmp_path, "earlier"), "--no-ui", cwd=tmp_path).returncode == 0
    done = run_cli_here("validate", spec, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # once the search learned from it and ran, a run no longer reads it: nor does validate
    assert run_cli_here("run", spec, "--no-ui", cwd=tmp_path).returncode == 0
    shutil.rmtree(missing)
    done = run_cli_here("validate", spec, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_closing_line_says_the_best_trial_was_imported_and_names_this_search_s_best(
    tmp_path,
):
    """The closing "best loss" line named an imported trial as if this search had run it
    (``best loss -1 (trial 1): x=0.1``), and nothing said what the search found itself."""
    (tmp_path / "ws.csv").write_text("trial,status,loss,time,x\n1,ok,-1,1.5,0.1\n")
    later = _spec(tmp_path, "later", warm_start="ws.csv", seed=3)
    done = run_cli_here("run", later, "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    journal = tmp_path / "results" / "later" / "trials.jsonl"
    ran = [r for r in map(json.loads, journal.open()) if r["event"] == "trial_finished"]
    own = min(ran, key=lambda r: r["loss"])
    closing = done.stdout.splitlines()[-2:]
    assert closing[0] == "best loss -1 (trial 1, imported from ws.csv): x=0.1"
    assert closing[1].startswith(
        f"best of this search: loss {own['loss']:.6g} (trial {own['id']}): x="
    )
    shown = run_cli_here("show", "results/later", cwd=tmp_path)
    assert "best loss -1 (trial 1, imported): x=0.1" in shown.stdout.splitlines()


def test_the_closing_line_names_the_folder_a_fresh_start_learned_from(tmp_path):
    """After ``--fresh`` moved the search's own folder aside, the warm start learned from
    ``s.1``, as its start line said, while the closing line named the imported best trial as
    ``imported from results/s``, the new folder, which never held it."""
    first = _spec(tmp_path, "s", points=[{"x": 1.0}])  # loss 0: the best of all
    assert run_cli_here("run", first, "--no-ui", cwd=tmp_path).returncode == 0
    doc = json.loads((tmp_path / first).read_text())
    doc["function"] = quadratic("anything")  # 0.5 whatever it tries
    doc["search"] = {"name": "s", "iterations": 1, "warm_start": "results/s"}
    (tmp_path / first).write_text(json.dumps(doc))
    done = run_cli_here("run", first, "--no-ui", "--fresh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    moved = tmp_path / "results" / "s.1"
    closing = done.stdout.splitlines()[-2]
    assert closing == f"best loss 0 (trial 1, imported from {moved}): x=1.0"
