"""``hypermax export --format json`` writes each trial on a line of its own (made by the json
module's C encoder: 50,000 trials in about a second), the same document as before: NaN and
infinities spelled as strings, strict JSON."""

from __future__ import annotations

import json
import math

from conftest import run_cli_here

from hypermax.export import trial_document
from hypermax.journal_records import read_records
from hypermax.journal_replay import replay


def _folder(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    lines = [{"event": "header", "format": 1}]
    for i in range(1, 8):
        params = {"x": i / 10, "layers": [{"units": 8 * i}] * (i % 3), "opt": {"kind": "adam"}}
        lines.append({"event": "trial_started", "id": i, "params": params})
        metrics = {"loss": i / 10, "acc": "nan" if i == 3 else 1 - i / 10}
        lines.append(
            {"event": "trial_finished", "id": i, "state": "ok", "loss": i / 10, "metrics": metrics}
        )
    lines.append({"event": "trial_started", "id": 8, "params": {"x": 0.9, "layers": []}})
    lines.append({"event": "trial_finished", "id": 8, "state": "failed", "reason": "exit 1"})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder


def test_each_trial_is_a_line_and_the_document_is_the_trials_own(tmp_path):
    folder = _folder(tmp_path)
    done = run_cli_here("export", "r", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # strict: no NaN token
    lines = done.stdout.splitlines()
    trial_lines = [line for line in lines if line.lstrip().startswith('{"trial": ')]
    assert len(trial_lines) == len(doc["trials"]) == 8
    assert [json.loads(line.strip().rstrip(",")) for line in trial_lines] == doc["trials"]
    journal = folder / "trials.jsonl"
    trials = sorted(replay(read_records(journal), journal).trials.values(), key=lambda t: t.id)
    assert doc["trials"] == [trial_document(t) for t in trials]
    assert doc["trials"][2]["metrics"]["acc"] == "nan"
    assert math.isclose(doc["trials"][0]["loss"], 0.1)
    assert set(doc["importance"]) == {"method", "trials", "params"}


def test_best_alone_and_no_trial(tmp_path):
    _folder(tmp_path)
    best = json.loads(
        run_cli_here("export", "r", "--format", "json", "--best", cwd=tmp_path).stdout
    )
    assert [t["trial"] for t in best["trials"]] == [1]
    empty = tmp_path / "e"
    empty.mkdir()
    (empty / "trials.jsonl").write_text(json.dumps({"event": "header", "format": 1}) + "\n")
    done = run_cli_here("export", "e", "--format", "json", cwd=tmp_path)
    assert json.loads(done.stdout)["trials"] == []


def _strict(constant: str):
    raise ValueError(f"not strict JSON: {constant}")


def test_an_enum_whose_best_value_is_nan_is_exported_as_strict_json(tmp_path, capsys):
    """A param of NaN in some trials ranks as an enum, whose best value can be NaN: the
    importance was written with a bare NaN token, no JSON; it is ``"nan"``, as in the trials."""
    from hypermax.cli import main

    folder = tmp_path / "r"
    folder.mkdir()
    lines = [{"event": "header", "format": 1}]
    for i in range(1, 13):
        x = [math.nan, 0.5, math.inf][i % 3]
        lines.append({"event": "trial_started", "id": i, "params": {"x": x}})
        loss = 0.1 * i if i % 3 == 0 else 2 + 0.1 * i
        lines.append({"event": "trial_finished", "id": i, "state": "ok", "loss": loss})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert main(["export", str(folder), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out, parse_constant=_strict)
    (x,) = doc["importance"]["params"]
    assert (x["name"], x["kind"], x["best_value"]) == ("x", "enum", "nan")
    assert doc["trials"][2]["params"]["x"] == "nan"
