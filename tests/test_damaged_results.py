"""Results folders damaged between runs: lines of the journal repeated, parts of the folder
missing or in the way. A resume reads what is there, runs no finished trial again and names what
stops it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_hypermax_here
from fake_trials.helpers import fake_search, finished, write_spec

from hypermax.cli import main
from hypermax.errors import ResultsError
from hypermax.journal import Journal
from hypermax.journal_records import read_header, read_records
from hypermax.journal_replay import replay
from hypermax.results import ResultsFolder
from hypermax.trial import TrialState

X_SPACE = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}


def _write_journal(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def _started(trial_id: int, x: float) -> dict:
    return {"event": "trial_started", "id": trial_id, "params": {"x": x}, "internal": {"x": x}}


def _finished(trial_id: int, state: str, loss: float | None) -> dict:
    return {"event": "trial_finished", "id": trial_id, "state": state, "loss": loss}


def test_a_start_line_repeated_after_its_trial_ended_does_not_run_it_again(tmp_path):
    journal = tmp_path / "trials.jsonl"
    header = {"event": "header", "format": 1, "name": "dup", "seed": 1}
    ended = [
        _started(1, 0.5),
        _finished(1, "ok", 0.25),
        _started(2, 0.1),
        _finished(2, "failed", None),
    ]
    # a line copied by hand (or by a careless merge of two journals) to the end
    _write_journal(journal, [header, *ended, _started(1, 0.5), _started(2, 0.1)])
    state = replay(read_records(journal), journal)
    assert state.unfinished == []
    assert [(t.id, t.state, t.loss) for t in state.finished] == [
        (1, TrialState.OK, 0.25),
        (2, TrialState.FAILED, None),
    ]


def test_an_imported_trial_copied_after_a_trial_of_its_id_ended_is_passed_over(tmp_path):
    """A ``trial_imported`` line of another journal, appended, took the place of the trial of
    its id that ran here (or that was imported before it): its end, params and state."""
    journal = tmp_path / "trials.jsonl"
    header = {"event": "header", "format": 1, "name": "dup", "seed": 1}

    def imported(trial_id: int, x: float, loss: float) -> dict:
        params = {"x": x}
        return {
            "event": "trial_imported",
            "id": trial_id,
            "params": params,
            "internal": params,
            "state": "imported",
            "loss": loss,
        }

    ran = [_started(1, 0.5), _finished(1, "ok", 0.25), imported(2, 0.2, 0.5)]
    _write_journal(journal, [header, *ran, imported(1, 0.9, 0.01), imported(2, 0.8, 0.02)])
    state = replay(read_records(journal), journal)
    assert [(t.id, t.params, t.state, t.loss) for t in state.trials.values()] == [
        (1, {"x": 0.5}, TrialState.OK, 0.25),
        (2, {"x": 0.2}, TrialState.IMPORTED, 0.5),
    ]


def test_the_records_of_a_run_copied_after_its_trial_ended_are_passed_over(tmp_path):
    journal = tmp_path / "trials.jsonl"
    header = {"event": "header", "format": 1, "name": "dup", "seed": 1}
    report = {"event": "trial_reported", "id": 1, "step": 1, "metrics": {"loss": 0.9}}
    first = [_started(1, 0.5), report, _finished(1, "ok", 0.25)]
    # another journal's trial 1, appended: it was recorded with the params of the first and
    # the end of the second, and the reports of both
    other = [_started(1, 0.1), {**report, "metrics": {"loss": 0.3}}, _finished(1, "failed", None)]
    _write_journal(journal, [header, *first, *other])
    (trial,) = replay(read_records(journal), journal).trials.values()
    assert (trial.params, trial.state, trial.loss) == ({"x": 0.5}, TrialState.OK, 0.25)
    assert trial.reports == ({"step": 1, "loss": 0.9},)


def test_a_trial_interrupted_or_running_at_a_crash_still_runs_again(tmp_path):
    journal = tmp_path / "trials.jsonl"
    header = {"event": "header", "format": 1, "name": "again", "seed": 1}
    records = [_started(1, 0.5), _finished(1, "interrupted", None), _started(1, 0.5)]
    _write_journal(journal, [header, *records, _started(2, 0.1)])
    state = replay(read_records(journal), journal)
    assert [(t.id, t.state) for t in state.unfinished] == [
        (1, TrialState.RUNNING),
        (2, TrialState.RUNNING),
    ]


@pytest.mark.parametrize("part", ["trials", "logs"])
def test_a_file_in_place_of_a_part_of_the_folder_is_named(tmp_path, part):
    folder = ResultsFolder(tmp_path / "s")
    folder.create()
    (tmp_path / "s" / part).rmdir()
    (tmp_path / "s" / part).write_text("")
    with pytest.raises(ResultsError) as raised:
        folder.lock()
    where = tmp_path / "s"
    assert str(raised.value) == (
        f"{where}: cannot make the results folder: {where / part} is a file, not a folder"
    )  # not "File exists", as if the results folder were the file


def test_a_view_that_cannot_be_written_is_said_and_the_search_still_ends_well(tmp_path, marker):
    spec = write_spec(tmp_path, fake_search("good", marker, "views", 2))
    folder = tmp_path / "results" / "views"
    (folder / "best.json").mkdir(parents=True)  # in the way of the view
    result = run_hypermax_here(spec)
    assert result.returncode == 0, result.stderr  # it was "unexpected error", exit 1
    said = f"hypermax: cannot write {folder / 'best.json'}: Is a directory"
    assert said in result.stdout + result.stderr
    assert "unexpected error" not in result.stderr
    assert [r["state"] for r in finished(folder).values()] == ["ok", "ok"]
    assert len((folder / "results.csv").read_text().splitlines()) == 3  # written before it


def _spec_of_one_trial(tmp_path: Path) -> Path:
    function = {"type": "executable", "command": ["true"]}
    doc = {"hyperparameters": X_SPACE, "function": function, "search": {"name": "s"}}
    return write_spec(tmp_path, doc)


def test_a_frozen_spec_that_cannot_be_written_or_read_is_one_line_naming_it(tmp_path, capsys):
    spec = _spec_of_one_trial(tmp_path)
    frozen = tmp_path / "results" / "s" / "search.json"
    frozen.mkdir(parents=True)  # in the way of the frozen spec
    assert main(["run", str(spec), "--no-ui"]) == 2  # it was "unexpected error", exit 1
    assert capsys.readouterr().err == f"{frozen}: cannot be written: Is a directory\n"
    assert main(["resume", str(frozen.parent), "--no-ui"]) == 2
    assert capsys.readouterr().err == f"{frozen}: cannot read it: Is a directory\n"


@contextlib.contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """``path`` may not be changed, not even by root (the test is skipped where that cannot be
    made so: it takes root's CAP_LINUX_IMMUTABLE)."""
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("part", ["", "trials.jsonl"])
def test_a_results_folder_or_journal_that_cannot_be_written_is_one_line_naming_it(
    tmp_path, capsys, part
):
    spec = _spec_of_one_trial(tmp_path)
    folder = tmp_path / "results" / "s"
    ResultsFolder(folder).create()
    (folder / ".lock").write_text("")
    (folder / "trials.jsonl").write_text("")
    with _immutable(folder / part):
        assert main(["run", str(spec), "--no-ui"]) == 2  # it was "unexpected error", exit 1
    where = folder / part if part else folder
    assert capsys.readouterr().err == f"{where}: cannot be written: Operation not permitted\n"


def test_the_header_written_after_a_torn_first_line_is_the_journal_s_header(tmp_path):
    journal = tmp_path / "trials.jsonl"
    journal.write_text('{"event":"header","format":1,"na')  # the first start was killed
    header = {"event": "header", "format": 1, "name": "torn", "seed": 7}
    with Journal(journal) as appending:  # as a resume does: the torn line is marked first
        appending.append(header)
    assert read_header(journal) == header  # what a resume compares its spec's method and seed to


def test_a_header_whose_format_is_not_a_number_is_one_line_naming_its_line(tmp_path):
    journal = tmp_path / "trials.jsonl"
    _write_journal(journal, [{"event": "header", "format": "1", "name": "s"}])  # edited by hand
    with pytest.raises(ResultsError) as raised:
        read_records(journal)
    # not "journal format 1 is newer than this hypermax reads (1)"
    assert str(raised.value) == f'{journal}: line 1: header whose format is not a whole number: "1"'


@pytest.mark.parametrize("seed", [-5, "7", True, None])
def test_a_header_whose_seed_is_none_is_one_line_naming_its_line(tmp_path, seed):
    journal = tmp_path / "trials.jsonl"
    _write_journal(journal, [{"event": "header", "format": 1, "seed": seed}])  # edited by hand
    with pytest.raises(ResultsError) as raised:
        read_records(journal)
    # -5 was "unexpected error: ValueError: expected non-negative integer" once the search asked
    assert str(raised.value) == (
        f"{journal}: line 1: header whose seed is not a whole number from 0: {json.dumps(seed)}"
    )


def test_resuming_a_folder_whose_frozen_spec_is_gone_names_the_spec_that_resumes_it(
    tmp_path, capsys
):
    folder = tmp_path / "results" / "s"
    folder.mkdir(parents=True)
    spec = tmp_path / "search.json"
    _write_journal(folder / "trials.jsonl", [{"event": "header", "spec_path": str(spec)}])
    assert main(["resume", str(folder), "--no-ui"]) == 2
    assert capsys.readouterr().err == (  # it said "not a hypermax results folder"
        f"{folder}: its frozen spec search.json is missing; resume it from the spec it came "
        f"from: hypermax run {spec} {folder}\n"
    )


def test_a_results_folder_deleted_while_the_search_runs_gets_its_journal_back(tmp_path):
    """Its trial deletes it (the trial's result makes it again): the journal is written again
    from what hypermax had, and no log of hypermax's that cannot be written crashes it."""
    from conftest import fake_function_spec

    spec = fake_function_spec(
        tmp_path, "delete_results.py", "train", {"name": "s", "iterations": 1, "method": "random"}
    )
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    assert "unexpected error" not in done.stderr + done.stdout
    state = replay(read_records(tmp_path / "results" / "s" / "trials.jsonl"))
    assert [(t.id, t.state) for t in state.trials.values()] == [(1, TrialState.OK)]


def _can_freeze(folder: Path) -> bool:
    """Whether ``chattr +i`` works here (root, on a file system that has the flag)."""
    probe = folder / "probe"
    probe.touch()
    try:
        done = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, check=False)
    except OSError:
        return False
    subprocess.run(["chattr", "-i", str(probe)], capture_output=True, check=False)
    return done.returncode == 0


def test_a_journal_that_can_no_longer_be_written_stops_the_search_in_one_line(tmp_path):
    from conftest import fake_function_spec

    if not _can_freeze(tmp_path):
        pytest.skip("chattr +i does not work here")
    spec = fake_function_spec(
        tmp_path,
        "delete_results.py",
        "freeze_journal",
        {"name": "s", "iterations": 5, "method": "random"},
    )
    journal = tmp_path / "results" / "s" / "trials.jsonl"
    try:
        done = run_hypermax_here(spec)
    finally:
        subprocess.run(["chattr", "-i", str(journal)], check=False)
    # it was "unexpected error: PermissionError: [Errno 1] Operation not permitted", exit 1
    assert (done.returncode, done.stderr) == (
        2,
        f"{journal}: cannot be written: Operation not permitted\n",
    )
    state = replay(read_records(journal))
    assert [t.id for t in state.finished] == [1]  # trial 2's end came after: it runs again
    assert [t.id for t in state.unfinished] == [2]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("command", ["show", "export", "plot", "resume"])
def test_a_named_pipe_or_device_in_place_of_the_journal_is_one_line_not_a_wait(
    tmp_path, command, capsys
):
    """Reading a named pipe waits for a writer that never comes, and /dev/zero never ends."""
    pipe, device = tmp_path / "pipe", tmp_path / "device"
    for folder in (pipe, device):
        folder.mkdir()
        (folder / "search.json").write_text("{}")
    os.mkfifo(pipe / "trials.jsonl")
    (device / "trials.jsonl").symlink_to("/dev/zero")
    sock = tmp_path / "socket"  # its own words were "No such device or address"
    sock.mkdir()
    (sock / "search.json").write_text("{}")
    with socket.socket(socket.AF_UNIX) as bound:  # the socket's file stays
        bound.bind(str(sock / "trials.jsonl"))
    for folder, kind in ((pipe, "a named pipe"), (device, "a device"), (sock, "a socket")):
        assert main([command, str(folder)]) == 2
        assert capsys.readouterr().err == f"{folder}/trials.jsonl: is {kind}, not a journal\n"
    assert read_header(pipe / "trials.jsonl") is None


@pytest.mark.timeout(20)
@pytest.mark.parametrize("part", [".lock", "search.json"])
def test_a_lock_or_frozen_spec_that_is_a_named_pipe_is_no_wait(tmp_path, capsys, part):
    """Whether a hypermax runs the search is read from the lock, the metadata and the log
    scales from the frozen spec: a named pipe there waited for a writer forever."""
    folder = tmp_path / "s"
    folder.mkdir()
    _write_journal(folder / "trials.jsonl", [_started(1, 0.5), _finished(1, "ok", 0.25)])
    os.mkfifo(folder / part)
    assert main(["show", str(folder)]) == 0
    assert capsys.readouterr().out.startswith(f"{folder}: 1 trial (1 ok)\n")
    if part == "search.json":
        assert main(["resume", str(folder), "--no-ui"]) == 2
        err = capsys.readouterr().err
        assert err == f"{folder / part}: cannot read it: is a named pipe, not a file\n"


def test_a_results_folder_moved_aside_while_its_search_runs_is_locked_again(tmp_path):
    """A results folder moved aside (``mv results/s results/old``) while its search ran was made
    again at its path, without its lock and frozen spec: a second hypermax of the same spec
    went in, and both ran trials of the same ids into the same journal."""
    from conftest import fake_function_spec, finished_records

    search = {"name": "s", "iterations": 3, "method": "random"}
    spec = fake_function_spec(tmp_path, "delete_results.py", "move_aside", search)
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    third = finished_records(tmp_path / "results" / "s")[3]
    assert (third["metadata"]["locked"], third["metadata"]["spec"]) == (True, True)
