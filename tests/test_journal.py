"""The journal: append-only, torn-tail tolerant, loud about any other damage."""

from __future__ import annotations

import json
import os
import threading
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from conftest import quadratic, run_cli, run_hypermax_here

from hypermax.errors import ResultsError
from hypermax.journal import Journal
from hypermax.journal_records import read_records
from hypermax.journal_replay import FORMAT_VERSION, read_state, replay
from hypermax.trial import TrialState

HEADER = {"event": "header", "format": FORMAT_VERSION, "seed": 1, "spec_hash": "x"}
STARTED = {"event": "trial_started", "id": 1, "params": {"x": 1}, "internal": {"x": 1.0}}
FINISHED = {"event": "trial_finished", "id": 1, "state": "ok", "loss": 0.5}


def _write(path, *lines: str) -> None:
    path.write_text("".join(lines))


def test_records_fold_into_trials(tmp_path):
    path = tmp_path / "trials.jsonl"
    with Journal(path) as journal:
        for record in (
            HEADER,
            STARTED,
            {"event": "trial_reported", "id": 1, "step": 0, "metrics": {"loss": 0.9}},
            FINISHED,
        ):
            journal.append(record)
        journal.append({**STARTED, "id": 2})
    state = replay(read_records(path))
    assert state.header == HEADER
    assert state.trials[1].state is TrialState.OK and state.trials[1].loss == 0.5
    assert state.trials[1].reports == ({"step": 0, "loss": 0.9},)
    assert [t.id for t in state.unfinished] == [2]


def test_nan_is_written_as_strict_json(tmp_path):
    path = tmp_path / "trials.jsonl"
    with Journal(path) as journal:
        journal.append({"event": "trial_finished", "id": 1, "metrics": {"auc": float("nan")}})
    assert json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(c))["metrics"] == {
        "auc": "nan"
    }


def test_torn_last_line_is_skipped_with_a_warning_and_appending_goes_on(tmp_path):
    path = tmp_path / "trials.jsonl"
    _write(path, json.dumps(HEADER) + "\n", json.dumps(STARTED) + "\n", '{"event": "trial_fini')
    with pytest.warns(UserWarning, match="line 3: skipping a torn last line"):
        assert len(read_records(path)) == 2
    before = path.read_bytes()
    with Journal(path) as journal:
        journal.append(FINISHED)
    assert path.read_bytes().startswith(before)  # never rewritten, only appended
    records = read_records(path)
    assert [r["event"] for r in records] == ["header", "trial_started", "trial_finished"]


def test_a_damaged_middle_line_is_an_error_naming_it(tmp_path):
    path = tmp_path / "trials.jsonl"
    _write(path, json.dumps(HEADER) + "\n", "garbage\n", json.dumps(STARTED) + "\n")
    with pytest.raises(
        ResultsError, match=r"trials.jsonl: line 2: damaged journal record \(not valid JSON\)$"
    ):
        read_records(path)
    proc = run_cli("show", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"{path}: line 2: damaged journal record (not valid JSON)"


@pytest.mark.parametrize(
    ("line", "why"),
    [("[1, 2]", "not a JSON object"), ('{"id": 3}', "an object without an event")],
)
def test_a_middle_line_of_json_that_is_no_record_is_not_called_invalid_json(tmp_path, line, why):
    path = tmp_path / "trials.jsonl"
    _write(path, json.dumps(HEADER) + "\n", line + "\n", json.dumps(STARTED) + "\n")
    with pytest.raises(ResultsError) as raised:
        read_records(path)
    assert str(raised.value) == f"{path}: line 2: damaged journal record ({why})"


def test_an_empty_journal_is_a_search_with_no_trials(tmp_path):
    path = tmp_path / "trials.jsonl"
    path.write_text("")
    state = replay(read_records(path))
    assert state.header is None and state.trials == {}


def test_a_journal_from_a_newer_format_is_refused(tmp_path):
    path = tmp_path / "trials.jsonl"
    _write(path, json.dumps({**HEADER, "format": FORMAT_VERSION + 1}) + "\n")
    with pytest.raises(
        ResultsError, match=f"journal format {FORMAT_VERSION + 1} is newer than this hypermax reads"
    ):
        replay(read_records(path), path)


def test_appended_records_are_readable_at_once_and_synced_in_the_background(tmp_path, monkeypatch):
    path = tmp_path / "trials.jsonl"
    synced = threading.Event()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        if threading.current_thread().name == "hypermax-journal":
            synced.set()

    monkeypatch.setattr(os, "fsync", fsync)
    with Journal(path) as journal:
        journal.append_many([HEADER, STARTED], wait_for_disk=False)
        assert read_records(path) == [HEADER, STARTED]  # written and flushed before it returned
        assert synced.wait(10)  # and synced by the journal's thread
        journal.append_many([FINISHED], wait_for_disk=False)
    assert read_records(path) == [HEADER, STARTED, FINISHED]
    assert "hypermax-journal" not in {t.name for t in threading.enumerate()}


def test_records_appended_between_two_background_syncs_share_one(tmp_path, monkeypatch):
    import hypermax.journal as journal_module

    path = tmp_path / "trials.jsonl"
    synced = threading.Event()
    syncs: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        if threading.current_thread().name == "hypermax-journal":
            syncs.append(fd)
            synced.set()

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(journal_module, "SYNC_EVERY_SECONDS", 3600.0)
    with Journal(path) as journal:
        journal.append_many([HEADER], wait_for_disk=False)
        assert synced.wait(10)
        for trial_id in range(1, 11):  # each asks for a sync: none before the pause is over
            journal.append_many([{**STARTED, "id": trial_id}], wait_for_disk=False)
        assert len(syncs) == 1
    # closing cut the pause short and synced what waited, once
    assert len(syncs) == 2
    assert len(read_records(path)) == 11


def test_a_failed_background_sync_is_raised_to_the_writer(tmp_path, monkeypatch):
    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    journal = Journal(tmp_path / "trials.jsonl")
    monkeypatch.setattr(os, "fsync", broken)
    journal.append_many([HEADER], wait_for_disk=False)
    with pytest.raises(OSError, match="Input/output error"):
        journal.close()


def test_holds_trials_reads_only_as_far_as_the_first_trial_record(tmp_path):
    from hypermax.journal_records import holds_trials

    journal = tmp_path / "trials.jsonl"
    assert not holds_trials(journal)  # none there
    journal.write_text('{"event": "header"}\n{"event": []}\nnot json\n')
    assert not holds_trials(journal)  # a hand-edited event that is no text is passed over
    journal.write_text(journal.read_text() + '{"event": "trial_imported", "id": 1}\n')
    assert holds_trials(journal)


def test_a_journal_deleted_or_replaced_while_written_keeps_every_record(tmp_path, caplog):
    path = tmp_path / "trials.jsonl"
    with Journal(path) as journal:
        journal.append_many([HEADER, STARTED], wait_for_disk=False)
        path.unlink()  # deleted while the search runs: written again, whole
        journal.append(FINISHED)
        events = [r["event"] for r in read_records(path)]
        assert events == ["header", "trial_started", "trial_finished"]
        edited = path.read_text().replace('"loss":0.5', '"loss":0.75')
        (tmp_path / "edited").write_text(edited)
        os.replace(tmp_path / "edited", path)  # as an editor saves: appended to from now on
        journal.append({**STARTED, "id": 2})
    state = replay(read_records(path))
    assert state.trials[1].loss == 0.75 and list(state.trials) == [1, 2]
    assert "trials.jsonl: deleted while the search ran; written again" in caplog.text
    assert "trials.jsonl: replaced (edited?) while the search ran; appending" in caplog.text


#: a record this version passes over (an event of a later one): a journal's bulk that no reader
#: keeps, 1,000 of them 4 MB
LATER = json.dumps({"event": "x_later", "text": "n" * 4000}) + "\n"


def _peak(read: Callable[[], Any]) -> tuple[Any, int]:
    """What ``read()`` returns, and the most memory it held at once (allocated by Python)."""
    tracemalloc.start()
    try:
        return read(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_journal_is_read_a_line_at_a_time_not_held_whole(tmp_path):
    """show, export and plot hold what the journal replays to, not its text nor its records."""
    path = tmp_path / "trials.jsonl"
    ended = json.dumps(FINISHED) + "\n"
    _write(path, json.dumps(HEADER) + "\n", json.dumps(STARTED) + "\n", LATER * 1000, ended)
    state, peak = _peak(lambda: read_state(path))
    assert state.trials[1].loss == 0.5
    assert peak < path.stat().st_size / 10


def test_a_resumed_search_reads_its_journal_a_line_at_a_time(write_spec):
    from hypermax.search_folder import prepare
    from hypermax.spec import load_spec

    x = {"type": "number", "min": 0, "max": 1}
    space = {"type": "object", "properties": {"x": x}}
    doc = {"hyperparameters": space, "function": quadratic(), "search": {"iterations": 1}}
    spec_path = write_spec({**doc, "search": {"name": "s", "iterations": 1}})
    assert run_hypermax_here(spec_path).returncode == 0
    spec = load_spec(spec_path)
    with open(spec.results_folder / "trials.jsonl", "a") as journal:
        journal.write(LATER * 1000)
    prepared, peak = _peak(lambda: prepare(spec))
    prepared.folder.unlock()
    assert [t.id for t in prepared.history.finished] == [1]
    assert peak < (spec.results_folder / "trials.jsonl").stat().st_size / 10
