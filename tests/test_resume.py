"""Nothing finished is lost: kill, resume, replay deterministically, refuse a changed spec."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import OBJECTIVES, finished_records, journal_records, run_cli_here

SPEC = {
    "hyperparameters": {
        "type": "object",
        "properties": {
            "x": {"type": "number", "min": -2, "max": 2},
            "k": {"type": "integer", "min": 0, "max": 5},
        },
    },
    "function": {"type": "python_function", "src": str(OBJECTIVES / "steady.py"), "name": "train"},
    "search": {"name": "steady", "seed": 21, "tpe": {"n_startup_jobs": 4}},
}


def _spec(write_spec, iterations: int, parallel: int = 1, **function) -> Path:
    doc = json.loads(json.dumps(SPEC))
    doc["search"]["iterations"] = iterations
    doc["function"].update(parallel=parallel, **function)
    return write_spec(doc)


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _kill_after(spec: Path, cwd: Path, folder: Path, finished: int) -> None:
    """Start hypermax, SIGKILL it once ``finished`` trials are in the journal."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hypermax", str(spec), "--no-ui"],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(
            lambda: (
                folder.joinpath("trials.jsonl").exists()
                and len(finished_records(folder)) >= finished
            )
        )
    finally:
        proc.kill()
        proc.wait()


def _proposals(folder: Path) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for record in journal_records(folder):
        if record["event"] == "trial_started":
            assert out.setdefault(record["id"], record["params"]) == record["params"]
    return out


def test_sigkill_then_resume_loses_nothing_and_stops_at_iterations(tmp_path, write_spec):
    spec = _spec(write_spec, iterations=14, parallel=2)
    folder = tmp_path / "results" / "steady"
    _kill_after(spec, tmp_path, folder, finished=5)
    before = finished_records(folder)
    assert len(before) >= 5

    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"resuming steady: {len(before)} of 14 trials done" in proc.stdout
    records = journal_records(folder)
    finishes = [r for r in records if r["event"] == "trial_finished"]
    assert len(finishes) == 14
    assert len({r["id"] for r in finishes}) == 14
    after = finished_records(folder)
    for trial_id, record in before.items():
        assert after[trial_id] == record
    _proposals(folder)  # a trial that ran again ran with the same params


def test_killed_and_resumed_search_proposes_what_an_unbroken_one_does(tmp_path, write_spec):
    unbroken = tmp_path / "unbroken"
    spec = write_spec(
        {
            **SPEC,
            "search": {**SPEC["search"], "iterations": 10},
            "results": {"directory": str(unbroken)},
        },
        "a.json",
    )
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0

    broken = tmp_path / "broken"
    gate = tmp_path / "gate"  # trial 6 and after wait for it: the kill comes before they end
    held = {"env": {"STEADY_GATE": str(gate), "STEADY_HOLD_FROM": "6"}}
    spec = write_spec(
        {
            **SPEC,
            "function": {**SPEC["function"], **held},
            "search": {**SPEC["search"], "iterations": 10},
            "results": {"directory": str(broken)},
        },
        "b.json",
    )
    _kill_after(spec, tmp_path, broken / "steady", finished=5)
    assert len(finished_records(broken / "steady")) == 5
    gate.touch()
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    assert _proposals(broken / "steady") == _proposals(unbroken / "steady")
    assert len(_proposals(unbroken / "steady")) == 10


def test_changed_space_is_refused_unless_fresh(tmp_path, write_spec):
    spec = _spec(write_spec, iterations=3)
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    doc = json.loads(spec.read_text())
    doc["hyperparameters"]["properties"]["x"]["max"] = 3
    spec.write_text(json.dumps(doc))
    folder = tmp_path / "results" / "steady"
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"{folder}: holds a search with another space, function or loss "
        "(hyperparameters.properties.x.max differs); use --fresh to start anew (the old folder "
        'is kept; "search": {"warm_start": "results/steady"} in search.json learns from its '
        "trials)"
    )
    proc = run_cli_here(str(spec), "--no-ui", "--fresh", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(finished_records(folder)) == 3
    assert len(finished_records(folder.with_name("steady.1"))) == 3
    assert proc.stderr == (
        f"hypermax: --fresh: the search that was in {folder} is now in {folder}.1\n"
    )


def test_the_fresh_line_writes_a_folder_s_control_characters_as_escapes(tmp_path, write_spec):
    """A results folder named with a newline split the --fresh line in two."""
    spec = _spec(write_spec, iterations=1)
    results = str(tmp_path / "odd\nresults")
    assert run_cli_here(str(spec), "--no-ui", "--results", results, cwd=tmp_path).returncode == 0
    proc = run_cli_here(str(spec), "--no-ui", "--fresh", "--results", results, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = f"{tmp_path}/odd\\nresults/steady"
    assert proc.stderr == (
        f"hypermax: --fresh: the search that was in {folder} is now in {folder}.1\n"
    )


def test_a_title_or_description_written_since_does_not_change_the_search(tmp_path, write_spec):
    """Free text for people: the space (a param named "title" is still a param), the metrics
    and the search stay the ones the folder holds, started with or without the text."""
    doc = json.loads(json.dumps(SPEC))
    doc["hyperparameters"]["properties"]["x"]["title"] = "the rate"
    doc["search"]["iterations"] = 2
    spec = write_spec(doc)
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    space = doc["hyperparameters"]
    space["description"] = "what the model takes"
    space["properties"]["x"].update(title="the learning rate", description="log would do")
    space["properties"]["k"]["title"] = "layers"
    doc["metrics"] = {"loss": {"min": 0, "max": 10, "title": "the loss"}}
    doc["search"]["iterations"] = 3
    spec.write_text(json.dumps(doc))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 2 and "(metrics differs)" in proc.stderr  # a loss of its own
    del doc["metrics"]
    spec.write_text(json.dumps(doc))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(finished_records(tmp_path / "results" / "steady")) == 3
    space["properties"]["title"] = {"enum": [1, 2]}  # a param of that name is part of the space
    spec.write_text(json.dumps(doc))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 2 and "(hyperparameters.properties.title differs)" in proc.stderr


def test_fresh_holds_the_folder_locked_while_it_moves_its_search_aside(
    tmp_path, write_spec, monkeypatch
):
    """A second hypermax on the same spec, coming while a fresh start moves the folder's
    search aside, finds the folder in use: it was for a moment nobody's (renamed, then made
    and locked again), and the second one took it."""
    from hypermax.errors import ResultsError
    from hypermax.results import ResultsFolder
    from hypermax.search_folder import prepare
    from hypermax.spec import load_spec

    spec = load_spec(_spec(write_spec, iterations=1))
    prepare(spec).folder.unlock()  # a search there, ended
    move_aside = ResultsFolder.move_aside
    meanwhile: list[BaseException] = []

    def and_another_comes(self: ResultsFolder) -> Path:
        moved = move_aside(self)
        try:
            prepare(load_spec(spec.path)).folder.unlock()
        except ResultsError as exc:
            meanwhile.append(exc)
        return moved

    monkeypatch.setattr(ResultsFolder, "move_aside", and_another_comes)
    prepared = prepare(spec, fresh=True)
    prepared.folder.unlock()
    folder = tmp_path / "results" / "steady"
    assert prepared.set_aside == folder.with_name("steady.1")
    assert [str(exc) for exc in meanwhile] == [
        f"{folder}: in use by another search of this process (pid {os.getpid()}): two searches"
        " cannot share a results folder"
    ]
    assert (folder / "trials.jsonl").exists() and (
        folder.with_name("steady.1") / "search.json"
    ).exists()


def test_a_fresh_start_interrupted_midway_leaves_the_search_where_it_was(
    tmp_path, write_spec, monkeypatch
):
    """Ctrl-C as a fresh start moves the folder's search aside, between two of its entries:
    what went is put back, and the search stays whole, to resume."""
    from hypermax.search_folder import prepare
    from hypermax.spec import load_spec

    spec = load_spec(_spec(write_spec, iterations=1))
    prepare(spec).folder.unlock()  # a search there, ended
    folder = tmp_path / "results" / "steady"
    before = sorted(os.listdir(folder))
    rename = os.rename
    renames: list[str] = []

    def ctrl_c_at_the_second(source: Any, target: Any) -> None:
        renames.append(str(source))
        if len(renames) == 2:
            raise KeyboardInterrupt  # as the signal's handler raises it, between two renames
        rename(source, target)

    monkeypatch.setattr(os, "rename", ctrl_c_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        prepare(spec, fresh=True)
    monkeypatch.undo()
    assert sorted(os.listdir(folder)) == before
    assert not folder.with_name("steady.1").exists()
    prepare(spec).folder.unlock()  # not locked: the interrupted start let it go


def test_fresh_does_not_move_aside_a_folder_holding_the_spec_or_the_current_folder(
    tmp_path, write_spec
):
    doc = {**SPEC, "search": {**SPEC["search"], "iterations": 1}}
    spec = write_spec(doc, name="my.json")
    work = tmp_path / "work"  # a new search starts in an empty folder only
    work.mkdir()
    assert run_cli_here(str(spec), ".", "--no-ui", cwd=work).returncode == 0
    spec = spec.rename(work / "my.json")  # the spec kept with its search since
    proc = run_cli_here(str(spec), str(work), "--no-ui", "--fresh", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (
        2,
        f"{work}: --fresh cannot move the results folder aside: it holds the spec work/my.json;"
        " give the search a folder of its own\n",
    )
    proc = run_cli_here(str(spec), ".", "--no-ui", "--fresh", cwd=work)
    assert (proc.returncode, proc.stderr) == (
        2,
        ".: --fresh cannot move the results folder aside: it holds the current folder; give the"
        " search a folder of its own\n",
    )
    assert spec.exists() and not work.with_name("work.1").exists()
    assert len(finished_records(work)) == 1


def test_more_iterations_resume_and_results_dir_forms(tmp_path, write_spec):
    spec = _spec(write_spec, iterations=3)
    folder = tmp_path / "results" / "steady"
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    proc = run_cli_here("resume", str(folder), "--no-ui", "--iterations", "5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "resuming steady: 3 of 5 trials done" in proc.stdout
    assert len(finished_records(folder)) == 5
    other = tmp_path / "elsewhere"
    proc = run_cli_here(str(spec), str(other), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(finished_records(other)) == 3


def _second_lock_refused(folder: Path, meanwhile: Callable[[], object] = lambda: None) -> str:
    """Why a second lock of ``folder`` is refused while a first holds it (after ``meanwhile``);
    the second lock is then taken once the first let go."""
    from hypermax.errors import ResultsError
    from hypermax.results import ResultsFolder

    first, second = ResultsFolder(folder), ResultsFolder(folder)
    first.lock()
    meanwhile()
    try:
        with pytest.raises(ResultsError) as refused:
            second.lock()
    finally:
        first.unlock()
    second.lock()
    second.unlock()
    return str(refused.value)


def test_a_second_search_of_the_same_process_on_a_folder_is_refused_saying_so(tmp_path):
    assert _second_lock_refused(tmp_path / "s") == (
        f"{tmp_path / 's'}: in use by another search of this process (pid {os.getpid()}): "
        "two searches cannot share a results folder"
    )


def test_a_lock_file_deleted_by_hand_does_not_let_a_second_search_in(tmp_path):
    deleted = (tmp_path / "s" / ".lock").unlink  # taken for a stale one
    assert _second_lock_refused(tmp_path / "s", deleted) == (
        f"{tmp_path / 's'}: in use by another hypermax (its .lock file was deleted)"
    )


def test_second_hypermax_on_the_same_folder_is_refused(tmp_path, write_spec):
    gate = tmp_path / "gate"
    spec = _spec(write_spec, iterations=2, env={"STEADY_GATE": str(gate)})
    folder = tmp_path / "results" / "steady"
    first = subprocess.Popen(
        [sys.executable, "-m", "hypermax", str(spec), "--no-ui"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: any(r["event"] == "trial_started" for r in _records_or_none(folder)))
        second = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
        assert second.returncode == 2
        host = os.uname().nodename
        assert (
            second.stderr.strip()
            == f"{folder}: in use by another hypermax (pid {first.pid} on {host})"
        )
        gate.touch()
        assert first.wait(timeout=60) == 0
    finally:
        gate.touch()
        if first.poll() is None:
            first.kill()
            first.wait()
    # the lock went with its holder: the folder is usable again
    assert run_cli_here(str(spec), "--no-ui", "--iterations", "3", cwd=tmp_path).returncode == 0


def _records_or_none(folder: Path) -> list[dict]:
    try:
        return journal_records(folder)
    except (FileNotFoundError, json.JSONDecodeError):
        return []


def test_stale_lock_of_a_killed_hypermax_is_taken_over(tmp_path, write_spec):
    gate = tmp_path / "gate"
    spec = _spec(write_spec, iterations=2, env={"STEADY_GATE": str(gate)})
    folder = tmp_path / "results" / "steady"
    first = subprocess.Popen([sys.executable, "-m", "hypermax", str(spec), "--no-ui"], cwd=tmp_path)
    _wait_for(lambda: any(r["event"] == "trial_started" for r in _records_or_none(folder)))
    first.send_signal(signal.SIGKILL)
    first.wait()
    gate.touch()
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(finished_records(folder)) == 2


def test_warm_start_learns_from_earlier_results_without_running_them(tmp_path, write_spec):
    first = _spec(write_spec, iterations=4)
    assert run_cli_here(str(first), "--no-ui", cwd=tmp_path).returncode == 0
    earlier = tmp_path / "results" / "steady" / "results.csv"
    hypermax_v0 = tmp_path / "old_results.csv"
    hypermax_v0.write_text(
        "trial,status,loss,time,x,k\n0,ok,0.5,1.2,0.1,2\n1,fail,,0.1,0.2,1\n2,ok,0.25,1.0,0.7,3\n"
    )
    # the failed row is imported too: it teaches the optimizer as a failed trial does
    for name, source, expected in (("warm", earlier, 4), ("warm_v0", hypermax_v0, 3)):
        doc = json.loads(json.dumps(SPEC))
        doc["search"].update(name=name, iterations=3, warm_start=str(source))
        spec = write_spec(doc, f"{name}.json")
        proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert f"warm start: learned from {expected} of {expected} trials" in proc.stdout
        records = journal_records(tmp_path / "results" / name)
        imported = [r for r in records if r["event"] == "trial_imported"]
        assert len(imported) == expected and all(r["state"] == "imported" for r in imported)
        assert len([r for r in records if r["event"] == "trial_started"]) == 3
        # resuming does not import again
        proc = run_cli_here(str(spec), "--no-ui", "--iterations", "4", cwd=tmp_path)
        assert (
            len(
                [
                    r
                    for r in journal_records(tmp_path / "results" / name)
                    if r["event"] == "trial_imported"
                ]
            )
            == expected
        )


def test_resume_may_change_parallel(tmp_path, write_spec):
    spec = _spec(write_spec, iterations=2)
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    proc = run_cli_here(str(spec), "--no-ui", "--parallel", "2", "--iterations", "4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(finished_records(tmp_path / "results" / "steady")) == 4


def test_the_files_made_ahead_for_trials_a_killed_hypermax_never_ran_go_at_the_next_start(
    tmp_path, write_spec
):
    spec = _spec(write_spec, iterations=1)
    folder = tmp_path / "results" / "steady"
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    for trial_id in (7, 8):  # as a SIGKILL leaves the trials made ahead: never started
        (folder / "trials" / str(trial_id)).mkdir()
        (folder / "trials" / str(trial_id) / ".hypermax_params.json").write_text("{}")
        (folder / "logs" / f"trial_{trial_id}.log").write_text("")
    (folder / "trials" / "8" / "notes.txt").write_text("not made by hypermax")
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in (folder / "trials").iterdir()) == ["1", "8"]
    logs = {p.name for p in (folder / "logs").iterdir()}
    assert {"trial_1.log", "trial_8.log"} <= logs and "trial_7.log" not in logs


def test_a_trial_that_runs_again_is_told_apart_from_its_last_run_in_its_log(tmp_path, write_spec):
    """A trial run again on resume (hypermax was killed while it ran) had its new output
    appended to its last run's with nothing between; a note of hypermax's says why it runs
    again, as the journal has it."""
    gate = tmp_path / "gate"
    (tmp_path / "twice.py").write_text(
        "import os, time\n"
        "def train(params):\n"
        "    print('the run starts', flush=True)\n"
        "    while not os.path.exists(os.environ['GATE']):\n"
        "        time.sleep(0.01)\n"
        "    return params['x']\n"
    )
    doc = json.loads(json.dumps(SPEC))
    doc["search"]["iterations"] = 1
    doc["function"].update(src=str(tmp_path / "twice.py"), env={"GATE": str(gate)})
    spec = write_spec(doc)
    log = tmp_path / "results" / "steady" / "logs" / "trial_1.log"
    first = subprocess.Popen([sys.executable, "-m", "hypermax", str(spec), "--no-ui"], cwd=tmp_path)
    try:
        _wait_for(lambda: log.exists() and "the run starts" in log.read_text())
    finally:
        first.kill()
        first.wait()
    gate.touch()
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # killed as the trial started, before the journal had its start, or after it
    why = (
        "its last run has no end in the journal (hypermax stopped while it ran)",
        "its last run is not in the journal (hypermax stopped as it started)",
    )
    assert log.read_text().splitlines() in (
        ["the run starts", "", f"[hypermax: trial 1 runs again: {reason}]", "the run starts"]
        for reason in why
    )


def test_a_bound_written_as_a_whole_float_since_does_not_change_the_search(tmp_path, write_spec):
    """``"max": 1`` and ``"max": 1.0`` bound the same values (a bound is read as a float): a
    spec rewritten so (a tool that writes floats, ``(0.0, 1.0)`` for ``(0, 1)`` in Python) was
    refused, ``hyperparameters.properties.x.max differs``. A search started with 1.0 resumes
    with 1.0 too, as it did."""
    doc = json.loads(json.dumps(SPEC))
    doc["search"]["iterations"] = 1
    x = doc["hyperparameters"]["properties"]["x"]
    spec = write_spec(doc)
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    for key in ("min", "max"):
        if isinstance(x.get(key), int):
            x[key] = float(x[key])
    doc["search"]["iterations"] = 2
    spec.write_text(json.dumps(doc))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(finished_records(tmp_path / "results" / "steady")) == 2
    # a journal whose hash took 2.0 as written (as hypermax did before) resumes with 2.0
    from hypermax.spec import _digest, load_spec, search_identity

    loaded = load_spec(spec)
    exact = search_identity(loaded.raw, "min", "loss", exact=True)
    journal = tmp_path / "results" / "steady" / "trials.jsonl"
    lines = journal.read_text().splitlines()
    header = {**json.loads(lines[0]), "spec_hash": _digest(exact)}
    assert header["spec_hash"] != loaded.fingerprint()
    journal.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    doc["search"]["iterations"] = 3
    spec.write_text(json.dumps(doc))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_a_src_written_another_way_to_the_same_path_does_not_change_the_search(
    tmp_path, write_spec
):
    """``"src": "./steady.py"`` for ``"steady.py"`` names the same file from the same folder:
    it was refused, ``function.src differs``."""
    import shutil

    shutil.copy(OBJECTIVES / "steady.py", tmp_path / "steady.py")
    doc = json.loads(json.dumps(SPEC))
    doc["search"]["iterations"] = 1
    doc["function"]["src"] = "steady.py"
    spec = write_spec(doc)
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    doc["search"]["iterations"] = 2
    doc["function"]["src"] = "./steady.py"
    spec.write_text(json.dumps(doc))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(finished_records(tmp_path / "results" / "steady")) == 2


def test_a_time_limit_raised_after_kills_is_refused_with_what_to_do(tmp_path):
    """Trials killed by ``auto_kill_max_time``, the limit raised, the spec run again: the
    refusal said only that the function differs; it says why a limit makes another search and
    how the new one learns from the old one's trials, which, done, it does."""
    from conftest import X_SPACE
    from fake_trials.helpers import fake, write_spec

    go = tmp_path / "go"  # never there on the first run: the trial waits, and is killed
    function = {"type": "executable", "command": fake("good"), "env": {"GO_FILE": str(go)}}
    doc = {
        "hyperparameters": X_SPACE,
        "function": {**function, "auto_kill_max_time": 0.2},
        "search": {"name": "s", "method": "random", "iterations": 1},
    }
    spec = write_spec(tmp_path, doc)
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 1  # every trial failed
    doc["function"]["auto_kill_max_time"] = 60
    spec = write_spec(tmp_path, doc)
    go.touch()
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 2
    folder = tmp_path / "results" / "s"
    assert proc.stderr == (
        f"{folder}: holds a search with another space, function or loss"
        " (function.auto_kill_max_time differs: a limit decides which trials it kills, and their"
        ' loss); use --fresh to start anew (the old folder is kept; "search": {"warm_start":'
        ' "results/s"} in search.json learns from its trials)\n'
    )
    doc["search"]["warm_start"] = "results/s"
    spec = write_spec(tmp_path, doc)
    proc = run_cli_here(str(spec), "--no-ui", "--fresh", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "learned from 1 of 1 trials in" in proc.stdout
    assert [r["state"] for r in finished_records(folder).values()] == ["ok"]
