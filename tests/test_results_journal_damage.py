"""A damaged journal read by show, export or a resume: one line naming the file and the line,
exit 2, or the damage skipped with a warning that says so; never an unexpected error."""

from __future__ import annotations

import contextlib
import json

import pytest
from conftest import run_cli

from hypermax.cli import main
from hypermax.journal import Journal
from hypermax.journal_records import read_records
from hypermax.journal_replay import FORMAT_VERSION, replay

HEADER = {"event": "header", "format": FORMAT_VERSION, "seed": 1, "spec_hash": "x"}
STARTED = {"event": "trial_started", "id": 1, "params": {"x": 0.5}, "internal": {}}
FINISHED = {"event": "trial_finished", "id": 1, "state": "ok", "loss": 0.25}


def _folder(tmp_path, *lines: str):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "trials.jsonl").write_text("".join(lines))
    return folder


def _line(record) -> str:
    return json.dumps(record) + "\n"


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"event": "trial_finished", "state": "ok"}, "trial_finished record without an integer id"),
        ({**STARTED, "id": "one"}, "trial_started record without an integer id"),
        ({**STARTED, "id": True}, "trial_started record without an integer id"),
        ({**STARTED, "id": 0}, "trial_started record whose id is not a trial's"),
        ({**FINISHED, "id": -3}, "whose id is not a trial's (a whole number from 1): -3"),
        ({**STARTED, "params": [0.5]}, "trial_started record whose params are not an object"),
        ({**STARTED, "internal": 5}, "whose internal values are not an object"),
        ({**STARTED, "internal": {"x": "abc"}}, 'internal value of "x" is not a finite number'),
        ({**STARTED, "internal": {"x": float("nan")}}, 'value of "x" is not a finite number: NaN'),
        ({**STARTED, "internal": {"x": 10**400}}, 'value of "x" is not a finite number: 1000'),
        ({**FINISHED, "loss_terms": [1]}, "trial_finished record whose loss_terms are not an"),
        ({**FINISHED, "state": "weird"}, 'trial_finished record with an unknown state "weird"'),
        ({"event": "trial_reported", "id": 1, "metrics": 3}, "metrics are not an object"),
    ],
)
def test_a_record_of_the_wrong_shape_is_one_line_naming_the_file_and_the_line(
    tmp_path, capsys, record, problem
):
    folder = _folder(tmp_path, _line(HEADER), _line(STARTED), _line(record), _line(FINISHED))
    for command in ("show", "export"):
        assert main([command, str(folder)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"{folder}/trials.jsonl: line 3: "), err
        assert problem in err
        assert "\n" not in err


def test_a_journal_that_cannot_be_read_is_one_line_naming_it(tmp_path, capsys):
    folder = tmp_path / "results"
    (folder / "trials.jsonl").mkdir(parents=True)  # a folder where the file should be
    assert main(["show", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{folder}/trials.jsonl: cannot read the journal: Is a directory"


def test_a_broken_last_line_that_ends_its_line_is_sealed_before_appending(tmp_path):
    path = tmp_path / "trials.jsonl"
    path.write_text(_line(HEADER) + _line(STARTED) + '{"event": "trial_fini\n')
    with Journal(path) as journal:
        journal.append(FINISHED)
    # the broken line is marked as seen, so it stays skippable once records follow it
    state = replay(read_records(path))
    assert state.trials[1].loss == 0.25


def test_a_nul_filled_tail_is_sealed_and_a_resumed_journal_stays_readable(tmp_path):
    path = tmp_path / "trials.jsonl"
    path.write_bytes((_line(HEADER) + _line(STARTED)).encode() + b"\0" * 300)
    with Journal(path) as journal:
        journal.append(FINISHED)
    assert replay(read_records(path)).trials[1].loss == 0.25


def test_a_torn_tail_warning_is_one_line_on_the_command_line(tmp_path):
    folder = _folder(tmp_path, _line(HEADER), _line(STARTED), _line(FINISHED), '{"event": "tr')
    done = run_cli("export", str(folder), cwd=tmp_path)  # a process: pytest catches warnings
    assert done.returncode == 0
    assert done.stderr == (
        f"hypermax: warning: {folder}/trials.jsonl: line 4: "
        "skipping a torn last line (a crash while writing)\n"
    )


def test_an_empty_journal_shows_no_empty_brackets(tmp_path, capsys):
    folder = _folder(tmp_path)
    assert main(["show", str(folder)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{folder}: 0 trials"


@pytest.mark.parametrize("command", [["export"], ["export", "--format", "json"], ["show"]])
def test_output_to_a_full_disk_is_one_line(tmp_path, capsys, monkeypatch, command):
    folder = _folder(tmp_path, _line(HEADER), _line(STARTED), _line(FINISHED))
    full = open("/dev/full", "w")  # noqa: SIM115 - every write: No space left on device
    monkeypatch.setattr("sys.stdout", full)
    assert main([*command, str(folder)]) == 1
    monkeypatch.undo()
    with contextlib.suppress(OSError):  # what it holds still cannot be written
        full.close()
    err = capsys.readouterr().err
    assert err == f"hypermax {command[0]}: cannot write its output: No space left on device\n"


def test_a_hand_edited_number_of_the_wrong_type_is_shown_as_unknown(tmp_path, capsys):
    edited = {**FINISHED, "state": "killed", "time": "abc", "kill_value": "12 GB", "step": "3"}
    folder = _folder(tmp_path, _line(HEADER), _line(STARTED), _line(edited))
    assert main(["show", str(folder), "--trial", "1"]) == 0
    out = capsys.readouterr().out
    assert "trial 1: killed" in out and "abc" not in out and "12 GB" not in out
    assert main(["show", str(folder)]) == 0


def test_show_trial_escapes_control_characters_of_names_values_and_reason(tmp_path, capsys):
    started = {**STARTED, "params": {"pro\nmpt": "one\ntwo\x1b[31m"}}
    failed = {
        **FINISHED,
        "state": "failed",
        "loss": None,
        "reason": "ValueError: bad\x1b[2J",
        "metadata": {"note": "a\nb"},
    }
    folder = _folder(tmp_path, _line(HEADER), _line(started), _line(failed))
    assert main(["show", str(folder), "--trial", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "  reason      ValueError: bad\\x1b[2J\n" in out
    assert "  pro\\nmpt  one\\ntwo\\x1b[31m\n" in out
    assert "  note  a\\nb\n" in out


def trained(params):
    return params["x"]


def test_a_torn_tail_warning_is_one_line_from_python_too(tmp_path, monkeypatch):
    import warnings

    import hypermax

    def search(iterations: int) -> None:
        hypermax.optimize(trained, space={"x": [0.5]}, iterations=iterations, results_dir=tmp_path)

    search(1)
    with (tmp_path / "trained" / "trials.jsonl").open("a") as journal:
        journal.write('{"event": "tr')
    shown: list[str] = []

    def show(message, category, filename, lineno, file=None, line=None):  # as Python shows it
        shown.append(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        monkeypatch.setattr(warnings, "showwarning", show)
        search(2)
    assert shown == [
        f"hypermax: warning: {tmp_path}/trained/trials.jsonl: line 4: "
        "skipping a torn last line (a crash while writing)\n"
    ]


def test_a_whole_last_line_that_holds_no_record_is_damage_not_a_torn_line(tmp_path):
    """A line appended by another program (or by hand) after the last record was skipped as
    "a torn last line (a crash while writing)", which no crash leaves (a write cut short has no
    newline), and a resume marked it torn and went on."""
    folder = _folder(
        tmp_path, _line(HEADER), _line(STARTED), _line(FINISHED), "note: tuned by hand\n"
    )
    said = f"{folder}/trials.jsonl: line 4: damaged journal record (not valid JSON)\n"
    for command in ("show", "export", "plot"):
        done = run_cli(command, str(folder), cwd=tmp_path)
        assert (done.returncode, done.stderr) == (2, said), command
