"""A warm start from ``results.csv`` keeps the trials whose params hold null or an empty list or
object, as one from ``trials.jsonl`` does."""

from __future__ import annotations

import csv
import io
import itertools
import json

from hypermax.cli import main
from hypermax.export import write_views
from hypermax.journal_records import read_records
from hypermax.journal_replay import replay
from hypermax.space import Space
from hypermax.warmstart import imported_trials, load_warm_start

SPACE = {
    "type": "object",
    "properties": {
        "x": {"type": "number", "min": 0, "max": 1},
        "tags": {"enum": [None, [], [1, 2]]},
        "extra": {"enum": [{}, {"a": 1}]},
    },
}
PARAMS = [
    {"x": 0.1, "tags": None, "extra": {}},
    {"x": 0.2, "tags": [], "extra": {"a": 1}},
    {"x": 0.3, "tags": [1, 2], "extra": {}},
]
NAMES = set(SPACE["properties"])


def _results_folder(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    lines = [{"event": "header", "format": 1}]
    for i, params in enumerate(PARAMS, 1):
        lines.append({"event": "trial_started", "id": i, "params": params})
        lines.append({"event": "trial_finished", "id": i, "state": "ok", "loss": i / 10})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder


def test_results_csv_warm_starts_the_trials_the_journal_does(tmp_path):
    folder = _results_folder(tmp_path)
    journal = folder / "trials.jsonl"
    write_views(folder, list(replay(read_records(journal), journal).trials.values()))
    from_csv = load_warm_start(folder / "results.csv", NAMES)
    # what a table holds: params, loss, step, time, metrics
    assert [f[:5] for f in from_csv] == [f[:5] for f in load_warm_start(journal, NAMES)]
    assert [f.params for f in from_csv] == PARAMS
    space = Space(SPACE)
    ids = itertools.count(1)
    kept = imported_trials(space, from_csv, lambda: next(ids))
    assert [t.params for t in kept] == PARAMS


def test_an_exported_table_spells_null_and_empty_params_and_leaves_blank_what_is_not_there(
    tmp_path, capsys
):
    folder = _results_folder(tmp_path)
    assert main(["export", str(folder)]) == 0
    table = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [(r["tags"], r["tags.0"], r["extra"], r["extra.a"]) for r in rows] == [
        ("null", "", "{}", ""),
        ("[]", "", "", "1"),
        ("", "1", "{}", ""),
    ]
    (tmp_path / "exported.csv").write_text(table)
    assert [f.params for f in load_warm_start(tmp_path / "exported.csv", NAMES)] == PARAMS


def test_results_csv_warm_starts_a_param_of_a_text_past_the_csv_modules_field_limit(tmp_path):
    """A text param of 200,000 characters is one cell of results.csv: the table was refused
    (``field larger than field limit (131072)``), though hypermax wrote it."""
    limit = csv.field_size_limit()
    folder = tmp_path / "r"
    folder.mkdir()
    params = [{"x": 0.1, "tags": None, "extra": {"a": "L" * 200_000}}, PARAMS[1]]
    lines = [{"event": "header", "format": 1}]
    for i, p in enumerate(params, 1):
        lines.append({"event": "trial_started", "id": i, "params": p})
        lines.append({"event": "trial_finished", "id": i, "state": "ok", "loss": i / 10})
    journal = folder / "trials.jsonl"
    journal.write_text("".join(json.dumps(r) + "\n" for r in lines))
    write_views(folder, list(replay(read_records(journal), journal).trials.values()))
    assert [f.params for f in load_warm_start(folder / "results.csv", NAMES)] == params
    assert csv.field_size_limit() == limit  # the module's own limit is left as it was
