"""Executables that cannot run, named for what they are."""

from __future__ import annotations

import json

import pytest

import hypermax
from hypermax.errors import SpecError

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here


def _spec(tmp_path):
    spec = tmp_path / "search.json"
    spec.write_text(
        json.dumps(
            {
                "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
                "function": {"type": "executable", "command": ["./train"], "cwd": "."},
            }
        )
    )
    return str(spec)


def test_a_folder_named_as_the_program_is_called_a_folder(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(SpecError) as raised:
        hypermax.load_spec(_spec(tmp_path))
    assert str(raised.value) == (
        'search.json: function.command.0: "./train" is a folder, not a program'
    )


def test_an_empty_program_is_named_before_every_trial_fails_to_start_it(tmp_path):
    (tmp_path / "train").touch(mode=0o755)
    with pytest.raises(SpecError) as raised:
        hypermax.load_spec(_spec(tmp_path))
    assert str(raised.value) == (
        'search.json: function.command.0: "./train": it is empty: no program to run'
    )


@pytest.mark.parametrize(
    ("program", "problem"),
    [
        ("{x", 'cannot find program "{x" on PATH'),
        ("./{}", 'cannot find program "./{}" in '),
        ("${x}", 'cannot find program "${x}" on PATH'),
    ],
)
def test_a_program_with_braces_that_are_no_placeholder_is_looked_for(tmp_path, program, problem):
    """Only a ``{name}`` is filled in at run time: other braces are part of the program's
    name, which must be found before every trial fails to start it."""
    spec = tmp_path / "search.json"
    function = {"type": "executable", "command": [program], "cwd": "."}
    space = {"type": "object", "properties": {"x": {"enum": [1]}}}
    spec.write_text(json.dumps({"hyperparameters": space, "function": function}))
    with pytest.raises(SpecError) as raised:
        hypermax.load_spec(str(spec))
    assert str(raised.value).startswith(f"search.json: function.command.0: {problem}")
