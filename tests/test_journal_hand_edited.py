"""A journal edited by hand (or damaged) in a field of a record: a record whose event is not a
text is a one-line error naming the line; a field of the wrong kind is read as absent, as a
hand-edited number already is, and ``show`` shows the rest."""

from __future__ import annotations

import json

from conftest import X_SPACE, quadratic

from hypermax.cli import main
from hypermax.journal_records import read_records
from hypermax.journal_replay import replay


def _folder(tmp_path, finished: dict) -> str:
    folder = tmp_path / "r"
    folder.mkdir()
    records = [
        {"event": "header", "format": 1, "seed": 1},
        {"event": "trial_started", "id": 1, "params": {"x": 0.5}, "started_at": 1.7e9},
        {"event": "trial_finished", "id": 1, "state": "ok", "loss": 0.25, **finished},
    ]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(folder)


def test_a_record_whose_event_is_not_a_text_is_a_one_line_error(tmp_path, capsys):
    folder = _folder(tmp_path, {})
    journal = tmp_path / "r" / "trials.jsonl"
    lines = journal.read_text().splitlines()
    lines[1] = lines[1].replace('"trial_started"', "[]")
    journal.write_text("\n".join(lines) + "\n")
    assert main(["show", folder]) == 2
    assert capsys.readouterr().err == (
        f"{journal}: line 2: record whose event is not a string: []\n"
    )


def test_fields_of_the_wrong_kind_are_read_as_absent(tmp_path, capsys):
    odd = {"attachments": 3, "reason": ["x"], "kill_reason": 7, "ended_at": 1e308}
    folder = _folder(tmp_path, odd)
    assert main(["show", folder, "--trial", "1"]) == 0
    out = capsys.readouterr().out
    assert "loss" in out and "0.25" in out
    assert "ended    1e+308" in out  # a time no calendar holds, shown as it is
    assert "files:" not in out
    assert main(["export", folder, "--format", "json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    assert trial["reason"] is None and trial["attachments"] == []


def test_numbers_no_float_holds_are_read_as_absent(tmp_path, capsys):
    """A journal another program wrote with Python's json (NaN, Infinity): its trial was
    ranked first by a loss of nan."""
    odd = {"loss": float("nan"), "time": float("inf"), "peak_rss_mib": 10**400}
    folder = _folder(tmp_path, odd)
    (trial,) = replay(read_records(tmp_path / "r" / "trials.jsonl")).trials.values()
    assert (trial.loss, trial.time, trial.peak_rss_mib) == (None, None, None)
    assert main(["show", folder]) == 0
    assert "nan" not in capsys.readouterr().out


def test_a_report_whose_step_is_not_a_whole_number_is_a_one_line_error(tmp_path, capsys):
    folder = _folder(tmp_path, {})
    journal = tmp_path / "r" / "trials.jsonl"
    lines = journal.read_text().splitlines()
    report = {"event": "trial_reported", "id": 1, "step": "interrupted", "metrics": {"loss": 1}}
    lines.insert(2, json.dumps(report))
    journal.write_text("\n".join(lines) + "\n")
    assert main(["show", folder]) == 2
    assert capsys.readouterr().err == (
        f"{journal}: line 3: trial_reported record whose step is not a whole number: "
        '"interrupted"\n'
    )


def test_a_header_whose_spec_path_is_not_a_text_still_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": "quad", "iterations": 1, "method": "random"},
        "results": {"directory": "out"},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    assert main(["search.json", "--no-ui"]) == 0
    journal = tmp_path / "out" / "quad" / "trials.jsonl"
    lines = journal.read_text().splitlines()
    header = json.loads(lines[0])
    header["spec_path"] = True
    journal.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    capsys.readouterr()
    assert main(["resume", "out/quad", "--no-ui"]) == 0, capsys.readouterr().err
    assert "resuming quad: 1 trial" in capsys.readouterr().out


def test_a_report_whose_step_is_a_whole_float_is_read_as_the_trial_sent_it(tmp_path):
    _folder(tmp_path, {})
    journal = tmp_path / "r" / "trials.jsonl"
    lines = journal.read_text().splitlines()
    report = {"event": "trial_reported", "id": 1, "step": 2.0, "metrics": {"loss": 1}}
    lines.insert(2, json.dumps(report))
    journal.write_text("\n".join(lines) + "\n")
    (trial,) = replay(read_records(journal)).trials.values()
    assert trial.reports == ({"step": 2, "loss": 1},)
    assert type(trial.reports[0]["step"]) is int


def test_a_trial_id_edited_far_past_the_others_resumes_after_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": "quad", "iterations": 1, "method": "tpe", "seed": 3},
        "results": {"directory": "out"},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    assert main(["search.json", "--no-ui"]) == 0
    journal = tmp_path / "out" / "quad" / "trials.jsonl"
    far = 10**20
    journal.write_text(journal.read_text().replace('"id":1,', f'"id":{far},'))
    capsys.readouterr()
    assert main(["resume", "out/quad", "--no-ui", "--iterations", "2"]) == 0, capsys.readouterr()
    ids = [t.id for t in replay(read_records(journal)).trials.values()]
    assert ids == [far, far + 1]


def test_a_line_nested_deeper_than_python_reads_is_a_one_line_error(tmp_path, capsys):
    """It was an unexpected error (RecursionError), exit 1, with a traceback in a log."""
    folder = _folder(tmp_path, {})
    journal = tmp_path / "r" / "trials.jsonl"
    with journal.open("a") as f:
        f.write('{"event": "note", "a": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
        f.write('{"event": "note"}\n')  # not the last line, which a crash may have torn
    assert main(["show", folder]) == 2
    assert (
        capsys.readouterr().err
        == f"{journal}: line 4: damaged journal record (nested too deeply)\n"
    )
