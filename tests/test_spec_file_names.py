"""Which file an error names: its path from the current folder when it is in it or below, else
its absolute path; two ``search.json`` of two folders read apart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import X_SPACE, quadratic

from hypermax.cli import main
from hypermax.errors import SpecError, shown_file

BAD_SPACE = {"type": "object", "properties": {"x": {"type": "number", "min": 1, "max": 0}}}
BAD_LINE = "hyperparameters.properties.x.max: must be greater than min (1), got 0"


def _write(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def _bad_spec(path: Path) -> Path:
    return _write(path, {"hyperparameters": BAD_SPACE, "function": quadratic()})


def test_a_spec_in_a_subfolder_is_named_by_its_path_from_here(tmp_path, monkeypatch, capsys):
    _bad_spec(tmp_path / "sub" / "search.json")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "sub/search.json"]) == 2
    assert capsys.readouterr().err == f"sub/search.json: {BAD_LINE}\n"
    assert main(["validate", str(tmp_path / "sub" / "search.json")]) == 2  # typed absolute
    assert capsys.readouterr().err == f"sub/search.json: {BAD_LINE}\n"
    assert main(["run", "sub/search.json", "--no-ui"]) == 2
    assert capsys.readouterr().err == f"sub/search.json: {BAD_LINE}\n"


def test_a_spec_outside_the_current_folder_is_named_by_its_absolute_path(
    tmp_path, monkeypatch, capsys
):
    spec = _bad_spec(tmp_path / "a" / "search.json")
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "b")
    assert main(["validate", "../a/search.json"]) == 2
    assert capsys.readouterr().err == f"{spec}: {BAD_LINE}\n"


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("bad.json", '{"a": ', "line 1: invalid JSON: Expecting value"),
        ("bad.yaml", "a: [\n", "line 2: invalid YAML: expected the node content"),
        ("gone.json", None, "cannot read: No such file or directory"),
        ("list.json", "[]", "must be an object with the spec's sections"),
        # an empty file was "invalid JSON: Expecting value", or, in YAML, not an object
        ("empty.json", "", "is empty"),
        ("blank.yaml", "\n  \n", "is empty"),
    ],
)
def test_a_spec_that_cannot_be_read_is_named_by_its_path_from_here(
    tmp_path, monkeypatch, capsys, name, text, problem
):
    (tmp_path / "sub").mkdir()
    if text is not None:
        (tmp_path / "sub" / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", f"sub/{name}"]) == 2
    assert capsys.readouterr().err.startswith(f"sub/{name}: {problem}")


@pytest.mark.parametrize(
    ("encoding", "problem"),
    [
        # it said "is not UTF-8 text" alone, of a file saved as a Windows editor's "Unicode"
        ("utf-16", "is UTF-16 text, not UTF-8: save it as UTF-8"),
        ("utf-16-be", "is UTF-16 text, not UTF-8: save it as UTF-8"),
        ("utf-32", "is UTF-32 text, not UTF-8: save it as UTF-8"),
        ("latin-1", "is not UTF-8 text"),
    ],
)
def test_a_spec_in_another_encoding_says_which_when_its_byte_order_mark_does(
    tmp_path, monkeypatch, capsys, encoding, problem
):
    text = json.dumps(
        {"hyperparameters": X_SPACE, "function": quadratic(), "é": 1}, ensure_ascii=False
    )
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (tmp_path / "search.json").write_bytes(data)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "search.json"]) == 2
    assert capsys.readouterr().err == f"search.json: {problem}\n"


def test_a_file_a_ref_names_is_named_by_its_path_from_here(tmp_path, monkeypatch, capsys):
    _write(tmp_path / "sub" / "parts" / "space.json", BAD_SPACE)
    doc = {"hyperparameters": {"$ref": "parts/space.json"}, "function": quadratic()}
    _write(tmp_path / "sub" / "search.json", doc)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "sub/search.json"]) == 2
    assert capsys.readouterr().err == (
        "sub/parts/space.json: properties.x.max: must be greater than min (1), got 0"
        " (via the $ref at sub/search.json: hyperparameters)\n"
    )


def test_a_frozen_spec_and_its_edits_are_named_by_its_path_from_here(tmp_path, monkeypatch, capsys):
    doc = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": "s", "method": "random", "iterations": 1},
    }
    _write(tmp_path / "proj" / "search.json", doc)
    monkeypatch.chdir(tmp_path)
    assert main(["proj/search.json", "--no-ui"]) == 0
    frozen = tmp_path / "results" / "s" / "search.json"
    edited = json.loads(frozen.read_text())
    edited["search"]["seed"] = 7
    frozen.write_text(json.dumps(edited))
    capsys.readouterr()
    assert main(["resume", "results/s", "--no-ui", "--iterations", "2"]) == 0
    assert "results/s/search.json: search.seed: 7 is not used" in capsys.readouterr().err
    edited["function"]["parallel"] = 0
    frozen.write_text(json.dumps(edited))
    assert main(["validate", "results/s/search.json"]) == 2
    err = capsys.readouterr().err
    assert err == "results/s/search.json: function.parallel: must be at least 1, got 0\n"


def test_validate_names_the_spec_it_found_good_as_its_errors_would(tmp_path, monkeypatch, capsys):
    _write(tmp_path / "sub" / "search.json", {"hyperparameters": X_SPACE, "function": quadratic()})
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "./sub/../sub/search.json"]) == 0
    assert capsys.readouterr().out.startswith("sub/search.json: ok (")


def test_a_spec_given_to_the_python_api_as_a_dict_is_named_optimize(tmp_path, monkeypatch):
    from hypermax import optimize

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as caught:
        optimize({"hyperparameters": BAD_SPACE, "function": quadratic()})
    assert str(caught.value) == f"optimize(): {BAD_LINE}"


def test_shown_file_without_a_current_folder_keeps_what_it_was_given(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    os.rmdir(gone)
    assert shown_file("sub/search.json") == "sub/search.json"
    assert shown_file(tmp_path / "a" / ".." / "s.json") == str(tmp_path / "s.json")
    assert shown_file("-") == "-"
