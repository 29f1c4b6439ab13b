"""The commands that read a results folder take the spec whose folder it is, too; a folder given
where a spec is due says what it is (a results folder: how to resume it)."""

from __future__ import annotations

import json

import pytest
from conftest import quadratic

import hypermax
from hypermax.cli import main

SPEC = {
    "hyperparameters": {
        "type": "object",
        "properties": {"x": {"type": "number", "min": 0, "max": 1}},
    },
    "function": quadratic(),
    "search": {"name": "quad", "iterations": 2, "seed": 1},
    "results": {"directory": "out"},
}


def output(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_show_export_and_resume_take_the_spec_of_a_results_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "search.json").write_text(json.dumps(SPEC))
    hypermax.optimize("search.json")
    capsys.readouterr()
    for command in (["show"], ["export", "--best"], ["show", "--trial", "2"]):
        by_folder = output(capsys, *command, "out/quad")
        assert by_folder[0] == 0 and by_folder[1]
        assert output(capsys, *command, "search.json") == by_folder
    code, out, _ = output(capsys, "resume", "search.json", "--no-ui")
    assert code == 0 and "resuming quad: 2 trials done" in out


def test_show_and_export_of_a_spec_need_only_what_names_its_results_folder(
    tmp_path, monkeypatch, capsys
):
    """A spec edited since its search ran (its objective moved, its space mid-edit, a plugin
    method not written yet) still names its results folder: ``show`` refused it whole."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "search.json").write_text(json.dumps(SPEC))
    hypermax.optimize("search.json")
    capsys.readouterr()
    by_folder = [output(capsys, *command, "out/quad") for command in (["show"], ["export"])]
    space = {"type": "object", "properties": {"x": {"type": "number", "min": 1, "max": 0}}}
    edited = {**SPEC, "hyperparameters": space, "function": {**SPEC["function"], "src": "gone.py"}}
    edited["search"] = {**SPEC["search"], "method": "plugins:Unwritten"}
    (tmp_path / "search.json").write_text(json.dumps(edited))
    assert [output(capsys, *command, "search.json") for command in (["show"], ["export"])] == (
        by_folder
    )
    edited["results"] = {"directory": 3}  # where its folder is cannot be told: every problem
    (tmp_path / "search.json").write_text(json.dumps(edited))
    code, out, err = output(capsys, "show", "search.json")
    assert (code, out) == (2, "")
    assert "search.json: results.directory: must be a string, got 3\n" in err
    assert "search.json: function.src: " in err


@pytest.mark.parametrize("command", [[], ["validate"], ["sample"]])
def test_a_folder_given_as_a_spec_says_what_it_is(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "quad").mkdir(parents=True)
    (tmp_path / "out" / "quad" / "trials.jsonl").write_text("")
    (tmp_path / "notes").mkdir()
    code, _, err = output(capsys, *command, "out/quad")
    assert (code, err) == (
        2,
        "out/quad: is a results folder, not a spec: "
        "hypermax resume out/quad continues its search\n",
    )
    code, _, err = output(capsys, *command, "notes")
    assert (code, err) == (2, "notes: is a folder, not a spec file\n")


def test_a_project_folder_holding_its_spec_is_no_results_folder_to_resume(
    tmp_path, monkeypatch, capsys
):
    """``hypermax resume .`` (or ``resume "$UNSET"``) beside search.json ran the search in the
    project's folder and rewrote the spec there as a frozen one."""
    monkeypatch.chdir(tmp_path)
    text = json.dumps(SPEC)
    (tmp_path / "search.json").write_text(text)
    code, _, err = output(capsys, "resume", ".", "--no-ui")
    assert (code, err) == (
        2,
        ".: not a hypermax results folder (no trials.jsonl); its search.json is a spec, "
        "not one a search froze: hypermax search.json runs it\n",
    )
    code, _, err = output(capsys, "validate", ".")
    assert (code, err) == (
        2,
        ".: is a folder, not a spec file: hypermax search.json runs the spec in it\n",
    )
    code, _, err = output(capsys, "resume", "", "--no-ui")
    assert (code, err) == (2, "hypermax resume: RESULTS_DIR: must not be empty\n")
    assert (tmp_path / "search.json").read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.json"]


def test_a_run_in_the_folder_of_its_own_spec_leaves_the_spec_alone(tmp_path, monkeypatch, capsys):
    """``hypermax search.json .`` wrote the frozen spec over the user's search.json."""
    monkeypatch.chdir(tmp_path)
    text = json.dumps(SPEC)
    (tmp_path / "search.json").write_text(text)
    code, _, err = output(capsys, "run", "search.json", ".", "--no-ui")
    assert (code, err) == (
        2,
        ".: its search.json is a spec, not one a search froze, which a search there would "
        "write over: give the search a folder of its own\n",
    )
    assert (tmp_path / "search.json").read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.json"]


@pytest.mark.parametrize("command", ["show", "export", "plot"])
def test_an_empty_results_folder_argument_is_refused_as_empty(
    tmp_path, monkeypatch, capsys, command
):
    """``hypermax show "$DIR"`` with DIR unset: the line began with a bare colon, then it
    named the current folder, which a results folder's own would show."""
    monkeypatch.chdir(tmp_path)
    code, _, err = output(capsys, command, "")
    assert (code, err) == (2, f"hypermax {command}: RESULTS_DIR: must not be empty\n")


def test_a_spec_named_dash_is_taken_as_a_spec_not_an_option(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = output(capsys, "-")
    assert code == 2
    assert err.startswith("-: a spec cannot be read from stdin")
