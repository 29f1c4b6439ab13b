"""``hypermax resume`` of a folder whose journal lost its header finds the spec's files where a
normal resume does, and errors in a hand-edited frozen spec name the frozen copy."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import model_spec

from hypermax.cli import main
from hypermax.search import frozen_spec, prepare
from hypermax.spec import load_spec


def _results_folder(tmp_path: Path, header: bool = False) -> tuple[Path, Path]:
    """A spec in ``project/`` whose ``src`` is relative, and its results folder elsewhere as
    made ready for its search; without ``header``, as a crash between writing the frozen spec
    and the journal's header leaves it."""
    project = tmp_path / "project"
    project.mkdir()
    spec_path = model_spec(
        project,
        "def train(params):\n    return params['x']\n",
        {"name": "s", "method": "random", "iterations": 1, "seed": 3},
        results={"directory": str(tmp_path / "elsewhere")},
    )
    prepared = prepare(load_spec(spec_path))
    prepared.folder.unlock()
    if not header:
        prepared.folder.journal.write_text("")  # the header never reached the disk
    return spec_path, prepared.folder.path


def test_a_headerless_folder_resolves_the_spec_s_paths_from_the_spec_s_folder(tmp_path):
    spec_path, folder = _results_folder(tmp_path)
    spec = frozen_spec(folder)
    assert spec.folder == spec_path.parent.resolve()


def test_resuming_a_headerless_folder_runs_its_trials_and_writes_the_header(tmp_path, capsys):
    spec_path, folder = _results_folder(tmp_path)
    assert main(["resume", str(folder), "--no-ui"]) == 0, capsys.readouterr().err
    records = [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]
    assert records[0]["event"] == "header"
    assert records[0]["spec_path"] == str(spec_path.resolve())
    assert [r["state"] for r in records if r["event"] == "trial_finished"] == ["ok"]


def test_a_mistake_in_a_hand_edited_frozen_spec_names_the_frozen_copy(tmp_path, capsys):
    _, folder = _results_folder(tmp_path, header=True)
    frozen = folder / "search.json"
    doc = json.loads(frozen.read_text())
    doc["function"]["parallel"] = "two"
    frozen.write_text(json.dumps(doc))
    assert main(["resume", str(folder), "--no-ui"]) == 2
    err = capsys.readouterr().err
    assert err == f'{frozen}: function.parallel: must be an integer, got "two"\n'
